/// Building and writing JSON documents: what model-file metadata, `--json` output and the
/// Hugging Face export are made of.
///
/// `serialized()` is deterministic (compact, object keys sorted), so the same metadata always
/// gives the same bytes and the same header checksum. The builders produce the values that
/// parsing those bytes gives back (`.number(3)` is `.int(3)`, objects in sorted key order), so a
/// written-then-read document compares equal to the one written.
extension JSON {
    /// Whole numbers below this magnitude are written as integers (`2`, not `2.0`); it is below
    /// 2^53, so every such Double is exact.
    static let integralLimit: Double = 1e15

    /// A number: `.int` when `d` is whole and below 1e15 in magnitude (written as digits),
    /// else `.double`.
    public static func number(_ d: Double) -> JSON {
        d.rounded() == d && abs(d) < integralLimit ? .int(Int64(d)) : .double(d)
    }

    /// An integer.
    public static func number(_ i: Int) -> JSON { .int(Int64(i)) }

    /// A Float through its shortest text, so the document says `1e-05`, not
    /// `9.99999974737875e-06` (the number Foundation's JSONEncoder writes for a Float, and the
    /// one `floatValue` reads back as the same Float).
    public static func number(_ f: Float) -> JSON { number(Double("\(f)") ?? Double(f)) }

    /// An unsigned 64-bit integer: `.int` up to `Int64.max`, `.uint` above (the form parsing gives).
    public static func number(_ u: UInt64) -> JSON { u <= UInt64(Int64.max) ? .int(Int64(u)) : .uint(u) }

    /// An object from a dictionary, its members in sorted key order (the order `serialized()`
    /// writes and parsing gives back).
    public static func object(_ members: [String: JSON]) -> JSON {
        .object(members.keys.sorted().map { (key: $0, value: members[$0]!) })
    }

    /// The members of an object as a dictionary (of a key given twice, the last), nil otherwise.
    public var dictionaryValue: [String: JSON]? {
        guard case .object(let pairs) = self else { return nil }
        var d: [String: JSON] = [:]
        d.reserveCapacity(pairs.count)
        for (k, v) in pairs { d[k] = v }
        return d
    }

    /// Compact JSON text with object keys sorted (of a key given twice, the last value is
    /// written). Whole doubles below 1e15 are written as integers, non-finite ones as `null`.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .int(let i): out += Array(String(i).utf8)
        case .uint(let u): out += Array(String(u).utf8)
        case .double(let d):
            if d.rounded() == d && abs(d) < JSON.integralLimit { out += Array(String(Int64(d)).utf8) }
            else if d.isFinite { out += Array("\(d)".utf8) }
            else { out += Array("null".utf8) }
        case .string(let s): JSON.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            let o = dictionaryValue!
            out.append(UInt8(ascii: "{"))
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(k, into: &out)
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
