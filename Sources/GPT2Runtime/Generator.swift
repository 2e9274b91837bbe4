import Foundation
import GPT2Support

/// What `generate` was asked to do besides sampling.
public struct GenerationOptions: Sendable, Equatable {
    /// New tokens to produce at most (0 is allowed: prompt only).
    public var maxNewTokens: Int
    /// Temperature, top-k, top-p, min-p, repeat penalty and seed.
    public var sampling: SamplingOptions
    /// Stop when this id is sampled (it is not emitted). nil never stops (`--ignore-eos`).
    public var stopToken: Int?

    /// Options for up to `maxNewTokens` tokens, stopping at `stopToken` when given.
    public init(maxNewTokens: Int, sampling: SamplingOptions = SamplingOptions(), stopToken: Int? = nil) {
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopToken = stopToken
    }
}

/// Timings of one generated sample, in seconds, from a monotonic clock.
public struct GenerationStats: Sendable, Equatable {
    /// Tokens in the prompt.
    public var promptTokens = 0
    /// The prompt's forward pass (one batch, last-position logits).
    public var promptSeconds = 0.0
    /// Tokens produced.
    public var generatedTokens = 0
    /// Forward passes made for generated tokens (generated - 1 at most: the last token
    /// sampled needs none) and the time they took, sampling included.
    public var decodeSteps = 0
    /// Time of the decode steps, sampling included.
    public var decodeSeconds = 0.0
    /// From the start of the prompt pass to the first token sampled.
    public var firstTokenSeconds = 0.0
    /// Whether the sample ended on the stop token.
    public var stoppedAtEOS = false

    /// All zero.
    public init() {}

    /// Prompt tokens per second of the prompt pass (0 when not timed).
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
    /// Decode steps per second (0 when not timed).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0 }
}

/// Autoregressive sampling over a `LanguageModel` (a `GPT2Model` with its KV cache, or a
/// `BigramLanguageModel`), nanoGPT's `GPT.generate`.
///
/// Context window: a prompt longer than n_ctx is an error. Once prompt + generated tokens fill
/// all n_ctx positions, each further token is predicted from the last n_ctx tokens only, by a
/// full recompute over them (exactly nanoGPT's `idx[:, -block_size:]` crop: positions are
/// absolute, so cached keys cannot be shifted). That costs one n_ctx-token batch per token past
/// the window, slower than the cached steps before it.
public final class Generator {
    /// The model tokens are sampled from.
    public let model: any LanguageModel
    /// A generator over `model` (which it resets at each sample).
    public init(model: any LanguageModel) { self.model = model }

    /// Generates one sample: calls `emit` with each new token id as soon as it is sampled.
    /// The model's cache is reset first. `sampler` carries the RNG across samples.
    @discardableResult
    public func generate(prompt: [Int], options: GenerationOptions, sampler: inout Sampler,
                         emit: (Int) throws -> Void) throws -> GenerationStats {
        let nCtx = model.contextLength
        guard !prompt.isEmpty else { throw RuntimeError.emptyPrompt }
        guard prompt.count <= nCtx else { throw RuntimeError.promptTooLong(tokens: prompt.count, nCtx: nCtx) }
        guard options.maxNewTokens >= 0 else {
            throw RuntimeError.invalidOption("the number of tokens must be >= 0, got \(options.maxNewTokens)")
        }
        var stats = GenerationStats()
        stats.promptTokens = prompt.count
        guard options.maxNewTokens > 0 else { return stats }

        let start = Self.now()
        sampler.begin(prompt)                        // the repeat penalty sees the prompt
        model.reset()
        var logits = try prompt.withUnsafeBufferPointer { try model.appendReturningLastLogits($0) }
        stats.promptSeconds = Self.now() - start
        var sequence = prompt
        sequence.reserveCapacity(prompt.count + min(options.maxNewTokens, 1 << 16))
        var decodeStart = 0.0
        for step in 0..<options.maxNewTokens {
            let token = sampler.sample(logits)
            if step == 0 {
                decodeStart = Self.now()
                stats.firstTokenSeconds = decodeStart - start
            }
            if token == options.stopToken { stats.stoppedAtEOS = true; break }
            stats.generatedTokens += 1
            try emit(token)
            sequence.append(token)
            if step == options.maxNewTokens - 1 { break }    // no forward pass for an unused token
            if model.count < nCtx {
                logits = try withUnsafePointer(to: token) {
                    try model.appendReturningLastLogits(UnsafeBufferPointer(start: $0, count: 1))
                }
            } else {                                         // slide the window: recompute
                model.reset()
                logits = try sequence.withUnsafeBufferPointer {
                    try model.appendReturningLastLogits(UnsafeBufferPointer(rebasing: $0[($0.count - nCtx)...]))
                }
            }
            stats.decodeSteps += 1
        }
        if stats.decodeSteps > 0 { stats.decodeSeconds = Self.now() - decodeStart }
        return stats
    }

    static func now() -> Double { MonotonicClock.seconds() }
}
