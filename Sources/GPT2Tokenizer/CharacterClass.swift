/// The four character classes of the GPT-2 split pattern, one byte each so tables stay small.
/// `\p{L}` letters, `\p{N}` numbers, `\s` whitespace, and everything else (which also covers
/// bytes that are not valid UTF-8, see `UTF8Scalar`).
enum CharacterClass {
    static let other: UInt8 = 0
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let space: UInt8 = 3
}

/// Class of every Unicode scalar, expanded once from the generated `UnicodeClassTable`
/// (2 bits per scalar, 133 distinct 256-scalar blocks) into one byte per scalar of each block:
/// 4352 block indices + 133 × 256 bytes ≈ 38 KB, built in well under a millisecond.
struct CharacterClassTable: Sendable {
    /// `blockIndex[cp >> 8]` is the block holding scalar `cp`; ASCII is block 0.
    let blockIndex: [UInt8]
    /// `classes[block << 8 | (cp & 0xFF)]` is the class.
    let classes: [UInt8]

    static let shared = CharacterClassTable()

    private init() {
        blockIndex = Base64.decode(UnicodeClassTable.blockIndexBase64)
        let packed = Base64.decode(UnicodeClassTable.blocksBase64)
        var classes = [UInt8](repeating: 0, count: packed.count * 4)
        for i in 0..<packed.count {
            let b = packed[i]
            classes[4 * i] = b & 3
            classes[4 * i + 1] = (b >> 2) & 3
            classes[4 * i + 2] = (b >> 4) & 3
            classes[4 * i + 3] = b >> 6
        }
        self.classes = classes
    }

    /// Class of scalar `cp` (slow path; the pre-tokenizer inlines this over raw buffers).
    func classOf(_ cp: UInt32) -> UInt8 {
        let block = Int(blockIndex[Int(cp >> 8)])
        return classes[block << 8 | Int(cp & 0xFF)]
    }
}

/// Minimal RFC 4648 base64 decoder for the generated tables (skips whitespace); keeps the
/// tokenizer free of Foundation, which would add to process start-up time.
enum Base64 {
    static func decode(_ text: StaticString) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8CodeUnitCount * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        text.withUTF8Buffer { buf in
            for c in buf {
                let v: UInt32
                switch c {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
                case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
                case UInt8(ascii: "+"): v = 62
                case UInt8(ascii: "/"): v = 63
                default: continue   // whitespace, newlines and "=" padding
                }
                acc = acc << 6 | v
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                }
            }
        }
        return out
    }
}
