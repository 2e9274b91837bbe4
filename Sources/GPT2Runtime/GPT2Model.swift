import GPT2ModelFile

/// A GPT-2 ready to run: the weights, a KV cache and the scratch buffers of one sequence.
///
/// The forward pass follows nanoGPT's `model.py` (`GPT.forward`, `Block`, `CausalSelfAttention`,
/// `MLP`): token + position embeddings, pre-LN blocks, final LayerNorm, tied head. Tokens are
/// appended to the sequence with `append`: several at once go through the weights as one
/// matrix-matrix product (a prompt), one at a time as a matrix-vector product (generation),
/// each attending to everything in the cache. All buffers are allocated here, once: appending
/// allocates nothing.
///
/// Shape legend (llm.c's): T new positions, C = n_embd, NH heads, HS = C/NH, V vocabulary.
public final class GPT2Model {
    public let weights: GPT2Weights
    public var config: GPT2Config { weights.config }
    /// Positions in the KV cache (the sequence so far), at most `config.nCtx`.
    public private(set) var count = 0

    let pool: ComputePool
    private let cache: KVCache
    private let x, h, qkv, y, f, scores: UnsafeMutablePointer<Float>
    private let logitsBuffer: UnsafeMutablePointer<Float>
    /// Rows of logits computed at once when every position's logits are wanted.
    static let logitsChunk = 8

    public init(weights: GPT2Weights, threads: Int = 1) throws {
        guard (1...64).contains(threads) else {
            throw RuntimeError.invalidOption("threads must be in 1...64, got \(threads)")
        }
        self.weights = weights
        pool = ComputePool(threads: threads)
        let c = weights.config, n = c.nCtx, e = c.nEmbd
        cache = KVCache(layers: c.nLayer, nCtx: n, channels: e)
        x = .allocate(capacity: n * e)                  // residual stream (T, C)
        h = .allocate(capacity: n * e)                  // normalized input of a sublayer (T, C)
        qkv = .allocate(capacity: n * 3 * e)            // (T, 3C)
        y = .allocate(capacity: n * e)                  // attention output / sublayer output (T, C)
        f = .allocate(capacity: n * 4 * e)             // MLP hidden (T, 4C)
        scores = .allocate(capacity: n * threads)      // attention row per thread (nCtx)
        logitsBuffer = .allocate(capacity: Self.logitsChunk * c.vocabSize)  // (chunk, V)
    }

    deinit {
        for p in [x, h, qkv, y, f, scores, logitsBuffer] { p.deallocate() }
    }

    /// Forgets the sequence (the cache is simply overwritten from position 0).
    public func reset() { count = 0 }

    /// Drops positions `n..<count` from the sequence: K/V of earlier positions do not depend on
    /// later ones, so a prompt can be reused for several samples.
    public func truncate(to n: Int) {
        precondition(n >= 0 && n <= count, "truncate(to:) beyond the sequence")
        count = n
    }

    /// Appends `tokens` at positions `count..<count+T` and returns the logits (V) of the last one.
    @discardableResult
    public func append(_ tokens: [Int]) throws -> [Float] {
        try tokens.withUnsafeBufferPointer { try run($0, logits: .last) }
        return Array(UnsafeBufferPointer(start: logitsBuffer, count: config.vocabSize))
    }

    /// Appends `tokens` and calls `body(i, logits)` with the logits (V) of every new position i,
    /// in order, computed `logitsChunk` rows at a time (a 1024-token window never needs a
    /// 1024 × 50257 buffer). Perplexity and the parity tests use it.
    public func append(_ tokens: [Int], eachLogits body: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        try withoutActuallyEscaping(body) { body in
            try tokens.withUnsafeBufferPointer { try run($0, logits: .all(body)) }
        }
    }

    /// Appends one token (generation) and returns a view of the last logits, valid until the
    /// next call: no allocation per token.
    func appendOne(_ token: Int) throws -> UnsafeBufferPointer<Float> {
        var t = token
        try withUnsafePointer(to: &t) { try run(UnsafeBufferPointer(start: $0, count: 1), logits: .last) }
        return UnsafeBufferPointer(start: logitsBuffer, count: config.vocabSize)
    }

    /// The logits of the last appended position (a view, valid until the next append).
    var lastLogits: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: logitsBuffer, count: config.vocabSize) }

    enum LogitsWanted {
        case none, last
        case all((Int, UnsafeBufferPointer<Float>) throws -> Void)
    }

    /// The forward pass over T new tokens.
    func run(_ tokens: UnsafeBufferPointer<Int>, logits wanted: LogitsWanted) throws {
        let c = config, e = c.nEmbd, t = tokens.count, p0 = count
        guard t > 0 else { return }
        guard p0 + t <= c.nCtx else {
            throw RuntimeError.promptTooLong(tokens: p0 + t, nCtx: c.nCtx)
        }
        for id in tokens where id < 0 || id >= c.vocabSize {
            throw RuntimeError.tokenOutOfRange(id: id, vocabSize: c.vocabSize)
        }
        let w = weights
        // x = wte[tokens] + wpe[p0..<p0+T]                                        (T, C)
        for i in 0..<t {
            let row = x + i * e
            Dequantize.toFloat32(type: w.tokenEmbedding.type,
                                 source: w.tokenEmbedding.base + tokens[i] * w.tokenEmbedding.rowBytes,
                                 count: e, into: row)
            let pos = w.positionEmbedding.base + (p0 + i) * e
            for k in 0..<e { row[k] += pos[k] }
        }
        for (l, b) in w.blocks.enumerated() {
            // --- attention sublayer: x = x + proj(attn(ln_1(x)))
            Ops.layerNorm(h, x, rows: t, channels: e, b.ln1Weight, b.ln1Bias, eps: c.layerNormEpsilon)  // (T, C)
            Ops.linear(qkv, h, rows: t, b.qkv, b.qkvBias, pool: pool)                   // (T, 3C) = q | k | v
            let keys = cache.keys(l), values = cache.values(l)
            for i in 0..<t {                                                             // cache[p0+i] = k, v (C)
                (keys + (p0 + i) * e).update(from: qkv + i * 3 * e + e, count: e)
                (values + (p0 + i) * e).update(from: qkv + i * 3 * e + 2 * e, count: e)
            }
            Attention.forward(out: y, qkv: qkv, rows: t, start: p0, keys: keys, values: values,
                              channels: e, heads: c.nHead, scores: scores)             // (T, C)
            Ops.linear(h, y, rows: t, b.attnProj, b.attnProjBias, pool: pool)           // (T, C)
            for k in 0..<(t * e) { x[k] += h[k] }                                        // residual (T, C)
            // --- MLP sublayer: x = x + proj(gelu(fc(ln_2(x))))
            Ops.layerNorm(h, x, rows: t, channels: e, b.ln2Weight, b.ln2Bias, eps: c.layerNormEpsilon)  // (T, C)
            Ops.linear(f, h, rows: t, b.fc, b.fcBias, pool: pool)                       // (T, 4C)
            Ops.gelu(f, count: t * 4 * e, c.activation)                                  // (T, 4C)
            Ops.linear(h, f, rows: t, b.mlpProj, b.mlpProjBias, pool: pool)             // (T, C)
            for k in 0..<(t * e) { x[k] += h[k] }                                        // residual (T, C)
        }
        count = p0 + t
        // --- head: logits = ln_f(x) · wteᵀ, only for the rows wanted
        switch wanted {
        case .none:
            return
        case .last:
            let last = x + (t - 1) * e
            Ops.layerNorm(h, last, rows: 1, channels: e, w.finalNormWeight, w.finalNormBias,
                          eps: c.layerNormEpsilon)                                       // (1, C)
            Ops.linear(logitsBuffer, h, rows: 1, w.head, nil, pool: pool)               // (1, V)
        case .all(let body):
            Ops.layerNorm(h, x, rows: t, channels: e, w.finalNormWeight, w.finalNormBias,
                          eps: c.layerNormEpsilon)                                       // (T, C)
            var i = 0
            while i < t {
                let n = min(Self.logitsChunk, t - i)
                Ops.linear(logitsBuffer, h + i * e, rows: n, w.head, nil, pool: pool)   // (n, V)
                for r in 0..<n {
                    try body(i + r, UnsafeBufferPointer(start: logitsBuffer + r * c.vocabSize,
                                                        count: c.vocabSize))
                }
                i += n
            }
        }
    }
}
