import Foundation

/// Causal multi-head self-attention over the KV cache, for T new positions p0..<p0+T whose
/// keys and values are already in the cache (nanoGPT's `CausalSelfAttention.forward` after the
/// qkv split, with the mask expressed as "attend to positions ≤ own").
enum Attention {
    /// out[T, C] = softmax(q·Kᵀ / √HS, causal) · V, per head.
    /// - q: the qkv buffer [T, 3C] (queries are its first C columns).
    /// - keys, values: the layer's cache [nCtx, C], rows 0..<p0+T valid.
    /// - scores: scratch of at least p0+T floats.
    static func forward(out: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>, rows t: Int,
                        start p0: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                        channels c: Int, heads nh: Int, scores: UnsafeMutablePointer<Float>) {
        let hs = c / nh
        let scale = 1 / Float(hs).squareRoot()
        for i in 0..<t {
            let n = p0 + i + 1                                  // positions this query sees
            for h in 0..<nh {
                let q = qkv + i * 3 * c + h * hs                // (HS)
                var m = -Float.infinity
                for j in 0..<n {                                // scores (n)
                    let k = keys + j * c + h * hs
                    var s: Float = 0
                    for d in 0..<hs { s += q[d] * k[d] }
                    s *= scale
                    scores[j] = s
                    m = max(m, s)
                }
                var sum: Float = 0
                for j in 0..<n { let e = exp(scores[j] - m); scores[j] = e; sum += e }
                let inv = 1 / sum
                let o = out + i * c + h * hs                    // (HS)
                for d in 0..<hs { o[d] = 0 }
                for j in 0..<n {
                    let p = scores[j] * inv
                    let v = values + j * c + h * hs
                    for d in 0..<hs { o[d] += p * v[d] }
                }
            }
        }
    }
}
