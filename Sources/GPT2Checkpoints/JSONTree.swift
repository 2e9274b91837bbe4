import GPT2Support
import CJSONC

/// A JSON document as a Swift value, parsed by json-c and converted at once, so no json-c handle
/// outlives the parse (the tokener and the tree are freed before returning).
///
/// Objects keep their keys in document order. Duplicate keys at the top level are reported
/// (json-c silently keeps the last one; a safetensors header with two entries of one name must
/// be refused, not half-read).
public indirect enum JSONTree: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONTree])
    case object([(key: String, value: JSONTree)])

    public static func == (a: JSONTree, b: JSONTree) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Value of `key` in an object (first occurrence), nil otherwise.
    public subscript(key: String) -> JSONTree? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    public var intValue: Int? {
        switch self {
        case .int(let v): return Int(exactly: v)
        case .double(let d): return d.rounded() == d ? Int(exactly: d) : nil
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let d): return d
        default: return nil
        }
    }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONTree]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [(key: String, value: JSONTree)]? {
        if case .object(let o) = self { return o } else { return nil }
    }

    /// Parses a whole document; only whitespace may follow it (safetensors pads with spaces).
    /// `origin` is the file offset of `bytes[0]`, for error offsets.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String, origin: Int = 0,
                             maxDepth: Int32 = 64) throws -> JSONTree {
        guard let tok = json_tokener_new_ex(maxDepth) else {
            throw CheckpointError(.io, file: file, offset: origin, "json-c: out of memory")
        }
        defer { json_tokener_free(tok) }
        guard bytes.count <= Int(Int32.max) else {
            throw CheckpointError(.headerTooLarge, file: file, offset: origin,
                                  "JSON of \(bytes.count) bytes is larger than json-c accepts")
        }
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        var empty: CChar = 0
        let obj = json_tokener_parse_ex(tok, base ?? withUnsafeMutablePointer(to: &empty) { UnsafePointer($0) },
                                        Int32(bytes.count))
        let err = json_tokener_get_error(tok)
        guard err == json_tokener_success, let obj else {
            let at = Int(json_tokener_get_parse_end(tok))
            let why = err == json_tokener_continue ? "unexpected end of JSON"
                : String(cString: json_tokener_error_desc(err))
            if let obj { json_object_put(obj) }
            throw CheckpointError(.badJSON, file: file, offset: origin + at, "invalid JSON: \(why)",
                                  hint: "the file is truncated or not JSON")
        }
        defer { json_object_put(obj) }
        let end = Int(json_tokener_get_parse_end(tok))
        for i in end..<bytes.count where !isSpace(bytes[i]) {
            throw CheckpointError(.badJSON, file: file, offset: origin + i,
                                  "unexpected byte 0x\(String(bytes[i], radix: 16)) after the JSON value")
        }
        let value = convert(obj)
        if let dup = duplicateTopLevelKey(bytes) {
            throw CheckpointError(.duplicateName, file: file, offset: origin,
                                  "key \"\(dup)\" occurs more than once",
                                  hint: "every tensor name must be unique")
        }
        return value
    }

    public static func parse(_ bytes: [UInt8], file: String, origin: Int = 0) throws -> JSONTree {
        try bytes.withUnsafeBytes { try parse($0, file: file, origin: origin) }
    }

    /// Reads and parses a small JSON file (config.json, hparams.json, index.json).
    public static func parse(fileAt path: String, maxBytes: Int = 64 << 20) throws -> JSONTree {
        let f = try MappedFile.checkpoint(path)
        guard f.count <= maxBytes else {
            throw CheckpointError(.headerTooLarge, file: path, "\(f.count) bytes, more than \(maxBytes) allowed for this JSON file")
        }
        return try f.withUnsafeBytes { try parse($0, file: path) }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09 }

    private static func convert(_ o: OpaquePointer?) -> JSONTree {
        guard let o else { return .null }
        switch json_object_get_type(o) {
        case json_type_null: return .null
        case json_type_boolean: return .bool(json_object_get_boolean(o) != 0)
        case json_type_int: return .int(json_object_get_int64(o))
        case json_type_double: return .double(json_object_get_double(o))
        case json_type_string:
            let n = Int(json_object_get_string_len(o))
            guard let p = json_object_get_string(o) else { return .string("") }
            return .string(p.withMemoryRebound(to: UInt8.self, capacity: n) {
                String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
            })
        case json_type_array:
            let n = json_object_array_length(o)
            var out: [JSONTree] = []
            out.reserveCapacity(n)
            for i in 0..<n { out.append(convert(json_object_array_get_idx(o, i))) }
            return .array(out)
        case json_type_object:
            var out: [(key: String, value: JSONTree)] = []
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
