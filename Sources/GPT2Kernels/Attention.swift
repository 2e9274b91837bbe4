// Causal multi-head self-attention over a KV cache (nanoGPT CausalSelfAttention after the qkv
// projection, before c_proj). For query t (absolute position past + t) and head h:
//   scores[j] = q·k_j / √HS for j in 0...past+t (later positions masked), p = softmax(scores),
//   out = Σ_j p[j] v_j.
// q and out are rows of [T, C] (heads side by side, HS-wide slices); keys and values live in a
// `KVLayer` (KVLayer.swift), whose head-major, key-transposed layout the C kernel
// (CKernels/k_attention.h) reads 16 keys per broadcast FMA. The pool splits the (t, h) pairs;
// a head's keys and values are contiguous, so a thread reads its own part of the cache.
import CKernels

extension Kernels {
    /// out[t, h*HS ..< (h+1)*HS] for t in 0..<T, h in 0..<NH, for queries at positions
    /// past..<past+T. The cache must hold positions 0..<past+T.
    public func attention(_ out: UnsafeMutablePointer<Float>, outStride: Int,
                          q: UnsafePointer<Float>, qStride: Int, cache: KVLayer<Float>,
                          rows T: Int, past: Int, pool: ThreadPool? = nil) {
        let f = t.pointee.attend_f32!
        attentionAny(out, outStride, q, qStride, cache, T, past, pool) { o, q, h, L, scale, s in
            f(o, q, cache.keys(head: h), cache.values(head: h), cache.headSize, L, scale, s)
        }
    }

    /// The same over an f16 cache.
    public func attention(_ out: UnsafeMutablePointer<Float>, outStride: Int,
                          q: UnsafePointer<Float>, qStride: Int, cache: KVLayer<Float16>,
                          rows T: Int, past: Int, pool: ThreadPool? = nil) {
        let f = t.pointee.attend_f16!
        attentionAny(out, outStride, q, qStride, cache, T, past, pool) { o, q, h, L, scale, s in
            let k = UnsafeRawPointer(cache.keys(head: h)).assumingMemoryBound(to: UInt16.self)
            let v = UnsafeRawPointer(cache.values(head: h)).assumingMemoryBound(to: UInt16.self)
            f(o, q, k, v, cache.headSize, L, scale, s)
        }
    }

    /// Runs `head(out, q, h, L, scale, scores)` for every (t, h) pair, split over the pool.
    @inline(__always)
    func attentionAny<E>(_ out: UnsafeMutablePointer<Float>, _ outStride: Int, _ q: UnsafePointer<Float>,
                         _ qStride: Int, _ cache: KVLayer<E>, _ T: Int, _ past: Int, _ pool: ThreadPool?,
                         _ head: @escaping (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int, Int, Float,
                                            UnsafeMutablePointer<Float>) -> Void) {
        let NH = cache.heads, HS = cache.headSize
        require(past >= 0 && T >= 0 && past + T <= cache.capacity,
                "attention over \(past + T) positions in a cache of \(cache.capacity)")
        let items = T * NH                       // (t, h) pairs, t-major
        let scale = 1 / Float(HS).squareRoot()
        let work = { (range: Range<Int>) in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: past + T + 16) { s in
                for item in range {
                    let i = item / NH, h = item % NH
                    head(out + i * outStride + h * HS, q + i * qStride + h * HS, h, past + i + 1, scale, s.baseAddress!)
                }
            }
        }
        if let pool, pool.threadCount > 1, items > 1 { pool.parallelFor(items, work) } else { work(0..<items) }
    }
}
