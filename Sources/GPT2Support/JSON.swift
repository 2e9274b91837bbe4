import CJSONC

/// A JSON document as a Swift value: the package's one json-c wrapper that builds a tree.
///
/// json-c parses (https://json-c.github.io/json-c/ ; depth-limited, optionally strict RFC 8259 +
/// UTF-8 validation), then the tree is copied into Swift values at once, so no json-c handle
/// outlives `parse` (the tokener and the tree are freed before returning). Objects keep their
/// keys in document order; integers and doubles stay apart (`1` is `.int`, `1.0` `.double`).
/// An integer above `Int64.max` (up to `UInt64.max`, as json-c reads it) is `.uint`, so a 64-bit
/// seed or generator state survives a round trip.
///
/// (The tokenizer's encoder.json fast path, `StringIDObjectParser`, does not use json-c at all:
/// it is a measured hot path of vocabulary loading.)
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer above `Int64.max` (smaller non-negative integers are `.int`).
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(key: String, value: JSON)])

    /// Structural equality: same cases, same values, objects with the same keys in the same order.
    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.uint(x), .uint(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Value of `key` in an object (first occurrence), nil otherwise.
    public subscript(key: String) -> JSON? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    /// An integer, or a double that is a whole number in `Int` range; nil otherwise.
    public var intValue: Int? {
        switch self {
        case .int(let v): return Int(exactly: v)
        case .uint(let v): return Int(exactly: v)
        case .double(let d): return d.rounded() == d ? Int(exactly: d) : nil
        default: return nil
        }
    }
    /// A JSON integer in `UInt64` range (`.int` >= 0 or `.uint`); nil for anything else, doubles
    /// included (a 64-bit seed or state must be written as digits).
    public var uint64Value: UInt64? {
        switch self {
        case .int(let v): return UInt64(exactly: v)
        case .uint(let v): return v
        default: return nil
        }
    }
    /// Only a JSON integer (json-c's int type): `1.0` or `"1"` is not one (token ids must be).
    public var integerValue: Int? {
        switch self {
        case .int(let v): return Int(exactly: v)
        case .uint(let v): return Int(exactly: v)
        default: return nil
        }
    }

    /// json-c's name of the type ("null", "boolean", "double", "int", "object", "array",
    /// "string"), for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .uint: return "int"
        case .double: return "double"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Any number as a Double; nil for other values.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .uint(let v): return Double(v)
        case .double(let d): return d
        default: return nil
        }
    }
    /// Any number rounded to the nearest Float (what `number(_: Float)` wrote reads back as the
    /// Float it was); nil for other values.
    public var floatValue: Float? { doubleValue.map { Float($0) } }
    /// The string, if this is one.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The boolean, if this is one.
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    /// The elements, if this is an array.
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    /// The members in document order, if this is an object.
    public var objectValue: [(key: String, value: JSON)]? {
        if case .object(let o) = self { return o } else { return nil }
    }
}

/// How `JSON.parse` reads a document.
public struct JSONParseOptions: Sendable {
    /// Nesting limit handed to json-c (deeper documents fail with `.syntax`).
    public var maxDepth: Int32
    /// json-c's strict mode (RFC 8259 only: no comments, no trailing commas) plus UTF-8 checks.
    public var strict: Bool
    /// Whether whitespace may follow the value (safetensors pads its header with spaces). Outside
    /// strict mode json-c skips whitespace after the value itself, so `false` bites in strict mode.
    public var allowTrailingWhitespace: Bool
    /// Refuse an object at the top level that names a key twice (json-c keeps the last one).
    public var rejectDuplicateTopLevelKeys: Bool

    /// Options with json-c's defaults: depth 64, lenient, whitespace allowed after the value.
    public init(maxDepth: Int32 = 64, strict: Bool = false, allowTrailingWhitespace: Bool = true,
                rejectDuplicateTopLevelKeys: Bool = false) {
        self.maxDepth = maxDepth
        self.strict = strict
        self.allowTrailingWhitespace = allowTrailingWhitespace
        self.rejectDuplicateTopLevelKeys = rejectDuplicateTopLevelKeys
    }
}

/// Why `JSON.parse` failed and where (`offset` is relative to the parsed bytes; each module adds
/// its file offset and turns this into its own error type).
public struct JSONError: Error, Sendable, Equatable {
    /// The kinds of failure.
    public enum Kind: Sendable, Equatable {
        /// More than json-c's C-int length limit.
        case tooLarge
        case outOfMemory
        /// The bytes end inside the value (or are empty).
        case unexpectedEnd
        /// json-c's description of the syntax error.
        case syntax(String)
        /// This non-whitespace byte (or, when whitespace is not allowed, any byte) follows the value.
        case trailing(UInt8)
        case duplicateKey(String)
    }
    /// What went wrong.
    public let kind: Kind
    /// Byte offset in the parsed bytes where parsing stopped.
    public let offset: Int

    /// An error of `kind` at `offset`.
    public init(_ kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }
}

extension JSON {
    /// Parses one whole document.
    public static func parse(_ bytes: UnsafeRawBufferPointer,
                             options: JSONParseOptions = JSONParseOptions()) throws(JSONError) -> JSON {
        guard bytes.count <= Int(Int32.max) else { throw JSONError(.tooLarge, offset: 0) }
        guard let tok = json_tokener_new_ex(options.maxDepth) else { throw JSONError(.outOfMemory, offset: 0) }
        defer { json_tokener_free(tok) }
        if options.strict {
            json_tokener_set_flags(tok, Int32(JSON_TOKENER_STRICT) | Int32(JSON_TOKENER_VALIDATE_UTF8))
        }
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        var empty: CChar = 0
        var obj = json_tokener_parse_ex(tok, base ?? withUnsafeMutablePointer(to: &empty) { UnsafePointer($0) },
                                        Int32(bytes.count))
        var err = json_tokener_get_error(tok)
        var end = Int(json_tokener_get_parse_end(tok))
        if obj == nil, err == json_tokener_continue, bytes.count > 0 {
            // A number (or literal) that ends the input is complete only once something follows
            // it: json-c takes a NUL as the end. A document that is really cut short still fails.
            obj = json_tokener_parse_ex(tok, withUnsafeMutablePointer(to: &empty) { UnsafePointer($0) }, 1)
            guard json_tokener_get_error(tok) == json_tokener_success else {
                if let o = obj { json_object_put(o) }
                throw JSONError(.unexpectedEnd, offset: end)
            }
            end = bytes.count
            err = json_tokener_success
        }
        // Success with no object is a `null` document (json-c's null is the NULL pointer).
        guard err == json_tokener_success else {
            if let obj { json_object_put(obj) }
            if err == json_tokener_continue { throw JSONError(.unexpectedEnd, offset: end) }
            throw JSONError(.syntax(String(cString: json_tokener_error_desc(err))), offset: end)
        }
        defer { if let obj { json_object_put(obj) } }
        for i in end..<bytes.count where !(options.allowTrailingWhitespace && isSpace(bytes[i])) {
            throw JSONError(.trailing(bytes[i]), offset: i)
        }
        let value = convert(obj)
        if options.rejectDuplicateTopLevelKeys, let dup = duplicateTopLevelKey(bytes) {
            throw JSONError(.duplicateKey(dup), offset: 0)
        }
        return value
    }

    /// Parses one whole document held in an array.
    public static func parse(_ bytes: [UInt8], options: JSONParseOptions = JSONParseOptions()) throws(JSONError) -> JSON {
        let r = bytes.withUnsafeBytes { b in Result { () throws(JSONError) in try parse(b, options: options) } }
        return try r.get()
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09 }

    private static func convert(_ o: OpaquePointer?) -> JSON {
        guard let o else { return .null }
        switch json_object_get_type(o) {
        case json_type_null: return .null
        case json_type_boolean: return .bool(json_object_get_boolean(o) != 0)
        case json_type_int:
            // json-c keeps integers above INT64_MAX as uint64; get_int64 would clamp them.
            let i = json_object_get_int64(o)
            let u = i == Int64.max ? json_object_get_uint64(o) : 0
            return u > UInt64(Int64.max) ? .uint(u) : .int(i)
        case json_type_double: return .double(json_object_get_double(o))
        case json_type_string:
            let n = Int(json_object_get_string_len(o))
            guard let p = json_object_get_string(o) else { return .string("") }
            return .string(p.withMemoryRebound(to: UInt8.self, capacity: n) {
                String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
            })
        case json_type_array:
            let n = json_object_array_length(o)
            var out: [JSON] = []
            out.reserveCapacity(n)
            for i in 0..<n { out.append(convert(json_object_array_get_idx(o, i))) }
            return .array(out)
        case json_type_object:
            var out: [(key: String, value: JSON)] = []
            var it = json_object_iter_begin(o)
            var end = json_object_iter_end(o)
            while json_object_iter_equal(&it, &end) == 0 {
                let key = String(cString: json_object_iter_peek_name(&it))
                out.append((key, convert(json_object_iter_peek_value(&it))))
                json_object_iter_next(&it)
            }
            return .object(out)
        default: return .null
        }
    }

    /// First key that occurs twice in the top-level object of valid JSON `bytes`, if any.
    /// A string-aware scan (json-c has already validated the syntax): a string at depth 1 followed
    /// by `:` is a key. Keys are compared in their escaped form.
    static func duplicateTopLevelKey(_ bytes: UnsafeRawBufferPointer) -> String? {
        var seen = Set<[UInt8]>()
        var depth = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let start = i + 1
                i += 1
                while i < n && bytes[i] != UInt8(ascii: "\"") {
                    i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                let key = Array(bytes[start..<min(i, n)])
                i += 1
                if depth == 1 {
                    var j = i
                    while j < n && isSpace(bytes[j]) { j += 1 }
                    if j < n && bytes[j] == UInt8(ascii: ":") && !seen.insert(key).inserted {
                        return String(decoding: key, as: UTF8.self)
                    }
                }
                continue
            }
            if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
            if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") { depth -= 1 }
            i += 1
        }
        return nil
    }
}
