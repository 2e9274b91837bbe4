import GPT2Kernels
import GPT2ModelFile

/// A GPT-2 ready to run: the weights, a KV cache and the scratch buffers of one sequence.
///
/// The forward pass follows nanoGPT's `model.py` (`GPT.forward`, `Block`, `CausalSelfAttention`,
/// `MLP`): token + position embeddings, pre-LN blocks, final LayerNorm, tied head. Tokens are
/// appended to the sequence with `append`: several at once go through the weights as one
/// matrix-matrix product (a prompt), one at a time as a matrix-vector product (generation),
/// each attending to everything in the cache. All buffers are allocated here, once; the
/// runtime allocates nothing per token (the kernels' attention takes one small scratch row per
/// call).
///
/// Shape legend (llm.c's): T new positions, C = n_embd, NH heads, HS = C/NH, V vocabulary.
public final class GPT2Model {
    /// The weights the model runs (shared, read-only).
    public let weights: GPT2Weights
    /// The model's hyperparameters.
    public var config: GPT2Config { weights.config }
    /// Positions in the KV cache (the sequence so far), at most `config.nCtx`.
    public private(set) var count = 0
    /// Element type of the KV cache.
    public var kvCacheType: KVCacheType { cache.type }

    /// The kernel set the forward pass runs on (`Kernels.selected` unless given).
    public let kernels: Kernels
    /// The kernels' fork-join pool (nil with one thread: everything runs on the caller).
    let pool: ThreadPool?
    private let cache: KVCache
    private let x, h, qkv, y, f: UnsafeMutablePointer<Float>
    private let logitsBuffer: UnsafeMutablePointer<Float>
    /// Owners of the buffers above.
    private let buffers: [FloatBuffer]
    /// Rows of logits computed at once when every position's logits are wanted: the matmul
    /// decodes and packs every panel of the 50257-row head once per call, so rows are batched
    /// to amortize that; 64 rows of logits are a 13 MB buffer.
    let logitsChunk: Int

    /// `kvCache` nil: `KVCacheType.defaultFor` the blocks' weight type (f32 stays exact).
    /// `kernels`: the kernel set to run on (tests force each set the CPU has).
    public init(weights: GPT2Weights, threads: Int = 1, kvCache: KVCacheType? = nil, kernels: Kernels = .selected) throws {
        guard (1...64).contains(threads) else {
            throw RuntimeError.invalidOption("threads must be in 1...64, got \(threads)")
        }
        self.weights = weights
        self.kernels = kernels
        pool = threads > 1 ? ThreadPool(threads: threads) : nil
        let c = weights.config, n = c.nCtx, e = c.nEmbd
        logitsChunk = min(64, n)
        let kvType = kvCache ?? KVCacheType.defaultFor(weights.blocks.first?.qkv.type ?? .f32)
        cache = try KVCache(layers: c.nLayer, nCtx: n, heads: c.nHead, headSize: e / c.nHead, type: kvType)
        let what = "activations"
        buffers = [
            try FloatBuffer(count: n * e, what: what),            // x: residual stream (T, C)
            try FloatBuffer(count: n * e, what: what),            // h: normalized input of a sublayer (T, C)
            try FloatBuffer(count: n * 3 * e, what: what),        // qkv (T, 3C)
            try FloatBuffer(count: n * e, what: what),            // y: attention output (T, C)
            try FloatBuffer(count: n * 4 * e, what: what),        // f: MLP hidden (T, 4C)
            try FloatBuffer(count: logitsChunk * c.vocabSize, what: "logits"),  // (chunk, V)
        ]
        (x, h, qkv, y, f, logitsBuffer) = (buffers[0].pointer, buffers[1].pointer, buffers[2].pointer,
                                          buffers[3].pointer, buffers[4].pointer, buffers[5].pointer)
    }

    /// Forgets the sequence (the cache is simply overwritten from position 0).
    public func reset() { count = 0 }

    /// Drops positions `n..<count` from the sequence: K/V of earlier positions do not depend on
    /// later ones, so a prompt can be reused for several samples.
    public func truncate(to n: Int) throws {
        guard n >= 0 && n <= count else {
            throw RuntimeError.invalidOption("truncate(to: \(n)) is outside the sequence of \(count) positions")
        }
        count = n
    }

    /// Appends `tokens` at positions `count..<count+T` and returns the logits (V) of the last one.
    @discardableResult
    public func append(_ tokens: [Int]) throws -> [Float] {
        try tokens.withUnsafeBufferPointer { try run($0, logits: .last) }
        return Array(UnsafeBufferPointer(start: logitsBuffer, count: config.vocabSize))
    }

    /// Appends `tokens` and calls `body(i, logits)` with the logits (V) of every new position i,
    /// in order, computed up to 64 rows at a time (a 1024-token window never needs a
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
        case last
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
        let w = weights, pool = self.pool, k = kernels
        let eps = c.layerNormEpsilon
        let gelu: Kernels.GELU = c.activation == .geluErf ? .erf : .tanh
        // x = wte[tokens] + wpe[p0..<p0+T]                                        (T, C)
        for i in 0..<t {
            w.tokenEmbedding.decodeRow(tokens[i], into: x + i * e, kernels: k)
            w.positionEmbedding.decodeRow(p0 + i, into: h, kernels: k)
            k.add(x + i * e, h, count: e)
        }
        var lastOnly = true
        if case .all = wanted { lastOnly = false }
        for (l, b) in w.blocks.enumerated() {
            // In the last block only the rows whose logits are wanted go on after the keys and
            // values are cached: with last-position logits, attention, projection and MLP run
            // for one row (T' = 1, rows T-1..<T) — ~6% of a 124M prompt pass saved.
            let r0 = lastOnly && l == w.blocks.count - 1 ? t - 1 : 0, n = t - r0   // T' = n
            // --- attention sublayer: x = x + proj(attn(ln_1(x)))
            k.layerNorm(h, x, weight: b.ln1Weight.base, bias: b.ln1Bias?.base,
                              rows: t, channels: e, epsilon: eps)                          // (T, C)
            k.matmul(qkv, h, b.qkv, bias: b.qkvBias?.base, rows: t, pool: pool)      // (T, 3C) = q | k | v
            for i in 0..<t {                                                             // cache[p0+i] = k, v (C)
                cache.store(layer: l, position: p0 + i, k: qkv + i * 3 * e + e, v: qkv + i * 3 * e + 2 * e, kernels: k)
            }
            cache.attention(y, outStride: e, q: qkv + r0 * 3 * e, qStride: 3 * e, layer: l,
                            rows: n, past: p0 + r0, pool: pool, kernels: k)                          // (T', C), per head (T', HS)
            let xr = x + r0 * e                                                          // rows r0..<T of x
            k.matmul(h, y, b.attnProj, bias: b.attnProjBias?.base, rows: n, pool: pool)  // (T', C)
            k.add(xr, h, count: n * e)                                             // residual (T', C)
            // --- MLP sublayer: x = x + proj(gelu(fc(ln_2(x))))
            k.layerNorm(h, xr, weight: b.ln2Weight.base, bias: b.ln2Bias?.base,
                              rows: n, channels: e, epsilon: eps)                          // (T', C)
            k.matmul(f, h, b.fc, bias: b.fcBias?.base, rows: n, pool: pool)          // (T', 4C)
            k.gelu(f, count: n * 4 * e, form: gelu)                                // (T', 4C)
            k.matmul(h, f, b.mlpProj, bias: b.mlpProjBias?.base, rows: n, pool: pool)  // (T', C)
            k.add(xr, h, count: n * e)                                             // residual (T', C)
        }
        count = p0 + t
        // --- head: logits = ln_f(x) · wteᵀ, only for the rows wanted
        let lnf = w.finalNormWeight.base, lnfBias = w.finalNormBias?.base
        switch wanted {
        case .last:
            k.layerNorm(h, x + (t - 1) * e, weight: lnf, bias: lnfBias,
                              rows: 1, channels: e, epsilon: eps)                          // (1, C)
            k.matvec(logitsBuffer, h, w.head, bias: nil, pool: pool)               // (1, V)
        case .all(let body):
            k.layerNorm(h, x, weight: lnf, bias: lnfBias, rows: t, channels: e, epsilon: eps)  // (T, C)
            var i = 0
            while i < t {
                let n = min(logitsChunk, t - i)
                k.matmul(logitsBuffer, h + i * e, w.head, bias: nil, rows: n, pool: pool)  // (n, V)
                for r in 0..<n {
                    try body(i + r, UnsafeBufferPointer(start: logitsBuffer + r * c.vocabSize,
                                                        count: c.vocabSize))
                }
                i += n
            }
        }
    }
}
