/// llm.c's `gpt2_tokenizer.bin` (written by llm.c's `train_gpt2.py`, read by its `tokenizer.h`).
///
/// Layout, little-endian: a header of 256 uint32 — [0] magic 20240328, [1] version (1 or 2),
/// [2] vocabulary size, [3] (version 2 only) the end-of-text id — then for each id a uint8
/// length (1...255) followed by that many raw token bytes.
///
/// The file stores no merges. Ranks are taken to be ids (`Vocabulary.ranks == nil`), which is
/// exactly how OpenAI's GPT-2 vocabulary is ordered, so encoding with it matches tiktoken.
/// The end-of-text token (header[3] in version 2; the token spelled `<|endoftext|>` in
/// version 1, which llm.c hard-codes as 50256) becomes a special token and must be the last id.
extension Vocabulary {
    static let llmcMagic: UInt32 = 20240328
    static let llmcHeaderBytes = 256 * 4

    /// Reads llm.c's gpt2_tokenizer.bin.
    public static func load(llmcTokenizer path: String) throws -> Vocabulary {
        try parseLLMCTokenizer(FileBytes.read(path), path: path)
    }

    static func parseLLMCTokenizer(_ bytes: [UInt8], path: String) throws -> Vocabulary {
        func fail(_ offset: Int, expected: String, found: String) -> TokenizerError {
            .malformed(path: path, offset: offset, expected: expected, found: found)
        }
        func header(_ i: Int) -> UInt32 {
            let o = 4 * i
            return UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        guard bytes.count >= llmcHeaderBytes else {
            throw fail(bytes.count, expected: "the 1024-byte header of llm.c's gpt2_tokenizer.bin",
                       found: "end of file")
        }
        guard header(0) == llmcMagic else {
            throw fail(0, expected: "magic \(llmcMagic) (llm.c's gpt2_tokenizer.bin)",
                       found: "\(header(0))" + (header(0).byteSwapped == llmcMagic ? " (byte-swapped: a big-endian file?)" : ""))
        }
        let version = header(1)
        guard version == 1 || version == 2 else {
            throw fail(4, expected: "version 1 or 2", found: "version \(version)")
        }
        let count = Int(header(2))
        // Each token takes at least 2 bytes (length + 1 byte), so a count the file cannot hold
        // is refused before anything is allocated.
        guard count > 0, count <= (bytes.count - llmcHeaderBytes) / 2 else {
            throw fail(8, expected: "a vocabulary size that fits in the \(bytes.count - llmcHeaderBytes) bytes after the header",
                       found: "\(count)")
        }
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(count)
        var offset = llmcHeaderBytes
        for id in 0..<count {
            guard offset < bytes.count else {
                throw fail(offset, expected: "token \(id) of \(count)", found: "end of file")
            }
            let length = Int(bytes[offset])
            guard length > 0 else {
                throw fail(offset, expected: "the length of token \(id) (1...255)", found: "0")
            }
            guard length <= bytes.count - offset - 1 else {
                throw fail(offset, expected: "\(length) bytes of token \(id)", found: "\(bytes.count - offset - 1) bytes before the end of file")
            }
            tokens.append(Array(bytes[(offset + 1)...(offset + length)]))
            offset += 1 + length
        }
        guard offset == bytes.count else {
            throw fail(offset, expected: "end of file after token \(count - 1)", found: "\(bytes.count - offset) more bytes")
        }
        let eot: Int
        if version == 2 {
            eot = Int(header(3))
        } else {
            eot = tokens.lastIndex(of: Array("<|endoftext|>".utf8)) ?? -1
        }
        guard eot == count - 1 else {
            throw TokenizerError.unsupportedVocabulary(path: path,
                problem: "the end-of-text id is \(eot), not the last id \(count - 1)",
                hint: "GPT2Kit expects the special token after the ordinary ones, as in GPT-2")
        }
        let name = String(decoding: tokens[eot], as: UTF8.self)
        tokens.removeLast()
        return Vocabulary(tokens: tokens, ranks: nil, specialTokens: [name: eot], eosID: eot)
    }
}
