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
        let items = T * NH
        let scale = 1 / Float(HS).squareRoot()
        let work = { (range: Range<Int>) in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: past + T)
            defer { scores.deallocate() }
            for item in range {
                let t = item / NH, h = item % NH
                attendOne(out + t * outStride + h * HS, q + t * qStride + h * HS, k + h * HS, kStride,
                          v + h * HS, vStride, past + t + 1, HS, scale, scores)
            }
        }
        if let pool, pool.threadCount > 1, items > 1 { pool.parallelFor(items, work) } else { work(0..<items) }
    }

    @inline(__always)
    static func attendOne(_ o: UnsafeMutablePointer<Float>, _ qv: UnsafePointer<Float>,
                          _ k: UnsafePointer<Float>, _ kStride: Int, _ v: UnsafePointer<Float>, _ vStride: Int,
                          _ L: Int, _ HS: Int, _ scale: Float, _ scores: UnsafeMutablePointer<Float>) {
        for j in 0..<L {
            let kj = k + j * kStride
            var acc = SIMD16<Float>()
            var i = 0
            while i + 16 <= HS { acc.addProduct(x16(qv, i), x16(kj, i)); i += 16 }
            var s = hsum(acc)
            while i < HS { s += qv[i] * kj[i]; i += 1 }
            scores[j] = s * scale
        }
        softmaxRow(scores, L)
        var c = 0
        while c + 16 <= HS {
            var acc = SIMD16<Float>()
            for j in 0..<L { acc.addProduct(SIMD16(repeating: scores[j]), x16(v + j * vStride, c)) }
            UnsafeMutableRawPointer(o + c).storeBytes(of: acc, as: SIMD16<Float>.self)
            c += 16
        }
        while c < HS {
            var s: Float = 0
            for j in 0..<L { s += scores[j] * v[j * vStride + c] }
            o[c] = s
            c += 1
        }
    }
}
