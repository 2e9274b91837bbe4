import ArgumentParser
import GPT2Kit
import GPT2Tokenizer

/// The one special-token rule of `tokenize`, `generate` and `perplexity` (docs/CLI.md): text
/// that spells a special token such as `<|endoftext|>` is refused unless one of these flags
/// says what it means.
struct SpecialTokenOptions: ParsableArguments {
    @Flag(help: "Encode special-token text like <|endoftext|> as the special token (50256).")
    var allowSpecial = false
    @Flag(help: "Encode special-token text as ordinary text.")
    var specialAsText = false

    func validate() throws {
        if allowSpecial && specialAsText { throw ValidationError("choose one of --allow-special and --special-as-text") }
    }

    var rule: SpecialTokenRule { allowSpecial ? .allow : specialAsText ? .asText : .refuse }
}

extension SpecialTokenOptions {
    /// `model.tokenize(text)` under this rule; a refused special token is reported as
    /// `tokenize` reports it: the input's name, the offset and the flags that decide.
    func tokenize(_ text: [UInt8], input: String, with model: TextModel) throws -> [Int] {
        do {
            return try model.tokenize(String(decoding: text, as: UTF8.self), special: rule)
        } catch TokenizerError.disallowedSpecialToken(let token, let offset) {
            throw TokenIOError.specialTokenInText(input: input, token: token, offset: offset,
                                                  id: model.tokenizer.vocabulary.specialTokens[token] ?? -1)
        }
    }

    /// The name errors give the text of `-p`, `-f FILE` or standard input.
    static func inputName(prompt: String?, file: String?) -> String {
        prompt != nil ? "-p" : file ?? "standard input"
    }
}
