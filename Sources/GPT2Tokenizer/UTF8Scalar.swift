/// Strict UTF-8 decoding of one scalar from raw bytes (Unicode 15, table 3-7: no overlongs,
/// no surrogates, nothing above U+10FFFF).
///
/// Invalid input (decision, documented in the README): a byte that does not start a well-formed
/// sequence counts as a one-byte character of class "other" and decoding resumes at the next
/// byte. So `encodeOrdinary(bytes:)` is deterministic on any bytes and `decodeBytes` gives them
/// back exactly; valid UTF-8 is never affected.
enum UTF8Scalar {
    /// Decodes the scalar starting at `p[i]` (`i < n`). Returns the scalar and its length in
    /// bytes, or `nil` scalar with length 1 for an invalid byte.
    @inline(__always)
    static func decode(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (scalar: UInt32?, length: Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        if b0 < 0xC2 { return (nil, 1) }
        if b0 < 0xE0 {
            guard i + 1 < n, p[i + 1] & 0xC0 == 0x80 else { return (nil, 1) }
            return (UInt32(b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2)
        }
        if b0 < 0xF0 {
            guard i + 2 < n else { return (nil, 1) }
            let b1 = p[i + 1], b2 = p[i + 2]
            let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            guard b1 >= lo, b1 <= hi, b2 & 0xC0 == 0x80 else { return (nil, 1) }
            return (UInt32(b0 & 0x0F) << 12 | UInt32(b1 & 0x3F) << 6 | UInt32(b2 & 0x3F), 3)
        }
        if b0 < 0xF5 {
            guard i + 3 < n else { return (nil, 1) }
            let b1 = p[i + 1], b2 = p[i + 2], b3 = p[i + 3]
            let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            guard b1 >= lo, b1 <= hi, b2 & 0xC0 == 0x80, b3 & 0xC0 == 0x80 else { return (nil, 1) }
            return (UInt32(b0 & 0x07) << 18 | UInt32(b1 & 0x3F) << 12 | UInt32(b2 & 0x3F) << 6
                    | UInt32(b3 & 0x3F), 4)
        }
        return (nil, 1)
    }

    /// Offset of the first byte of an incomplete-but-valid-so-far UTF-8 sequence at the end of
    /// `bytes` (a prefix that more bytes could complete), or `bytes.count` if there is none.
    /// Used by the streaming decoder to hold back a split character.
    static func incompleteTailStart(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var start = n - 1
        // A sequence is at most 4 bytes: look back over at most 3 continuation bytes.
        while start >= 0, start > n - 4, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0 else { return n }
        let b0 = bytes[start]
        let need: Int
        switch b0 {
        case 0xC2...0xDF: need = 2
        case 0xE0...0xEF: need = 3
        case 0xF0...0xF4: need = 4
        default: return n
        }
        let have = n - start
        guard have < need else { return n }
        // Check the bytes we have are a valid prefix (second-byte ranges of table 3-7).
        if have >= 2 {
            let b1 = bytes[start + 1]
            switch b0 {
            case 0xE0: if b1 < 0xA0 { return n }
            case 0xED: if b1 > 0x9F { return n }
            case 0xF0: if b1 < 0x90 { return n }
            case 0xF4: if b1 > 0x8F { return n }
            default: break
            }
        }
        return start
    }
}
