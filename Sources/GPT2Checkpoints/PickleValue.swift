/// The value tree a pickle describes, built by `PickleReader` without running any Python.
///
/// Python objects map onto plain cases; calls to the few allowed globals (see
/// `PickleReader.Policy`) stay inert `.object` records for the caller to interpret (e.g. the
/// torch layer turns `torch._utils._rebuild_tensor_v2(...)` into a tensor reference).
indirect enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    /// An int wider than 64 bits (LONG1/LONG4/LONG): little-endian two's complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list([PickleValue])
    case set([PickleValue])
    /// dict and collections.OrderedDict, entries in insertion order (later SETITEM of an equal
    /// key replaces the value in place, like Python).
    case dict([PickleDictEntry])
    /// A reference to an allowed global that was never called (e.g. `torch.FloatStorage`).
    case global(PickleGlobal)
    /// The inert result of REDUCE / NEWOBJ on an allowed global, with BUILD's state if any.
    case object(PickleObject)
    /// A persistent id (BINPERSID / PERSID): torch uses it to point at tensor storages.
    case persistent(PickleValue)

    var asInt: Int? { if case .int(let v) = self { return v } else { return nil } }
    var asString: String? { if case .string(let v) = self { return v } else { return nil } }
    var asBool: Bool? { if case .bool(let v) = self { return v } else { return nil } }
    /// float, or int widened to Double (Python code often mixes them).
    var asDouble: Double? {
        switch self {
        case .float(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }
    /// Items of a tuple or list.
    var asSequence: [PickleValue]? {
        switch self {
        case .tuple(let v), .list(let v): return v
        default: return nil
        }
    }
    var asDict: [PickleDictEntry]? { if case .dict(let v) = self { return v } else { return nil } }

    /// Value of a dict entry whose key is the string `key` (nil if absent or not a dict).
    subscript(key: String) -> PickleValue? {
        guard case .dict(let entries) = self else { return nil }
        for e in entries where e.key == .string(key) { return e.value }
        return nil
    }

    /// Short name of the case, for error messages ("expected a dict, found a list").
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .set: return "set"
        case .dict: return "dict"
        case .global(let g): return "global \(g)"
        case .object(let o): return "\(o.callee) object"
        case .persistent: return "persistent id"
        }
    }
}

struct PickleDictEntry: Sendable, Equatable {
    var key: PickleValue
    var value: PickleValue
    init(key: PickleValue, value: PickleValue) {
        self.key = key
        self.value = value
    }
}

/// `module.name` of a global, e.g. `torch._utils._rebuild_tensor_v2`.
struct PickleGlobal: Sendable, Hashable, CustomStringConvertible {
    var module: String
    var name: String
    init(_ module: String, _ name: String) {
        self.module = module
        self.name = name
    }
    var description: String { "\(module).\(name)" }
}

/// A call `callee(*args)` recorded instead of performed; `state` is what BUILD passed.
struct PickleObject: Sendable, Equatable {
    var callee: PickleGlobal
    var args: [PickleValue]
    var state: PickleValue?
    init(callee: PickleGlobal, args: [PickleValue], state: PickleValue? = nil) {
        self.callee = callee
        self.args = args
        self.state = state
    }
}
