import Foundation
import Testing
@testable import GPT2Checkpoints

/// The safe pickle reader against pickles written by Python's own `pickle` (fixtures from
/// Tools/make-fixtures-torch) and against hand-made hostile ones.
struct PickleReaderTests {
    static let dir = TestPaths.fixtures + "/torch"
    static let plain = PickleReader.Policy(allowedGlobals: [])

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
    }

    static func refusal(_ bytes: [UInt8], policy: PickleReader.Policy = TorchFile.policy) -> PickleError.Reason? {
        do {
            _ = try PickleReader.read(bytes, policy: policy)
            return nil
        } catch let e as PickleError {
            return e.reason
        } catch {
            return nil
        }
    }

    @Test(arguments: ["values-p2.pkl", "values-p5.pkl"])
    func pythonValues(_ name: String) throws {
        // The values Tools/make-fixtures-torch pickled, as Python wrote them.
        // Protocol 2 writes bytes as _codecs.encode(str, 'latin1') and sets as __builtin__.set(list).
        let policy = PickleReader.Policy(allowedGlobals: PickleReader.setConstructors.union([PickleReader.codecsEncode]))
        let v = try PickleReader.read(try Self.bytes(name), policy: policy)
        #expect(v["int"] == .int(7))
        #expect(v["neg"] == .int(-300))
        #expect(v["i64"] == .int(Int.min))
        // 1 << 70 needs 9 bytes of two's complement: 0x40 at byte 8.
        #expect(v["big"] == .bigInt([0, 0, 0, 0, 0, 0, 0, 0, 0x40]))
        #expect(v["bigneg"] == .bigInt([0, 0, 0, 0, 0, 0, 0, 0, 0xC0]))
        #expect(v["float"] == .float(0.1))
        #expect(v["str"] == .string("héllo 🙂"))
        #expect(v["bytes"] == .bytes([0, 255]))
        #expect(v["list"] == .list([.int(1), .list([.int(2), .int(3)])]))
        #expect(v["tuple"] == .tuple([.int(1), .int(2), .int(3), .int(4)]))
        #expect(v["none"] == PickleValue.none)
        #expect(v["t"] == .bool(true))
        #expect(v["f"] == .bool(false))
        #expect(v["set"] == .set([.int(5)]))
        #expect(v["nested"]?["a"]?["b"] == .list([.none]))
        #expect(v["empty"] == .dict([]))
        #expect(v.asDict?.count == 16)
    }

    @Test func sharedReferenceSeesFilledList() throws {
        // {"a": l, "b": l, "c": l}: b and c are memo GETs of a list filled after its PUT.
        let v = try PickleReader.read(try Self.bytes("shared-ref.pkl"), policy: Self.plain)
        for k in ["a", "b", "c"] { #expect(v[k] == .list([.int(1), .int(2)])) }
    }

    @Test func cycleIsALimitNotACrash() throws {
        guard case .limitExceeded = Self.refusal(try Self.bytes("cycle.pkl"), policy: Self.plain) else {
            Issue.record("a self-containing list must hit the depth limit")
            return
        }
    }

    @Test func expansionBudget() throws {
        // l0 = [0]; l1 = [l0, l0]; ... each level doubles the expanded tree: 2^40 nodes from
        // 200 bytes. The node budget stops it.
        var p: [UInt8] = [0x80, 0x02, 0x5D, 0x4B, 0x00, 0x61, 0x71, 0x00]   // [0] -> memo 0
        for i in 0..<40 {   // ] ( get i get i APPENDS put i+1
            p += [0x5D, 0x28, 0x68, UInt8(i), 0x68, UInt8(i), 0x65, 0x71, UInt8(i + 1)]
        }
        p += [0x2E]
        let small = PickleReader.Policy(allowedGlobals: [], maxNodes: 1 << 16)
        #expect(Self.refusal(p, policy: small) == .limitExceeded(what: "number of values after expanding shared references", limit: 1 << 16))
    }

    @Test func refusesOSSystem() throws {
        let reason = Self.refusal(try Self.bytes("os-system.pkl"))
        #expect(reason == .refusedGlobal("os.system"))
    }

    @Test func refusesBuiltinsEvalViaStackGlobal() throws {
        #expect(Self.refusal(try Self.bytes("builtins-eval.pkl")) == .refusedGlobal("builtins.eval"))
    }

    @Test func refusesInstAndUnknownGlobalByName() {
        // INST 'subprocess\nPopen\n' with a MARK: named before anything else happens.
        let inst = Array("(isubprocess\nPopen\n.".utf8)
        #expect(Self.refusal(inst) == .refusedGlobal("subprocess.Popen"))
        let real: [UInt8] = [0x80, 0x02] + Array("ctorch.nn.modules.linear\nLinear\n.".utf8)
        #expect(Self.refusal(real) == .refusedGlobal("torch.nn.modules.linear.Linear"))
    }

    @Test func errorDescriptionNamesTheGlobalAndFile() throws {
        do {
            _ = try TorchFile.unpickle("x.pkl") { try PickleReader.read(try Self.bytes("os-system.pkl"), policy: TorchFile.policy) }
            Issue.record("must throw")
        } catch let e as PickleError {
            #expect(e.file == "x.pkl")
            #expect(e.offset == 2)
            #expect(e.description.contains("os.system"))
            #expect(e.description.contains("HINT"))
        }
    }

    @Test func malformedPickles() {
        let p: [UInt8] = [0x80, 0x02]
        #expect(Self.refusal(p + [0x2E]) == .stackUnderflow(opcode: "STOP"))
        #expect(Self.refusal(p + [0x4B, 1, 0x73, 0x2E]) == .stackUnderflow(opcode: "SETITEM"))
        #expect(Self.refusal(p + [0x4B, 1, 0x74]) == .missingMark(opcode: "TUPLE"))
        #expect(Self.refusal(p + [0x68, 7, 0x2E]) == .memoMiss(7))
        #expect(Self.refusal(p + [0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E]) == .memoMiss(0xFFFF_FFFF))
        #expect(Self.refusal(p + [0x4B, 1]) == .missingStop)
        #expect(Self.refusal(p + [0xFF]) == .unknownOpcode(0xFF))
        #expect(Self.refusal([0x80, 9, 0x4E, 0x2E]) == .unsupportedProtocol(9))
        #expect(Self.refusal(p + [0x82, 1, 0x2E]) == .unsupportedOpcode("EXT1"))
        // A MARK inside the frame: items below it are out of reach (Python's stack underflow).
        #expect(Self.refusal(p + [0x4B, 1, 0x28, 0x85, 0x2E]) == .stackUnderflow(opcode: "TUPLE1"))
        // APPEND to a dict, SETITEM on a list, REDUCE on a non-global, BUILD on an int.
        #expect(Self.refusal(p + [0x7D, 0x4B, 1, 0x61, 0x2E]) == .typeMismatch(opcode: "APPEND", expected: "a list", found: "dict"))
        #expect(Self.refusal(p + [0x5D, 0x4B, 1, 0x4B, 2, 0x73, 0x2E]) == .typeMismatch(opcode: "SETITEM", expected: "a dict", found: "list"))
        #expect(Self.refusal(p + [0x4B, 1, 0x29, 0x52, 0x2E]) == .typeMismatch(opcode: "REDUCE", expected: "an allowed global", found: "int"))
        #expect(Self.refusal(p + [0x4B, 1, 0x7D, 0x62, 0x2E]) == .typeMismatch(opcode: "BUILD", expected: "an object or dict", found: "int"))
        // Lengths larger than what is left, including 64-bit ones, fail before allocating.
        #expect(Self.refusal(p + [0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x41]) == .truncated(opcode: "BINUNICODE", needed: 0x7FFF_FFFF, available: 1))
        #expect(Self.refusal(p + [0x8E] + [UInt8](repeating: 0xFF, count: 8)) == .truncated(opcode: "BINBYTES8", needed: Int.max, available: 0))
        #expect(Self.refusal(p + [0x8B, 0xFF, 0xFF, 0xFF, 0xFF]) == .invalidNumber(opcode: "LONG4", text: "negative length -1"))
        #expect(Self.refusal(p + [0x58, 2, 0, 0, 0, 0xC3, 0x28, 0x2E]) == .invalidUTF8(opcode: "BINUNICODE"))
        #expect(Self.refusal(p + Array("I12x\n.".utf8)) == .invalidNumber(opcode: "INT", text: "12x"))
        #expect(Self.refusal(p + Array("cos".utf8)) == .truncated(opcode: "GLOBAL", needed: 3, available: 2))
    }

    @Test func deepNestingIsALimit() {
        // [[[...]]] 300 deep: 300 empty lists, each APPENDed into the one below it.
        var p: [UInt8] = [0x80, 0x02]
        for _ in 0..<300 { p.append(0x5D) }          // 300 lists on the stack
        for _ in 0..<299 { p.append(0x61) }          // append each into the one below
        p.append(0x2E)
        #expect(Self.refusal(p, policy: Self.plain) == .limitExceeded(what: "nesting depth (or a cyclic structure)", limit: 256))
    }

    @Test func deepChainsAreTornDownWithoutRecursion() {
        // 200k nested tuples / persistent ids / lists: refused at the depth limit, and the
        // half-built graph is released iteratively (recursive release would overflow the stack).
        let n = 200_000
        let tuples: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: n) + [0x2E]
        let pids: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x51, count: n) + [0x2E]
        let lists: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: n) + [UInt8](repeating: 0x61, count: n - 1) + [0x2E]
        for p in [tuples, pids, lists] {
            #expect(Self.refusal(p, policy: Self.plain) == .limitExceeded(what: "nesting depth (or a cyclic structure)", limit: 256))
        }
        // Same chains cut short of STOP: the error is different, the teardown the same.
        #expect(Self.refusal(Array(lists.dropLast()), policy: Self.plain) == .missingStop)
    }

    @Test func truncatedAtEveryOffset() throws {
        // Every proper prefix of real pickles is refused with a typed error (never a crash,
        // never a silently shorter value).
        for name in ["values-p2.pkl", "values-p5.pkl", "shared-ref.pkl"] {
            let b = try Self.bytes(name)
            for n in 0..<b.count {
                let reason = Self.refusal(Array(b[0..<n]), policy: Self.plain)
                #expect(reason != nil, "\(name) truncated to \(n) bytes was accepted")
            }
        }
    }

    @Test func codecsEncodeAndOrderedDict() {
        // Protocol 2 spells bytes as _codecs.encode('\u{ff}', 'latin1'); OrderedDict([(k, v)]).
        var p: [UInt8] = [0x80, 0x02]
        p += Array("c_codecs\nencode\n".utf8) + [0x58, 2, 0, 0, 0, 0xC3, 0xBF, 0x58, 6, 0, 0, 0] + Array("latin1".utf8) + [0x86, 0x52]
        p += Array("ccollections\nOrderedDict\n".utf8) + [0x5D, 0x4B, 1, 0x4B, 2, 0x86, 0x61, 0x85, 0x52]
        p += [0x86, 0x2E]
        let v = try? PickleReader.read(p, policy: TorchFile.policy)
        #expect(v == .tuple([.bytes([0xFF]), .dict([PickleDictEntry(key: .int(1), value: .int(2))])]))
    }
}
