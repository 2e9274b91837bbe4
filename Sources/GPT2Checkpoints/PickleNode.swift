/// The unpickler's working objects. Python containers are mutable and shared through the memo
/// (a dict is PUT into the memo empty, then filled by SETITEMS; a later GET must see the
/// filled dict), so containers live in reference boxes while the pickle runs, and
/// `PickleFreezer` turns the finished graph into the immutable `PickleValue` tree.
///
/// Tuples and persistent ids are boxes too, though immutable: then every nested structure is
/// made of boxes, and `PickleBox.teardown` can take a hostile graph apart iteratively (a chain
/// of a million nested tuples would otherwise be released recursively and overflow the stack).
enum PickleNode {
    case leaf(PickleValue)          // scalars, str, bytes, globals: already immutable
    case box(PickleBox)

    static func tuple(_ items: [PickleNode]) -> PickleNode {
        let b = PickleBox(.tuple)
        b.items = items
        return .box(b)
    }

    static func persistent(_ pid: PickleNode) -> PickleNode {
        let b = PickleBox(.persistent)
        b.items = [pid]
        return .box(b)
    }

    /// Items of a tuple node, nil for anything else.
    var tupleItems: [PickleNode]? {
        if case .box(let b) = self, case .tuple = b.kind { return b.items }
        return nil
    }

    var kindName: String {
        switch self {
        case .leaf(let v): return v.kindName
        case .box(let b): return b.kindName
        }
    }
}

/// Hashable form of the dict keys state dicts use (str, int, bool, bytes), so SETITEM can
/// replace an existing key in O(1) like Python. Python's `True == 1 == 1.0`: bools and
/// integral floats fold onto ints. Other keys (tuples…) are appended without de-duplication.
enum PickleKey: Hashable {
    case str(String), int(Int), bytes([UInt8]), none

    init?(_ node: PickleNode) {
        guard case .leaf(let v) = node else { return nil }
        switch v {
        case .string(let s): self = .str(s)
        case .int(let i): self = .int(i)
        case .bool(let b): self = .int(b ? 1 : 0)
        case .float(let d):
            guard d.rounded() == d, let i = Int(exactly: d) else { return nil }
            self = .int(i)
        case .bytes(let b): self = .bytes(b)
        case .none: self = .none
        default: return nil
        }
    }
}

final class PickleBox {
    enum Kind { case list, dict, set, tuple, persistent, object(PickleGlobal) }
    let kind: Kind
    var items: [PickleNode] = []          // list/set items, dict keys, object args
    var values: [PickleNode] = []         // dict values
    var keyIndex: [PickleKey: Int] = [:]  // dict key -> position in items/values
    var state: PickleNode?                // object state from BUILD

    init(_ kind: Kind) { self.kind = kind }

    var kindName: String {
        switch kind {
        case .list: return "list"
        case .dict: return "dict"
        case .set: return "set"
        case .tuple: return "tuple"
        case .persistent: return "persistent id"
        case .object(let g): return "\(g) object"
        }
    }

    /// Empties every box reachable from `roots` with a work list instead of recursion, which
    /// also breaks the reference cycles a pickle can build (a list appended to itself).
    /// A shared box is emptied once; later visits find nothing left to do.
    static func teardown(_ roots: [PickleNode]) {
        var work = roots
        while let n = work.popLast() {
            guard case .box(let b) = n else { continue }
            work.append(contentsOf: b.items)
            work.append(contentsOf: b.values)
            if let s = b.state { work.append(s) }
            b.items = []
            b.values = []
            b.keyIndex = [:]
            b.state = nil
        }
    }

    var isDict: Bool { if case .dict = kind { return true } else { return false } }

    func setItem(_ key: PickleNode, _ value: PickleNode) {
        if let k = PickleKey(key) {
            if let i = keyIndex[k] {
                values[i] = value
                return
            }
            keyIndex[k] = items.count
        }
        items.append(key)
        values.append(value)
    }
}

/// Turns the node graph into a tree. The graph may share nodes (memo GETs) or even contain
/// cycles (a list appended to itself), so expansion is bounded by a depth and a total node
/// budget instead of trusting the input.
struct PickleFreezer {
    let maxDepth: Int
    let maxNodes: Int
    var budget: Int
    let offset: Int

    init(maxDepth: Int, maxNodes: Int, offset: Int) {
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.budget = maxNodes
        self.offset = offset
    }

    mutating func freeze(_ node: PickleNode, depth: Int = 0) throws -> PickleValue {
        guard depth < maxDepth else {
            throw PickleError(.limitExceeded(what: "nesting depth (or a cyclic structure)", limit: maxDepth),
                              offset: offset)
        }
        budget -= 1
        guard budget >= 0 else {
            throw PickleError(.limitExceeded(what: "number of values after expanding shared references",
                                             limit: maxNodes), offset: offset)
        }
        switch node {
        case .leaf(let v):
            return v
        case .box(let b):
            let items = try b.items.map { try freeze($0, depth: depth + 1) }
            switch b.kind {
            case .tuple: return .tuple(items)
            case .persistent: return .persistent(items[0])
            case .list: return .list(items)
            case .set: return .set(items)
            case .dict:
                var entries: [PickleDictEntry] = []
                entries.reserveCapacity(items.count)
                for (k, v) in zip(items, b.values) {
                    entries.append(PickleDictEntry(key: k, value: try freeze(v, depth: depth + 1)))
                }
                return .dict(entries)
            case .object(let g):
                let state = try b.state.map { try freeze($0, depth: depth + 1) }
                return .object(PickleObject(callee: g, args: items, state: state))
            }
        }
    }
}
