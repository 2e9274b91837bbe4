// Entry points of the training kernels (CKernels/k_train.h): argument checks and the split of
// work between threads. Activations are [N, C] row-major f32 (N = B·T rows); weights f32
// [OUT, IN]. Each has a naive oracle in ReferenceTraining.swift.
import CKernels

extension Kernels {
    /// y[N, OUT] = x[N, IN] · wᵀ + b, f32 weights: the rows of x go straight into the
    /// micro-kernel, the weight (small) is cut into column tiles (k_train.h's tr_matmul).
    public func linearForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                              bias b: UnsafePointer<Float>?, rows N: Int, in IN: Int, out OUT: Int, pool: ThreadPool?) {
        if N == 0 || OUT == 0 { return }
        if IN == 0 {
            for n in 0..<N { for o in 0..<OUT { y[n * OUT + o] = b?[o] ?? 0 } }
            return
        }
        let k = t.pointee
        let tiles = UnsafeMutablePointer<Float>.allocate(capacity: linearForwardScratch(in: IN, out: OUT))
        defer { tiles.deallocate() }
        split((OUT + k.tile_cols - 1) / k.tile_cols, pool) { r in k.matmul_transpose(tiles, w, OUT, IN, r.lowerBound, r.upperBound) }
        split((N + 5) / 6, pool) { r in k.tr_matmul(y, OUT, x, IN, tiles, b, IN, N, OUT, 0, r.lowerBound, r.upperBound) }
    }

    /// n rounded up to whole column tiles (tr_matmul's operand in tiles of `tile_cols`).
    private func tiled(_ n: Int) -> Int {
        let tw = t.pointee.tile_cols
        return (n + tw - 1) / tw * tw
    }

    /// Floats `linearForward` allocates: the weight in column tiles.
    package func linearForwardScratch(in IN: Int, out OUT: Int) -> Int { tiled(OUT) * IN }

    /// dW's blocking in `linearBackward`: rows of dy per chunk (the kernel's k-chunk) and rows
    /// of dw per band (at most 8 Mi floats of dyᵀ).
    private static func weightGradientBlocks(rows N: Int, out OUT: Int) -> (chunk: Int, band: Int) {
        let chunk = min(N, 1024)
        return (chunk, min(OUT, max(6, (8 << 20) / chunk / 6 * 6)))
    }

    /// Peak floats `linearBackward` allocates: dx's tiles of the weight, or (after they are
    /// freed) dW's band of dyᵀ and x's tiles.
    package func linearBackwardScratch(rows N: Int, in IN: Int, out OUT: Int) -> Int {
        let (chunk, band) = Self.weightGradientBlocks(rows: max(N, 1), out: OUT)
        return max(tiled(IN) * OUT, band * chunk + tiled(IN) * chunk)
    }

    /// Runs body over 0..<n, split between the pool's threads when there is more than one part.
    private func split(_ n: Int, _ pool: ThreadPool?, _ body: @escaping (Range<Int>) -> Void) {
        if let pool, pool.threadCount > 1, n > 1 { pool.parallelFor(n, body) } else { body(0..<n) }
    }

    /// The backward of `linearForward` for dy[N, OUT]: dx[N, IN] = dy · w (written; nil: not
    /// wanted), dw[OUT, IN] += dyᵀ · x, db[OUT] += Σ_rows dy (nil: no bias). Both products on
    /// k_train.h's tr_matmul: dx from dy's rows against w's columns in tiles; dw from dyᵀ's rows
    /// against x's columns in tiles, a chunk of dy's rows at a time.
    public func linearBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                               dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                               rows N: Int, in IN: Int, out OUT: Int, pool: ThreadPool?) {
        if N == 0 || IN == 0 || OUT == 0 { return }
        let k = t.pointee, tw = k.tile_cols, iBlocks = (IN + tw - 1) / tw
        if let dx {
            let tiles = UnsafeMutablePointer<Float>.allocate(capacity: tiled(IN) * OUT)
            defer { tiles.deallocate() }
            split(iBlocks, pool) { r in k.tr_pack_columns(tiles, w, OUT, IN, IN, r.lowerBound, r.upperBound) }
            split((N + 5) / 6, pool) { r in k.tr_matmul(dx, IN, dy, OUT, tiles, nil, OUT, N, IN, 0, r.lowerBound, r.upperBound) }
        }
        // dw: read in place (6 broadcasts from a row of dy, x's row as the vector operand), every
        // step of the sum was a new pair of rows OUT and IN floats apart, and the product ran at
        // 80-130 GFLOP/s where the forward's runs at ~165 (Xeon, 2 AVX-512 FMA units); dy
        // transposed and x in tiles cost two copies and run at the forward's speed. Chunks of at
        // most 1024 rows (the kernel's k-chunk) by at most 8 Mi floats of dyᵀ: a vocabulary-sized
        // head is done in bands of dw rows, each summed over all rows of dy, instead of making a
        // logits-sized copy or re-reading all of dw once per small chunk.
        let (chunk, band) = Self.weightGradientBlocks(rows: N, out: OUT)
        let dyT = UnsafeMutablePointer<Float>.allocate(capacity: band * chunk)
        let xt = UnsafeMutablePointer<Float>.allocate(capacity: tiled(IN) * chunk)
        defer { dyT.deallocate(); xt.deallocate() }
        for o0 in stride(from: 0, to: OUT, by: band) {
            let oc = min(band, OUT - o0)
            for n0 in stride(from: 0, to: N, by: chunk) {
                let nc = min(chunk, N - n0), dyc = dy + n0 * OUT + o0, xc = x + n0 * IN
                split((nc + 15) / 16, pool) { r in k.tr_transpose(dyT, dyc, nc, oc, OUT, 16 * r.lowerBound, min(16 * r.upperBound, nc)) }
                split(iBlocks, pool) { r in k.tr_pack_columns(xt, xc, nc, IN, IN, r.lowerBound, r.upperBound) }
                split((oc + 5) / 6, pool) { r in k.tr_matmul(dw + o0 * IN, IN, dyT, nc, xt, nil, nc, oc, IN, 1, r.lowerBound, r.upperBound) }
            }
        }
        if let db { split(OUT, pool) { r in k.tr_column_sums(db, dy, N, OUT, r.lowerBound, r.upperBound) } }
    }

    /// out = LayerNorm(x) over rows of C, keeping mean[N] and rstd[N] (1/√(var + ε)).
    public func layerNormForward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                                 _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                 rows N: Int, channels C: Int, epsilon: Float, pool: ThreadPool?) {
        let f = t.pointee.tr_layer_norm_forward!
        if let pool, pool.threadCount > 1, N >= 64 {
            pool.parallelFor(N, align: 8) { r in f(out, mean, rstd, x, weight, bias, C, epsilon, r.lowerBound, r.upperBound) }
        } else {
            f(out, mean, rstd, x, weight, bias, C, epsilon, 0, N)
        }
    }

    /// LayerNorm backward: dx += ∂/∂x, dw += ∂/∂w, db += ∂/∂b (nil: no bias). One thread: the
    /// parameter gradients are sums over all rows.
    public func layerNormBackward(dx: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                  dout: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                  rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows N: Int, channels C: Int) {
        t.pointee.tr_layer_norm_backward(dx, dw, db, dout, x, mean, rstd, weight, C, 0, N)
    }

    /// y = GELU(x), erf form, n values; x is replaced by GELU'(x), so the backward is
    /// `multiply(dy, by: x)` (y must not alias x).
    public func geluErfForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, count n: Int, pool: ThreadPool?) {
        let f = t.pointee.tr_gelu_erf_forward!
        if let pool, pool.threadCount > 1, n >= 16_384 {
            pool.parallelFor(n, align: 16) { r in f(y + r.lowerBound, x + r.lowerBound, r.count) }
        } else { f(y, x, n) }
    }

    /// Softmax cross-entropy of logits [N, V] against targets (each < V): losses[N] written;
    /// logits replaced by scale · (softmax - onehot).
    public func crossEntropy(_ logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
                             targets: UnsafePointer<Int32>, rows N: Int, vocabulary V: Int, scale: Float, pool: ThreadPool?) {
        let f = t.pointee.tr_cross_entropy!
        if let pool, pool.threadCount > 1, N >= 16 {
            pool.parallelFor(N) { r in f(logits, losses, targets, V, scale, r.lowerBound, r.upperBound) }
        } else { f(logits, losses, targets, V, scale, 0, N) }
    }

    /// Inverted dropout with probability p: mask[i] = 0 or 1/(1-p), from a hash of (seed, i);
    /// x *= mask.
    public func dropout(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count n: Int, seed: UInt64, probability p: Float) {
        t.pointee.tr_dropout(x, mask, n, seed, p)
    }

    /// y *= m elementwise.
    public func multiply(_ y: UnsafeMutablePointer<Float>, by m: UnsafePointer<Float>, count n: Int, pool: ThreadPool? = nil) {
        let f = t.pointee.tr_multiply!
        if let pool, pool.threadCount > 1, n >= 16_384 {
            pool.parallelFor(n, align: 16) { r in f(y + r.lowerBound, m + r.lowerBound, r.count) }
        } else { f(y, m, n) }
    }

    /// Causal self-attention over qkv [B, T, 3C]: out [B, T, C], att [B, NH, T, T] the softmax
    /// weights; mask [B, NH, T, T] (dropout on the weights) or nil. Split over (batch, head).
    public func attentionForward(_ out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?,
                                 qkv: UnsafePointer<Float>, batch B: Int, length T: Int, channels C: Int, heads NH: Int,
                                 pool: ThreadPool?) {
        require(NH > 0 && C % NH == 0, "n_embd \(C) is not a multiple of n_head \(NH)")
        let f = t.pointee.tr_attention_forward!
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Self.attentionScratch(B * NH, T, C / NH))
        defer { scratch.deallocate() }
        if let pool, pool.threadCount > 1 {
            pool.parallelFor(B * NH) { r in f(out, att, mask, qkv, scratch, T, C, NH, r.lowerBound, r.upperBound) }
        } else { f(out, att, mask, qkv, scratch, T, C, NH, 0, B * NH) }
    }

    /// Floats of the attention forward's scratch: per (batch, head) pair, HS + 4 rows of T
    /// rounded up to 16 (k_train.h's TR_ROUND16: the keys transposed, a block of 4 score rows).
    package static func attentionScratch(_ pairs: Int, _ T: Int, _ HS: Int) -> Int { max(1, pairs * (HS + 4) * ((T + 15) / 16 * 16)) }

    /// Floats of the attention backward's scratch for `parts` threads: one each, (HS + T + 4)
    /// rows of T rounded up to 16; the (batch, head) pairs are split evenly.
    package static func attentionBackwardScratch(_ parts: Int, _ T: Int, _ HS: Int) -> Int { parts * (HS + T + 4) * ((T + 15) / 16 * 16) }

    /// Backward of `attentionForward`: dqkv [B, T, 3C] written from dout [B, T, C].
    public func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                                  att: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                                  batch B: Int, length T: Int, channels C: Int, heads NH: Int, pool: ThreadPool?) {
        require(NH > 0 && C % NH == 0, "n_embd \(C) is not a multiple of n_head \(NH)")
        let f = t.pointee.tr_attention_backward!
        let parts = min(pool?.threadCount ?? 1, B * NH), per = Self.attentionBackwardScratch(1, T, C / NH)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: parts * per)
        defer { scratch.deallocate() }
        let pairs = B * NH
        if let pool, parts > 1 {
            pool.run(parts: parts) { p in
                f(dqkv, dout, qkv, att, mask, scratch + p * per, T, C, NH, p * pairs / parts, (p + 1) * pairs / parts)
            }
        } else { f(dqkv, dout, qkv, att, mask, scratch, T, C, NH, 0, pairs) }
    }

    /// out[n] = wte[ids[n]] + wpe[n % T] for N = B·T rows (ids < wte rows: checked by the caller).
    public func embedForward(_ out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, wte: UnsafePointer<Float>,
                             wpe: UnsafePointer<Float>, rows N: Int, length T: Int, channels C: Int) {
        t.pointee.tr_embed_forward(out, ids, wte, wpe, N, T, C)
    }

    /// dwte[ids[n]] += dx[n], dwpe[n % T] += dx[n].
    public func embedBackward(dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>,
                              dx: UnsafePointer<Float>, rows N: Int, length T: Int, channels C: Int) {
        t.pointee.tr_embed_backward(dwte, dwpe, ids, dx, N, T, C)
    }

    /// One AdamW update of n values in torch's order of operations (GPT2Training.AdamW).
    public func adamwUpdate(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                            _ v: UnsafeMutablePointer<Float>, count n: Int, beta1: Float, beta2: Float, epsilon: Float,
                            decay: Float, stepSize: Float, bc2Sqrt: Float) {
        t.pointee.tr_adamw(p, g, m, v, n, beta1, beta2, epsilon, decay, stepSize, bc2Sqrt)
    }

    /// Σ x², summed in double over short f32 runs.
    public func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int) -> Double { t.pointee.tr_sum_squares(x, n) }

    /// x *= s.
    public func scale(_ x: UnsafeMutablePointer<Float>, by s: Float, count n: Int) { t.pointee.tr_scale(x, s, n) }
}
