import GPT2Support

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

    /// Parses one JSON document that must span all of `bytes` (json-c via `GPT2Support.JSON`,
    /// strict RFC 8259 with UTF-8 validation, depth 64, nothing after the value).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> JSONValue {
        guard bytes.count <= Int(Int32.max) else {
            throw ParseError(message: "document larger than 2 GiB", offset: 0)
        }
        guard bytes.count > 0 else { throw ParseError(message: "empty document", offset: 0) }
        let options = JSONParseOptions(maxDepth: 64, strict: true, allowTrailingWhitespace: false)
        do {
            return JSONValue(try JSON.parse(bytes, options: options))
        } catch {
            switch error.kind {
            case .tooLarge: throw ParseError(message: "document larger than 2 GiB", offset: 0)
            case .outOfMemory: throw ParseError(message: "out of memory", offset: 0)
            case .unexpectedEnd: throw ParseError(message: "unexpected end of document", offset: error.offset)
            case .syntax(let why): throw ParseError(message: why, offset: error.offset)
            case .trailing, .duplicateKey:
                throw ParseError(message: "trailing bytes after the JSON document", offset: error.offset)
            }
        }
    }

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        let r = bytes.withUnsafeBytes { b in Result { () throws(ParseError) in try parse(b) } }
        return try r.get()
    }

    /// The metadata view of a parsed document: numbers as doubles, objects as dictionaries
    /// (json-c keeps the last of duplicate keys, and so does this).
    init(_ json: JSON) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(JSONValue.init))
        case .object(let pairs):
            var d: [String: JSONValue] = [:]
            for (k, v) in pairs { d[k] = JSONValue(v) }
            self = .object(d)
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
