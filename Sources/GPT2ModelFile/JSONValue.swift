import CJSONC

/// A JSON document as a value: what the model file's metadata is made of.
///
/// Parsed with json-c (strict mode, depth-limited), then copied into Swift values so no json-c
/// object outlives `parse`. Serialised by `serialized()` (compact, keys sorted so the same
/// metadata always gives the same bytes and the same header checksum).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var doubleValue: Double? { if case .number(let d) = self { return d }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }

    /// An integer value, only if the number is integral and in range.
    public var intValue: Int? {
        guard case .number(let d) = self, d.rounded() == d, abs(d) <= 9_007_199_254_740_992 else { return nil }
        return Int(d)
    }

    /// Why parsing failed: json-c's message and the byte offset where it stopped.
    public struct ParseError: Error, Sendable, Equatable {
        public var message: String
        public var offset: Int
    }

    /// Parses one JSON document that must span all of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> JSONValue {
        guard bytes.count <= Int(Int32.max) else {
            throw ParseError(message: "document larger than 2 GiB", offset: 0)
        }
        guard let tok = json_tokener_new_ex(64) else {
            throw ParseError(message: "out of memory", offset: 0)
        }
        defer { json_tokener_free(tok) }
        json_tokener_set_flags(tok, Int32(JSON_TOKENER_STRICT) | Int32(JSON_TOKENER_VALIDATE_UTF8))
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw ParseError(message: "empty document", offset: 0)
        }
        let obj = json_tokener_parse_ex(tok, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        let err = json_tokener_get_error(tok)
        let stopped = Int(json_tokener_get_parse_end(tok))
        guard let obj, err == json_tokener_success else {
            if let obj { json_object_put(obj) }
            let msg = err == json_tokener_continue ? "unexpected end of document"
                : String(cString: json_tokener_error_desc(err))
            throw ParseError(message: msg, offset: stopped)
        }
        defer { json_object_put(obj) }
        guard stopped == bytes.count else {
            throw ParseError(message: "trailing bytes after the JSON document", offset: stopped)
        }
        return convert(obj)
    }

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        let r = bytes.withUnsafeBytes { b in Result { () throws(ParseError) in try parse(b) } }
        return try r.get()
    }

    private static func convert(_ o: OpaquePointer?) -> JSONValue {
        guard let o else { return .null }
        switch json_object_get_type(o) {
        case json_type_null: return .null
        case json_type_boolean: return .bool(json_object_get_boolean(o) != 0)
        case json_type_int:
            return .number(Double(json_object_get_int64(o)))
        case json_type_double: return .number(json_object_get_double(o))
        case json_type_string:
            let n = Int(json_object_get_string_len(o))
            let p = json_object_get_string(o)!
            return .string(p.withMemoryRebound(to: UInt8.self, capacity: n) {
                String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
            })
        case json_type_array:
            let n = json_object_array_length(o)
            var a: [JSONValue] = []
            a.reserveCapacity(n)
            for i in 0..<n { a.append(convert(json_object_array_get_idx(o, i))) }
            return .array(a)
        case json_type_object:
            var d: [String: JSONValue] = [:]
            var it = json_object_iter_begin(o)
            var end = json_object_iter_end(o)
            while json_object_iter_equal(&it, &end) == 0 {
                let k = String(cString: json_object_iter_peek_name(&it))
                d[k] = convert(json_object_iter_peek_value(&it))
                json_object_iter_next(&it)
            }
            return .object(d)
        default: return .null
        }
    }

    /// Compact JSON with sorted keys.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .number(let d):
            if d.rounded() == d && abs(d) < 1e15 { out += Array(String(Int64(d)).utf8) }
            else if d.isFinite { out += Array("\(d)".utf8) }
            else { out += Array("null".utf8) }
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                o[k]!.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
