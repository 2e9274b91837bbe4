/// GPT-2's byte-level alphabet (`bytes_to_unicode` in OpenAI's encoder.py): each byte is shown
/// as a printable character so that token strings in encoder.json / vocab.bpe are text. Bytes
/// `!`…`~`, `¡`…`¬`, `®`…`ÿ` stand for themselves; the other 68 bytes, in increasing order, get
/// U+0100, U+0101, … This order is also the rank (and GPT-2 id) of the 256 single-byte tokens.
package enum ByteLevelAlphabet {
    /// `scalarOf[byte]`: the character that stands for `byte`.
    package static let scalarOf: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if isPrintable(b) { table[b] = UInt32(b) } else { table[b] = next; next += 1 }
        }
        return table
    }()

    /// `byteOf[scalar]` for scalars below 324, or -1: the inverse of `scalarOf`.
    package static let byteOf: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for b in 0..<256 { table[Int(scalarOf[b])] = Int16(b) }
        return table
    }()

    /// Bytes in rank order: the printable ones first, then the rest (rank == GPT-2 id).
    package static let byteOfRank: [UInt8] = {
        (0..<256).filter(isPrintable).map(UInt8.init) + (0..<256).filter { !isPrintable($0) }.map(UInt8.init)
    }()

    private static func isPrintable(_ b: Int) -> Bool {
        (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
    }
}
