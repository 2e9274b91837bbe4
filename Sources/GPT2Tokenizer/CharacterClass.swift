import GPT2Support

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
        blockIndex = decodeTable(UnicodeClassTable.blockIndexBase64)
        let packed = decodeTable(UnicodeClassTable.blocksBase64)
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

/// Decodes a generated table: the shared base64 decoder after dropping the line breaks and
/// indentation of the multi-line literal. The tables are compiled in, so a failure is a bug in
/// the generator, caught by every tokenizer test.
private func decodeTable(_ text: StaticString) -> [UInt8] {
    let compact = text.withUTF8Buffer { $0.filter { $0 > 0x20 } }
    guard let bytes = Base64.decode(compact) else { fatalError("UnicodeClassTable holds invalid base64") }
    return bytes
}
