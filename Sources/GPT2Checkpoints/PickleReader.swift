/// A pickle reader that builds a value tree and never executes anything.
///
/// Follows the pickle machine as documented in CPython's `Lib/pickletools.py` (protocols 0–5):
/// a stack, a mark stack and a memo. Differences from `pickle.load`, all on purpose:
/// - GLOBAL / STACK_GLOBAL / INST are checked against `Policy.allowedGlobals` the moment they
///   appear; anything else (`os.system`, `builtins.eval`, …) is refused with
///   `PickleError.refusedGlobal` naming it. Nothing is ever imported or called.
/// - REDUCE / NEWOBJ on an allowed global record an inert `PickleObject` (callee, args), except
///   pure data constructors that must be applied for the tree to make sense, when the caller
///   allows them: `collections.OrderedDict` (becomes a dict that SETITEMS then fills),
///   `_codecs.encode(s, "latin1")` (how protocol 2 spells a bytes object) and `set(list)`.
/// - BUILD on a dict (OrderedDict's instance attributes, e.g. torch's `_metadata`) is ignored;
///   on a recorded object it sets `state`.
/// - EXT1/2/4, OBJ, NEWOBJ_EX, out-of-band buffers and protocol-0 quoted strings (STRING,
///   UNICODE) are refused: torch.save never writes them.
/// - Every length is checked against the bytes left before anything is allocated; the nesting
///   depth and the expanded size of shared references are bounded (`Policy`).
enum PickleReader {
    struct Policy: Sendable {
        var allowedGlobals: Set<PickleGlobal>
        /// Deepest nesting of containers accepted (state dicts nest < 10).
        var maxDepth: Int
        /// Most values the tree may hold once memo references are expanded.
        var maxNodes: Int

        init(allowedGlobals: Set<PickleGlobal>, maxDepth: Int = 256, maxNodes: Int = 1 << 24) {
            self.allowedGlobals = allowedGlobals
            self.maxDepth = maxDepth
            self.maxNodes = maxNodes
        }
    }

    static let orderedDict = PickleGlobal("collections", "OrderedDict")
    static let codecsEncode = PickleGlobal("_codecs", "encode")
    /// `set(list)` / `frozenset(list)`: how protocols < 4 spell sets (`__builtin__` is the name
    /// protocol 2 writes for Python 2 compatibility).
    static let setConstructors: Set<PickleGlobal> = [
        PickleGlobal("builtins", "set"), PickleGlobal("builtins", "frozenset"),
        PickleGlobal("__builtin__", "set"), PickleGlobal("__builtin__", "frozenset"),
    ]

    /// Reads one pickle that starts at `start`; returns its value and the offset after STOP.
    /// Offsets in errors are `baseOffset + position in bytes`.
    static func read(_ bytes: UnsafeRawBufferPointer, at start: Int = 0, baseOffset: Int = 0,
                            policy: Policy) throws -> (value: PickleValue, end: Int) {
        var m = PickleMachine(bytes: bytes, pos: start, baseOffset: baseOffset, policy: policy)
        var roots: [PickleNode] = []
        defer { PickleBox.teardown(roots + m.stack + Array(m.memo.values)) }
        let root = try m.run()
        roots.append(root)
        var f = PickleFreezer(maxDepth: policy.maxDepth, maxNodes: policy.maxNodes, offset: baseOffset + m.pos)
        return (try f.freeze(root), m.pos)
    }

    /// Reads a whole pickle held in memory (e.g. a zip member or `meta.pkl`).
    static func read(_ bytes: [UInt8], policy: Policy) throws -> PickleValue {
        try bytes.withUnsafeBytes { try read($0, policy: policy).value }
    }
}

/// The pickle machine's state while it runs. Opcode bytes per pickletools.
struct PickleMachine {
    let bytes: UnsafeRawBufferPointer
    var pos: Int
    let baseOffset: Int
    let policy: PickleReader.Policy
    var stack: [PickleNode] = []
    var marks: [Int] = []
    var memo: [Int: PickleNode] = [:]
    var opStart = 0

    init(bytes: UnsafeRawBufferPointer, pos: Int, baseOffset: Int, policy: PickleReader.Policy) {
        self.bytes = bytes
        self.pos = pos
        self.baseOffset = baseOffset
        self.policy = policy
    }

    func fail(_ r: PickleError.Reason) -> PickleError { PickleError(r, offset: baseOffset + opStart) }

    // MARK: reading arguments (every read checks the bytes left first)

    mutating func take(_ n: Int, _ op: String) throws -> UnsafeRawBufferPointer {
        let left = bytes.count - pos
        guard n >= 0, n <= left else { throw fail(.truncated(opcode: op, needed: n, available: left)) }
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<pos + n])
    }

    mutating func uint(_ n: Int, _ op: String) throws -> UInt64 {
        let b = try take(n, op)
        var v: UInt64 = 0
        for i in (0..<n).reversed() { v = v << 8 | UInt64(b[i]) }
        return v
    }

    /// A length field: must fit in Int and in the bytes that are left.
    mutating func length(_ n: Int, signed: Bool, _ op: String) throws -> Int {
        let raw = try uint(n, op)
        if signed, n == 4, Int32(bitPattern: UInt32(raw)) < 0 {
            throw fail(.invalidNumber(opcode: op, text: "negative length \(Int32(bitPattern: UInt32(raw)))"))
        }
        let left = bytes.count - pos
        guard raw <= UInt64(left) else {
            throw fail(.truncated(opcode: op, needed: raw > UInt64(Int.max) ? Int.max : Int(raw), available: left))
        }
        return Int(raw)
    }

    mutating func line(_ op: String) throws -> String {
        guard let nl = bytes[pos...].firstIndex(of: 0x0A) else {
            throw fail(.truncated(opcode: op, needed: bytes.count - pos + 1, available: bytes.count - pos))
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[pos..<nl])
        pos = nl + 1
        guard let s = String(validating: raw, as: UTF8.self) else { throw fail(.invalidUTF8(opcode: op)) }
        return s
    }

    func utf8(_ raw: UnsafeRawBufferPointer, _ op: String) throws -> String {
        guard let s = String(validating: raw, as: UTF8.self) else { throw fail(.invalidUTF8(opcode: op)) }
        return s
    }

    /// Two's complement little-endian (LONG1 / LONG4): Int when it fits, else the raw bytes.
    func long(_ raw: UnsafeRawBufferPointer) -> PickleValue {
        guard !raw.isEmpty else { return .int(0) }
        let negative = raw[raw.count - 1] & 0x80 != 0
        let fill: UInt8 = negative ? 0xFF : 0
        // Fits in 64 bits if every byte past the 8th is sign extension and the sign agrees.
        if raw.count > 8 {
            let rest = raw[8...]
            guard rest.allSatisfy({ $0 == fill }), (raw[7] & 0x80 != 0) == negative else {
                return .bigInt(Array(raw))
            }
        }
        var v: UInt64 = negative ? ~0 : 0
        for i in (0..<min(raw.count, 8)).reversed() { v = v << 8 | UInt64(raw[i]) }
        if raw.count < 8 && negative { v |= ~0 << (8 * UInt64(raw.count)) }
        return .int(Int(Int64(bitPattern: v)))
    }

    // MARK: stack

    var frameBase: Int { marks.last ?? 0 }

    mutating func pop(_ op: String) throws -> PickleNode {
        guard stack.count > frameBase else { throw fail(.stackUnderflow(opcode: op)) }
        return stack.removeLast()
    }

    mutating func popToMark(_ op: String) throws -> [PickleNode] {
        guard let m = marks.popLast() else { throw fail(.missingMark(opcode: op)) }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    func top(_ op: String) throws -> PickleNode {
        guard stack.count > frameBase, let t = stack.last else { throw fail(.stackUnderflow(opcode: op)) }
        return t
    }

    func box(_ node: PickleNode, _ op: String, isDict: Bool) throws -> PickleBox {
        if case .box(let b) = node {
            switch b.kind {
            case .dict where isDict, .list where !isDict: return b
            default: break
            }
        }
        throw fail(.typeMismatch(opcode: op, expected: isDict ? "a dict" : "a list", found: node.kindName))
    }

    mutating func global(_ module: String, _ name: String) throws -> PickleNode {
        let g = PickleGlobal(module, name)
        guard policy.allowedGlobals.contains(g) else { throw fail(.refusedGlobal(g.description)) }
        return .leaf(.global(g))
    }

    /// REDUCE / NEWOBJ: never a call; an inert record, or one of the two data constructors.
    func apply(_ callee: PickleNode, _ args: PickleNode, _ op: String) throws -> PickleNode {
        guard case .leaf(.global(let g)) = callee else {
            throw fail(.typeMismatch(opcode: op, expected: "an allowed global", found: callee.kindName))
        }
        guard let argv = args.tupleItems else {
            throw fail(.typeMismatch(opcode: op, expected: "an argument tuple", found: args.kindName))
        }
        if g == PickleReader.orderedDict {
            let d = PickleBox(.dict)
            if let first = argv.first {   // OrderedDict([(k, v), ...]) from older picklers
                guard case .box(let l) = first, case .list = l.kind else {
                    throw fail(.typeMismatch(opcode: op, expected: "a list of pairs", found: first.kindName))
                }
                for pair in l.items {
                    guard let kv = pair.tupleItems, kv.count == 2 else {
                        throw fail(.typeMismatch(opcode: op, expected: "a (key, value) pair", found: pair.kindName))
                    }
                    d.setItem(kv[0], kv[1])
                }
            }
            return .box(d)
        }
        if g == PickleReader.codecsEncode {
            guard argv.count == 2, case .leaf(.string(let s)) = argv[0],
                  case .leaf(.string(let enc)) = argv[1], enc == "latin1" || enc == "latin-1" else {
                throw fail(.typeMismatch(opcode: op, expected: "_codecs.encode(str, 'latin1')", found: "other arguments"))
            }
            var out: [UInt8] = []
            out.reserveCapacity(s.unicodeScalars.count)
            for u in s.unicodeScalars {
                guard u.value < 256 else {
                    throw fail(.typeMismatch(opcode: op, expected: "latin-1 text", found: "U+\(String(u.value, radix: 16))"))
                }
                out.append(UInt8(u.value))
            }
            return .leaf(.bytes(out))
        }
        if PickleReader.setConstructors.contains(g) {
            let s = PickleBox(.set)
            if let first = argv.first {
                guard case .box(let l) = first, case .list = l.kind else {
                    throw fail(.typeMismatch(opcode: op, expected: "a list", found: first.kindName))
                }
                s.items = l.items
            }
            return .box(s)
        }
        let b = PickleBox(.object(g))
        b.items = argv
        return .box(b)
    }
}
