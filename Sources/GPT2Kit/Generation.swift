import Foundation
import GPT2Runtime
import GPT2Tokenizer

extension TextModel {
    /// Streams the continuation of `prompt` as text pieces, each as soon as its token is
    /// sampled (a piece can hold several tokens, or none yet, where a character spans tokens).
    ///
    /// - Parameters:
    ///   - maxTokens: new tokens at most; nil runs until end of text or until prompt and
    ///     continuation fill the context.
    ///   - sampling: temperature, top-k, top-p, min-p, repeat penalty and seed.
    ///   - special: what special-token text in the prompt means.
    ///   - stopAtEndOfText: end at the end-of-text token (it is not emitted); false runs on.
    ///
    /// The work runs on its own thread. Cancelling the task that iterates (or dropping the
    /// stream) stops it before the next token. Errors (a prompt that is empty or longer than
    /// the context, a bad option) are thrown by the iteration.
    public func generate(_ prompt: String, maxTokens: Int? = 100, sampling: SamplingOptions = SamplingOptions(),
                         special: SpecialTokenRule = .refuse, stopAtEndOfText: Bool = true) -> TextStream {
        let (stream, continuation) = AsyncThrowingStream<String, any Error>.makeStream()
        let stop = StopFlag()
        continuation.onTermination = { _ in stop.set() }
        let thread = Thread { [self] in
            do {
                let ids = try tokenize(prompt, special: special)
                var sampler = try Sampler(options: sampling)
                var decoder = StreamingDecoder(tokenizer: tokenizer)
                try generate(ids: ids, maxTokens: maxTokens, sampler: &sampler, stopAtEndOfText: stopAtEndOfText) { id in
                    if stop.isSet { throw CancellationError() }
                    let piece = try decoder.push(id)
                    if !piece.isEmpty { continuation.yield(piece) }
                }
                let rest = decoder.finish()
                if !rest.isEmpty { continuation.yield(rest) }
                continuation.finish()
            } catch is CancellationError {
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
        return TextStream(base: stream)
    }

    /// Generates from prompt ids, calling `emit` with each new id as soon as it is sampled
    /// (the synchronous form `generate(_:)` and the CLI run on). `sampler` carries the random
    /// state from one call to the next; `emit` may throw to stop.
    ///
    /// - Parameter maxTokens: new tokens at most; nil fills the context (n_ctx - prompt tokens).
    @discardableResult
    public func generate(ids: [Int], maxTokens: Int?, sampler: inout Sampler, stopAtEndOfText: Bool = true,
                         emit: (Int) throws -> Void) throws -> GenerationStats {
        let limit = maxTokens ?? max(0, contextLength - ids.count)
        let options = GenerationOptions(maxNewTokens: limit, sampling: sampler.options,
                                        stopToken: stopAtEndOfText ? endOfText : nil)
        return try exclusive {
            try Generator(model: languageModel).generate(prompt: ids, options: options, sampler: &sampler, emit: emit)
        }
    }

    /// Mean next-token loss and perplexity of `text` (windows of the context length; see
    /// `Perplexity`). `progress` is called with (windows done, windows in all).
    public func perplexity(of text: String, special: SpecialTokenRule = .refuse,
                           progress: ((Int, Int) -> Void)? = nil) throws -> PerplexityResult {
        try perplexity(ids: try tokenize(text, special: special), progress: progress)
    }

    /// Mean next-token loss and perplexity of a token sequence (at least 2 ids).
    public func perplexity(ids: [Int], progress: ((Int, Int) -> Void)? = nil) throws -> PerplexityResult {
        try exclusive { try Perplexity.evaluate(model: languageModel, tokens: ids, progress: progress) }
    }
}

/// The text pieces of one generation, in order: `for try await piece in stream`.
public struct TextStream: AsyncSequence, Sendable {
    /// A piece of generated text.
    public typealias Element = String
    let base: AsyncThrowingStream<String, any Error>

    /// Iterates the pieces; `next()` returns nil at the end and throws the generation's error.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<String, any Error>.AsyncIterator
        /// The next piece, nil when generation ended (or was cancelled).
        public mutating func next() async throws -> String? { try await base.next() }
    }

    /// An iterator over the pieces (a stream is iterated once).
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator()) }

    /// All remaining pieces joined.
    public func text() async throws -> String {
        var all = ""
        for try await piece in self { all += piece }
        return all
    }
}

/// Set once, from any thread: the consumer went away.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
