// Causal multi-head self-attention over a KV cache (nanoGPT CausalSelfAttention after the qkv
// projection, before c_proj). For query t (absolute position past + t) and head h:
//   scores[j] = q·k_j / √HS for j in 0...past+t (later positions masked), p = softmax(scores),
//   out = Σ_j p[j] v_j.
// Rows are positions; heads are contiguous HS-wide slices of each row, so the qkv output
// [T, 3C] can be passed directly (q at column 0, k at C, v at 2C, stride 3C) and a KV cache
// [maxT, C] per layer too. The pool splits the (t, h) pairs.

extension Kernels {
    /// out[t, h*HS ..< (h+1)*HS] for t in 0..<T, h in 0..<NH. k and v must hold rows 0..<past+T.
    public static func attention(_ out: UnsafeMutablePointer<Float>, outStride: Int,
                                 q: UnsafePointer<Float>, qStride: Int,
                                 k: UnsafePointer<Float>, kStride: Int,
                                 v: UnsafePointer<Float>, vStride: Int,
                                 rows T: Int, past: Int, heads NH: Int, headSize HS: Int,
                                 pool: ThreadPool? = nil) {
        let items = T * NH                       // (t, h) pairs, t-major
        let scale = 1 / Float(HS).squareRoot()
        let work = { (range: Range<Int>) in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: (past + T) * NH)
            defer { scores.deallocate() }
            // Consecutive items of the same t are done together (heads h0..<h1 of position t).
            var item = range.lowerBound
            while item < range.upperBound {
                let t = item / NH, h0 = item % NH, h1 = min(NH, h0 + range.upperBound - item)
                attendHeads(out + t * outStride, q + t * qStride, k, kStride, v, vStride,
                            past + t + 1, h0, h1, HS, scale, scores)
                item += h1 - h0
            }
        }
        if let pool, pool.threadCount > 1, items > 1 { pool.parallelFor(items, work) } else { work(0..<items) }
    }

    /// Heads h0..<h1 of one query over keys 0..<L. Keys and values are visited row by row
    /// (j outer, heads inner): the slice of a row that these heads need is contiguous, so the
    /// cache is read as one sequential stream instead of one 256-byte piece every C floats per
    /// head (which left the score loop waiting on memory: 16% of a q8_0 generation run, measured
    /// with perf; 10% after batching 4 keys; this order removes the strided walk). What remains
    /// is memory bound: during generation the weight stream (131-494 MB per token) evicts the
    /// f32 KV cache (12 layers x 2 x L x 3 KB) from L3, so it comes from DRAM — ~10% of a q8_0
    /// token at L ~ 200; an HS = 64 unrolled variant measured the same.
    @inline(__always)
    static func attendHeads(_ o: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>,
                            _ k: UnsafePointer<Float>, _ kStride: Int, _ v: UnsafePointer<Float>, _ vStride: Int,
                            _ L: Int, _ h0: Int, _ h1: Int, _ HS: Int, _ scale: Float,
                            _ scores: UnsafeMutablePointer<Float>) {
        // scores[(h - h0) * L + j] = q_h · k_j,h / √HS
        for j in 0..<L {
            let kr = k + j * kStride
            for h in h0..<h1 {
                let qh = q + h * HS, kh = kr + h * HS
                var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
                var i = 0
                while i + 32 <= HS { a0.addProduct(x16(qh, i), x16(kh, i)); a1.addProduct(x16(qh, i + 16), x16(kh, i + 16)); i += 32 }
                if i + 16 <= HS { a0.addProduct(x16(qh, i), x16(kh, i)); i += 16 }
                var s = hsum(a0 + a1)
                while i < HS { s += qh[i] * kh[i]; i += 1 }
                scores[(h - h0) * L + j] = s * scale
            }
        }
        for h in h0..<h1 { softmaxRow(scores + (h - h0) * L, L) }
        // o_h = Σ_j p_h[j] v_j,h, accumulated in place (the output slice stays in L1).
        let c0 = h0 * HS, width = (h1 - h0) * HS
        (o + c0).initialize(repeating: 0, count: width)
        for j in 0..<L {
            let vr = v + j * vStride
            for h in h0..<h1 {
                let p = scores[(h - h0) * L + j]
                let pv = SIMD16<Float>(repeating: p), oh = o + h * HS, vh = vr + h * HS
                var i = 0
                while i + 16 <= HS {
                    var acc = x16(oh, i)
                    acc.addProduct(pv, x16(vh, i))
                    UnsafeMutableRawPointer(oh + i).storeBytes(of: acc, as: SIMD16<Float>.self)
                    i += 16
                }
                while i < HS { oh[i] += p * vh[i]; i += 1 }
            }
        }
    }
}
