import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

extension TextModel {
    /// The vocabulary at `path`: a GPT2Kit model file's embedded tokenizer, or any vocabulary
    /// file or directory `Vocabulary.load(path:)` reads (tokenizer.json, encoder.json +
    /// vocab.bpe, vocab.json + merges.txt, .tiktoken, llm.c's tokenizer).
    public static func vocabulary(at path: String) throws -> Vocabulary {
        guard Paths.isFile(path), ModelFile.hasMagic(path: path) else { return try Vocabulary.load(path: path) }
        guard let v = try ModelFile(path: path).vocabulary else { throw TextModelError.noEmbeddedTokenizer(path: path) }
        return v
    }

    /// The default GPT-2 vocabulary, for weights that carry no tokenizer; the error says how to
    /// give one.
    static func defaultVocabulary(for model: String) throws -> Vocabulary {
        do {
            return try Vocabulary.loadDefault()
        } catch TokenizerError.vocabularyNotFound(let searched) {
            throw TextModelError.noTokenizer(model: model, searched: searched)
        }
    }
}

/// What can go wrong finding a model's tokenizer.
public enum TextModelError: Error, Equatable, CustomStringConvertible {
    /// The weights carry no tokenizer and the default GPT-2 vocabulary is nowhere to be found.
    case noTokenizer(model: String, searched: [String])
    /// A model file given as a vocabulary has none embedded.
    case noEmbeddedTokenizer(path: String)

    /// The message shown to the user, with a HINT line.
    public var description: String {
        switch self {
        case let .noTokenizer(model, searched):
            return "\(model) has no tokenizer and no default GPT-2 vocabulary was found "
                + "(searched: \(searched.joined(separator: ", ")))\nHINT: embed one with "
                + "`gpt2kit convert \(model) --vocab PATH -o OUT`, or run Tools/setup"
        case let .noEmbeddedTokenizer(path):
            return "\(path) is a model file without an embedded tokenizer\n"
                + "HINT: give a vocabulary file or directory instead (e.g. Vocab/), or embed one with "
                + "`gpt2kit convert \(path) --vocab PATH -o OUT`"
        }
    }
}
