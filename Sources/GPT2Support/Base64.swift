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
    public static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        return decode(s, appendingTo: &out) ? out : nil
    }

    /// Appends the bytes of standard base64 text to `out`; false (and `out` unchanged) if it is
    /// not valid base64. Reads the string's UTF-8 in place: the model file's metadata decodes
    /// 50,257 tokens this way at every start, where a byte-by-byte walk of `String.UTF8View`
    /// and an array per token cost ~1,100 instructions a token (callgrind).
    public static func decode(_ s: String, appendingTo out: inout [UInt8]) -> Bool {
        var s = s
        return s.withUTF8 { decode($0, appendingTo: &out) }
    }

    /// The bytes of standard base64 text, nil if it is not valid base64.
    public static func decode<C: Collection>(_ s: C) -> [UInt8]? where C.Element == UInt8 {
        var out: [UInt8] = []
        let ok = s.withContiguousStorageIfAvailable { decode($0, appendingTo: &out) } ?? decode(Array(s), appendingTo: &out)
        return ok ? out : nil
    }

    private static func decode(_ s: [UInt8], appendingTo out: inout [UInt8]) -> Bool {
        s.withUnsafeBufferPointer { decode($0, appendingTo: &out) }
    }

    /// Whether `c` can appear in base64 text (the alphabet or `=`).
    @inline(__always)
    public static func isTextByte(_ c: UInt8) -> Bool {
        (c | 0x20) &- UInt8(ascii: "a") < 26 || c &- UInt8(ascii: "0") < 10
            || c == UInt8(ascii: "+") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=")
    }

    /// Appends the bytes of standard base64 text to `out`; false (and `out` unchanged) if it is
    /// not valid base64.
    public static func decode(_ s: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8]) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: s.count / 4 * 3 + 1) { dst in
            guard let n = decode(s, into: dst.baseAddress!) else { return false }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: dst[..<n]))
            return true
        }
    }

    /// Writes the bytes of standard base64 text to `dst` (room for `s.count / 4 * 3`) and
    /// returns their count; nil if it is not valid base64 (`dst` may be partly written). Fails
    /// on any byte outside the alphabet, `=` anywhere but the last two positions, more than two
    /// `=`, or a length not a multiple of 4.
    public static func decode(_ s: UnsafeBufferPointer<UInt8>, into dst: UnsafeMutablePointer<UInt8>) -> Int? {
        guard s.count % 4 == 0 else { return nil }
        if s.isEmpty { return 0 }
        var padding = 0
        while padding < 2, s[s.count - 1 - padding] == UInt8(ascii: "=") { padding += 1 }
        return reverse.withUnsafeBufferPointer { rev -> Int? in
            let src = s.baseAddress!, full = (s.count - padding) / 4
            var o = 0
            // Four characters -> three bytes; any 0xFF (not base64, or an early `=`) sets bit 7+.
            for g in 0..<full {
                let a = UInt32(rev[Int(src[4 * g])]), b = UInt32(rev[Int(src[4 * g + 1])])
                let c = UInt32(rev[Int(src[4 * g + 2])]), d = UInt32(rev[Int(src[4 * g + 3])])
                guard (a | b | c | d) & 0x80 == 0 else { return nil }
                let v = a << 18 | b << 12 | c << 6 | d
                dst[o] = UInt8(truncatingIfNeeded: v >> 16)
                dst[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                dst[o + 2] = UInt8(truncatingIfNeeded: v)
                o += 3
            }
            var acc: UInt32 = 0, bits = 0
            for i in (4 * full)..<(s.count - padding) {
                let d = rev[Int(src[i])]
                guard d != 0xFF else { return nil }
                acc = acc << 6 | UInt32(d)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    dst[o] = UInt8(truncatingIfNeeded: acc >> UInt32(bits))
                    o += 1
                }
            }
            return o
        }
    }
}
