import GPT2Tokenizer

/// What text that spells a special token (such as `<|endoftext|>`) means: the one rule of
/// `tokenize`, `generate` and `perplexity`. The default refuses it, as tiktoken does: such text
/// in a prompt or a corpus is usually a mistake, and either reading silently changes the ids.
public enum SpecialTokenRule: Sendable, Equatable, CaseIterable {
    /// Throw `TokenizerError.disallowedSpecialToken` naming the token and its offset.
    case refuse
    /// Encode it as the special token (`--allow-special`).
    case allow
    /// Encode it as ordinary text (`--special-as-text`).
    case asText
}

extension TextModel {
    /// The token ids of `text`, with special-token text handled by `special`.
    public func tokenize(_ text: String, special: SpecialTokenRule = .refuse) throws -> [Int] {
        try tokenizer.encode(text, rule: special)
    }

    /// The text of `ids` (invalid UTF-8 where a character is split becomes U+FFFD).
    public func detokenize(_ ids: [Int]) throws -> String {
        try tokenizer.decode(ids)
    }
}

extension Tokenizer {
    /// `encode` with one `SpecialTokenRule` instead of the allowed/disallowed sets.
    public func encode(_ text: String, rule: SpecialTokenRule) throws -> [Int] {
        switch rule {
        case .refuse: return try encode(text, allowedSpecial: .none, disallowedSpecial: .all)
        case .allow: return try encode(text, allowedSpecial: .all, disallowedSpecial: .none)
        case .asText: return try encode(text, allowedSpecial: .none, disallowedSpecial: .none)
        }
    }
}
