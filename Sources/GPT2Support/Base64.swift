/// Standard base64 (RFC 4648 §4, alphabet `A-Za-z0-9+/`, `=` padding), the one copy used by the
/// model file's metadata (token bytes) and tiktoken's rank files.
/// Spec: https://www.rfc-editor.org/rfc/rfc4648#section-4
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// Sextet value of each byte, 0xFF for bytes outside the alphabet.
    private static let reverse: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// Standard base64 (RFC 4648, with padding) of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)]]
            out += rest == 2 ? [alphabet[Int(v >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of standard base64 text, nil if it is not valid base64.
    public static func decode(_ s: String) -> [UInt8]? { decode(s.utf8) }

    /// nil on any byte outside the alphabet, `=` anywhere but the last two positions, more than
    /// two `=`, or a length not a multiple of 4.
    public static func decode<C: Collection>(_ s: C) -> [UInt8]? where C.Element == UInt8 {
        guard s.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(s.count / 4 * 3)
        var acc: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in s {
            if c == UInt8(ascii: "=") { padding += 1; continue }
            let d = reverse[Int(c)]
            guard d != 0xFF, padding == 0 else { return nil }   // not base64, or data after padding
            acc = acc << 6 | UInt32(d)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return padding <= 2 ? out : nil
    }
}
