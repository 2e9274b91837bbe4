import GPT2Tokenizer

/// The tokenizer a checkpoint directory holds beside its weights, read by GPT2Tokenizer's
/// `Vocabulary.load(path:)` (tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe,
/// gpt2_tokenizer.bin).
enum VocabularyBeside {
    /// Files whose presence means the directory has a tokenizer.
    static let markers = ["tokenizer.json", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe",
                          "gpt2_tokenizer.bin"]

    /// The vocabulary found in `dir`, nil when it holds no tokenizer file; an error when one is
    /// there but cannot be read (a broken tokenizer must not silently disappear from a model).
    static func load(dir: String) throws -> Vocabulary? {
        guard markers.contains(where: { Paths.isFile(Paths.join(dir, $0)) }) else { return nil }
        return try load(file: dir)
    }

    /// The vocabulary in one tokenizer file (or directory).
    static func load(file: String) throws -> Vocabulary {
        do {
            return try Vocabulary.load(path: file)
        } catch {
            throw CheckpointError(.badTokenizer, file: file, "cannot read the tokenizer: \(error)",
                                  hint: "fix or remove the tokenizer files beside the weights")
        }
    }
}
