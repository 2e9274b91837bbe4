import Foundation

/// Mean next-token cross-entropy of a token sequence, and its perplexity.
public struct PerplexityResult: Sendable, Equatable {
    /// Tokens predicted (every token but the first).
    public var predictedTokens: Int
    /// Windows the text was cut into.
    public var windows: Int
    /// Mean cross-entropy in nats: mean over i of logsumexp(logits_i) - logits_i[ids[i+1]].
    public var meanLoss: Double
    /// e^meanLoss.
    public var perplexity: Double { exp(meanLoss) }
}

/// Windows for perplexity, nanoGPT's `estimate_loss` made deterministic: `get_batch` takes
/// x = data[i : i+block_size], y = data[i+1 : i+1+block_size]; here the windows are consecutive
/// instead of random. Window w feeds tokens[w·n_ctx ..< min((w+1)·n_ctx, N-1)] with a fresh
/// context and predicts the token after each of them; so every token except the first is
/// predicted exactly once, with 0 to n_ctx-1 tokens of context (context resets at each window
/// start, like nanoGPT's blocks). The mean is over all predicted tokens, not over windows.
public enum Perplexity {
    /// The (input range) of every window for a text of `count` tokens.
    public static func windows(count: Int, nCtx: Int) -> [Range<Int>] {
        guard count >= 2, nCtx >= 1 else { return [] }
        return stride(from: 0, to: count - 1, by: nCtx).map { $0 ..< min($0 + nCtx, count - 1) }
    }

    /// Runs the model over every window and averages the loss (in f64).
    public static func evaluate(model: any LanguageModel, tokens: [Int],
                                progress: ((Int, Int) -> Void)? = nil) throws -> PerplexityResult {
        guard tokens.count >= 2 else { throw RuntimeError.textTooShort(tokens: tokens.count) }
        let ws = windows(count: tokens.count, nCtx: model.contextLength)
        var total = 0.0
        var predicted = 0
        for (n, w) in ws.enumerated() {
            model.reset()
            try model.append(Array(tokens[w])) { i, logits in
                let target = tokens[w.lowerBound + i + 1]
                total += logSumExp(logits) - Double(logits[target])
                predicted += 1
            }
            progress?(n + 1, ws.count)
        }
        return PerplexityResult(predictedTokens: predicted, windows: ws.count,
                                meanLoss: total / Double(predicted))
    }

    /// log Σ exp(x), stable (max subtracted), accumulated in f64.
    public static func logSumExp(_ x: UnsafeBufferPointer<Float>) -> Double {
        var m = -Float.infinity
        for v in x { m = max(m, v) }
        var s = 0.0
        for v in x { s += Double(expf(v - m)) }
        return Double(m) + log(s)
    }
}
