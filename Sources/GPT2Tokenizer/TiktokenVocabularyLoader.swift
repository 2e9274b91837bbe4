import GPT2Support

/// tiktoken's rank file (`gpt2.tiktoken` = `r50k_base`): one `base64(token bytes) rank` per
/// line. The rank is the id. The file has no special tokens; GPT-2's `<|endoftext|>` is added
/// by the encoding definition, so by default it is added here as the id after the last rank.
extension Vocabulary {
    /// - Parameter specialTokens: the special tokens to add; `nil` means
    ///   `["<|endoftext|>": tokenCount]` (tiktoken's `gpt2` / `r50k_base`).
    public static func load(tiktoken path: String, specialTokens: [String: Int]? = nil) throws -> Vocabulary {
        let bytes = try FileBytes.read(path)
        var byID = TokensByID(path: path, noun: "rank")
        var start = 0
        var line = 0
        let n = bytes.count
        while start < n {
            line += 1
            var end = start
            while end < n, bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start, bytes[stop - 1] == 0x0D { stop -= 1 }
            defer { start = end + 1 }
            if stop == start { continue }
            guard let space = bytes[start..<stop].firstIndex(of: 0x20) else {
                throw TokenizerError.malformed(path: path, offset: start, expected: "'base64 rank' on line \(line)",
                                               found: "no space")
            }
            var rank = 0
            var i = space + 1
            guard i < stop else {
                throw TokenizerError.malformed(path: path, offset: i, expected: "a rank on line \(line)", found: "end of line")
            }
            while i < stop {
                let d = bytes[i]
                guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9"), rank < 1 << 24 else {
                    throw TokenizerError.malformed(path: path, offset: i, expected: "a decimal rank below 2^24 on line \(line)",
                                                   found: "'\(String(decoding: bytes[(space + 1)..<stop].prefix(20), as: UTF8.self))'")
                }
                rank = rank * 10 + Int(d - UInt8(ascii: "0"))
                i += 1
            }
            let decoded = try bytes.withUnsafeBufferPointer { b in
                try byID.add(id: rank) { out in
                    let before = out.count
                    return Base64.decode(UnsafeBufferPointer(rebasing: b[start..<space]), appendingTo: &out) && out.count > before
                }
            }
            guard decoded else {
                throw TokenizerError.malformed(path: path, offset: start, expected: "non-empty base64 token bytes on line \(line)",
                                               found: "'\(String(decoding: bytes[start..<space].prefix(60), as: UTF8.self))'")
            }
        }
        let tokens = try byID.finish()
        let specials = specialTokens ?? ["<|endoftext|>": tokens.count]
        return Vocabulary(kind: .byteLevelBPE, tokenBytes: tokens, ranks: nil, specialTokens: specials,
                          eosID: specials["<|endoftext|>"])
    }
}
