import GPT2ModelFile
import GPT2Support
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

    /// The vocabulary in `dir` (nil when none), checked against the model: a tokenizer that can
    /// produce ids past the embedding's rows would make the runtime index out of bounds.
    static func load(dir: String, config: GPT2Config) throws -> Vocabulary? {
        guard let v = try load(dir: dir) else { return nil }
        try check(v, config: config, file: dir)
        return v
    }

    static func check(_ v: Vocabulary, config: GPT2Config, file: String) throws {
        guard v.count <= config.vocabSize else {
            throw CheckpointError(.badTokenizer, file: file,
                                  "the tokenizer has \(v.count) ids, the model's embedding only \(config.vocabSize) rows",
                                  hint: "the tokenizer files beside the weights belong to another model")
        }
    }

    /// The vocabulary in one tokenizer file (or directory).
    static func load(file: String, hint: String = "fix or remove the tokenizer files beside the weights") throws -> Vocabulary {
        do {
            return try Vocabulary.load(path: file)
        } catch {
            throw CheckpointError(.badTokenizer, file: file, "cannot read the tokenizer: \(error)", hint: hint)
        }
    }
}
