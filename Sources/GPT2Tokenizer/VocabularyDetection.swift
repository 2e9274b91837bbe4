import Glibc
import GPT2Support

/// `Vocabulary.load(path:)`: one entry point for every vocabulary format, given a file or the
/// directory holding it.
///
/// A directory is searched in this order (first match wins): `tokenizer.json`;
/// `vocab.json` + `merges.txt`; `encoder.json` + `vocab.bpe`; `gpt2_tokenizer.bin`; a single
/// `*.tiktoken` file. tokenizer.json comes first because it also names the special tokens.
/// A file is recognised by llm.c's magic number, then by its name: `*.tiktoken`, one file of
/// the two-file pairs (its partner must sit beside it), or any other `*.json` read as
/// tokenizer.json.
extension Vocabulary {
    /// Reads the vocabulary at `path` (a file or a directory), whatever its format.
    public static func load(path: String) throws -> Vocabulary {
        var st = stat()
        guard stat(path, &st) == 0 else { throw TokenizerError.cannotRead(path: path, errno: errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { return try load(directory: path) }

        let dir = Paths.directory(of: path), name = Paths.fileName(of: path)
        if llmcMagicMatches(path) { return try load(llmcTokenizer: path) }
        switch name {
        case "encoder.json", "vocab.bpe":
            return try load(encoderJSON: Paths.join(dir, "encoder.json"), vocabBPE: Paths.join(dir, "vocab.bpe"))
        case "vocab.json", "merges.txt":
            return try load(vocabJSON: Paths.join(dir, "vocab.json"), mergesTXT: Paths.join(dir, "merges.txt"))
        default:
            if name.hasSuffix(".tiktoken") { return try load(tiktoken: path) }
            if name.hasSuffix(".json") { return try load(tokenizerJSON: path) }
            throw TokenizerError.unrecognizedVocabulary(path: path, lookedFor: [
                "llm.c's magic \(llmcMagic) in the first 4 bytes", "a name ending in .tiktoken or .json",
                "encoder.json, vocab.bpe, vocab.json or merges.txt beside its partner file",
            ])
        }
    }

    static func load(directory dir: String) throws -> Vocabulary {
        func has(_ name: String) -> Bool { Paths.exists(Paths.join(dir, name)) }
        if has("tokenizer.json") { return try load(tokenizerJSON: Paths.join(dir, "tokenizer.json")) }
        if has("vocab.json"), has("merges.txt") {
            return try load(vocabJSON: Paths.join(dir, "vocab.json"), mergesTXT: Paths.join(dir, "merges.txt"))
        }
        if has("encoder.json"), has("vocab.bpe") {
            return try load(encoderJSON: Paths.join(dir, "encoder.json"), vocabBPE: Paths.join(dir, "vocab.bpe"))
        }
        if has("gpt2_tokenizer.bin") { return try load(llmcTokenizer: Paths.join(dir, "gpt2_tokenizer.bin")) }
        let tiktokens = Paths.list(dir).sorted().filter { $0.hasSuffix(".tiktoken") }
        if tiktokens.count == 1 { return try load(tiktoken: Paths.join(dir, tiktokens[0])) }
        throw TokenizerError.unrecognizedVocabulary(path: dir, lookedFor: [
            "tokenizer.json", "vocab.json + merges.txt", "encoder.json + vocab.bpe", "gpt2_tokenizer.bin",
            tiktokens.isEmpty ? "one *.tiktoken file" : "one *.tiktoken file (found \(tiktokens.count))",
        ])
    }

    /// True when the file starts with llm.c's tokenizer magic (20240328, little-endian).
    static func llmcMagicMatches(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 4)
        let n = head.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, 4) }
        guard n == 4 else { return false }
        let magic = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
        return magic == llmcMagic
    }
}
