/// Decodes ids one at a time, emitting text as soon as it is complete UTF-8.
///
/// GPT-2 tokens can end in the middle of a character (344 ids are not valid UTF-8 alone, e.g.
/// 49426), so decoding each id separately would print U+FFFD where a later id completes the
/// character. This decoder keeps back only a trailing *incomplete but still valid* sequence
/// (at most 3 bytes); anything that can never become valid is replaced by U+FFFD at once.
/// The concatenated output equals `tokenizer.decode(allIDs)`.
public struct StreamingDecoder: Sendable {
    /// The tokenizer whose ids are decoded.
    public let tokenizer: Tokenizer
    private var pending: [UInt8] = []

    /// A decoder with nothing pending.
    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds one id; returns the text that became complete (possibly empty).
    public mutating func push(_ id: Int) throws -> String {
        pending.append(contentsOf: try tokenizer.core.decodeBytes([id]))
        let cut = UTF8Scalar.incompleteTailStart(pending)
        if cut == 0 { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// The bytes held back, as lossy text (U+FFFD for an unfinished character); resets.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }
}
