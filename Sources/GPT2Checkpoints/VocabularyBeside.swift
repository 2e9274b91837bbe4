import GPT2Tokenizer

/// The tokenizer files a checkpoint directory may hold beside its weights.
enum VocabularyBeside {
    /// Tokenizer files looked for, in order of preference.
    static let candidates = ["tokenizer.json", "vocab.json", "encoder.json", "gpt2_tokenizer.bin"]

    /// The vocabulary found in `dir`, nil when it holds no tokenizer file.
    static func load(dir: String) throws -> Vocabulary? {
        guard candidates.contains(where: { Paths.isFile(Paths.join(dir, $0)) }) else { return nil }
        // Vocabulary.load(path:) (GPT2Tokenizer) is wired in when it lands on main.
        return nil
    }

    /// The vocabulary in one tokenizer file.
    static func load(file: String) throws -> Vocabulary? {
        // Vocabulary.load(path:) (GPT2Tokenizer) is wired in when it lands on main.
        return nil
    }
}
