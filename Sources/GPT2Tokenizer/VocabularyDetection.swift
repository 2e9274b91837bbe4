import Glibc

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
    public static func load(path: String) throws -> Vocabulary {
        var st = stat()
        guard stat(path, &st) == 0 else { throw TokenizerError.cannotRead(path: path, errno: errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { return try load(directory: path) }

        let dir = parentDirectory(path), name = baseName(path)
        if llmcMagicMatches(path) { return try load(llmcTokenizer: path) }
        switch name {
        case "encoder.json", "vocab.bpe":
            return try load(encoderJSON: join(dir, "encoder.json"), vocabBPE: join(dir, "vocab.bpe"))
        case "vocab.json", "merges.txt":
            return try load(vocabJSON: join(dir, "vocab.json"), mergesTXT: join(dir, "merges.txt"))
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
        func has(_ name: String) -> Bool { access(join(dir, name), F_OK) == 0 }
        if has("tokenizer.json") { return try load(tokenizerJSON: join(dir, "tokenizer.json")) }
        if has("vocab.json"), has("merges.txt") {
            return try load(vocabJSON: join(dir, "vocab.json"), mergesTXT: join(dir, "merges.txt"))
        }
        if has("encoder.json"), has("vocab.bpe") {
            return try load(encoderJSON: join(dir, "encoder.json"), vocabBPE: join(dir, "vocab.bpe"))
        }
        if has("gpt2_tokenizer.bin") { return try load(llmcTokenizer: join(dir, "gpt2_tokenizer.bin")) }
        let tiktokens = directoryEntries(dir).filter { $0.hasSuffix(".tiktoken") }
        if tiktokens.count == 1 { return try load(tiktoken: join(dir, tiktokens[0])) }
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

private func join(_ dir: String, _ name: String) -> String { dir.hasSuffix("/") ? dir + name : dir + "/" + name }

private func parentDirectory(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

private func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

private func directoryEntries(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != ".", name != ".." { names.append(name) }
    }
    return names.sorted()
}
