/// What generation and perplexity need of a model: feed tokens, get the next token's logits.
/// `GPT2Model` (a KV cache) and `BigramLanguageModel` (a table lookup) conform.
///
/// A model holds one sequence: `append` adds tokens at positions `count..<count+T` (at most
/// `contextLength` in all), `reset` forgets them. Logits are views valid until the next call.
/// Generation makes one call per token through the protocol; the work inside stays concrete.
public protocol LanguageModel: AnyObject {
    /// Rows of the logits (the vocabulary size the model predicts over).
    var vocabularySize: Int { get }
    /// The most positions the sequence can hold (n_ctx).
    var contextLength: Int { get }
    /// Positions in the sequence so far.
    var count: Int { get }
    /// Forgets the sequence.
    func reset()
    /// Appends `tokens` and returns the logits (V) that follow the last of them, a view valid
    /// until the next call. Throws on a token outside the vocabulary or past the context.
    func appendReturningLastLogits(_ tokens: UnsafeBufferPointer<Int>) throws -> UnsafeBufferPointer<Float>
    /// Appends `tokens` and calls `body(i, logits)` with the logits (V) after every new position i.
    func append(_ tokens: [Int], eachLogits body: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws
}

extension GPT2Model: LanguageModel {
    /// Number of token ids (the logits' length).
    public var vocabularySize: Int { config.vocabSize }
    /// Positions the KV cache holds (n_ctx).
    public var contextLength: Int { config.nCtx }

    /// Runs `tokens` and returns the logits after the last one, valid until the next call.
    public func appendReturningLastLogits(_ tokens: UnsafeBufferPointer<Int>) throws -> UnsafeBufferPointer<Float> {
        try run(tokens, logits: .last)
        return lastLogits
    }
}
