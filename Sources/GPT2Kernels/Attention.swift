// Causal multi-head self-attention over a KV cache (nanoGPT CausalSelfAttention after the qkv
// projection, before c_proj). For query t (absolute position past + t) and head h:
//   scores[j] = q·k_j / √HS for j in 0...past+t (later positions masked), p = softmax(scores),
//   out = Σ_j p[j] v_j.
// q and out are rows of [T, C] (heads side by side, HS-wide slices); keys and values live in a
// `KVLayer` (KVLayer.swift), whose head-major, key-transposed layout is what makes this fast:
//  - scores: 16 keys at a time as 16 lanes, Σ_i q[i] · K[i, j..j+16] (one broadcast FMA per
//    dimension), so no horizontal sum per key. The row layout ([L, C], heads side by side)
//    needed one 16-lane reduction per (key, head): ~290 µs per token for 12 layers at L = 256,
//    more with 2 threads (450 µs), measured with KernelBench --only attention;
//  - output: Σ_j p[j] v_j for one head with the 64 sums in registers, reading that head's
//    values as one contiguous stream.
// The pool splits the (t, h) pairs; a head's keys and values are contiguous, so a thread reads
// its own part of the cache.

extension Kernels {
    /// out[t, h*HS ..< (h+1)*HS] for t in 0..<T, h in 0..<NH, for queries at positions
    /// past..<past+T. The cache must hold positions 0..<past+T.
    public static func attention(_ out: UnsafeMutablePointer<Float>, outStride: Int,
                                 q: UnsafePointer<Float>, qStride: Int, cache: KVLayer<Float>,
                                 rows T: Int, past: Int, pool: ThreadPool? = nil) {
        attentionAny(out, outStride, q, qStride, cache, T, past, pool)
    }

    /// The same over an f16 cache. (Two concrete entry points rather than one public generic:
    /// a generic called from another module runs unspecialized, through witness tables, ~2x slower.)
    public static func attention(_ out: UnsafeMutablePointer<Float>, outStride: Int,
                                 q: UnsafePointer<Float>, qStride: Int, cache: KVLayer<Float16>,
                                 rows T: Int, past: Int, pool: ThreadPool? = nil) {
        attentionAny(out, outStride, q, qStride, cache, T, past, pool)
    }

    @inline(__always)
    static func attentionAny<E: KVElement>(_ out: UnsafeMutablePointer<Float>, _ outStride: Int,
                                           _ q: UnsafePointer<Float>, _ qStride: Int, _ cache: KVLayer<E>,
                                           _ T: Int, _ past: Int, _ pool: ThreadPool?) {
        let NH = cache.heads, HS = cache.headSize
        require(past >= 0 && T >= 0 && past + T <= cache.capacity,
                "attention over \(past + T) positions in a cache of \(cache.capacity)")
        let items = T * NH                       // (t, h) pairs, t-major
        let scale = 1 / Float(HS).squareRoot()
        let work = { (range: Range<Int>) in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: past + T + 16) { s in
                for item in range {
                    let t = item / NH, h = item % NH
                    attendHead(out + t * outStride + h * HS, q + t * qStride + h * HS, cache, h,
                               past + t + 1, scale, s.baseAddress!)
                }
            }
        }
        if let pool, pool.threadCount > 1, items > 1 { pool.parallelFor(items, work) } else { work(0..<items) }
    }

    /// One query of head h over keys 0..<L: o[0..<HS] = softmax(q·K / √HS) V.
    @inline(__always)
    static func attendHead<E: KVElement>(_ o: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>,
                                         _ cache: KVLayer<E>, _ h: Int, _ L: Int, _ scale: Float,
                                         _ scores: UnsafeMutablePointer<Float>) {
        let HS = cache.headSize
        // scores[j] = q · k_j · scale, a tile of 16 keys at a time (lanes past L are not used).
        let kh = cache.keys(head: h)
        var m = 0
        while 16 * m < L {
            let tile = kh + m * HS * 16
            // Four chains of FMAs: one would wait 4 cycles (FMA latency) per dimension.
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            var i = 0
            while i + 4 <= HS {
                a0.addProduct(SIMD16(repeating: q[i]), E.load16(tile, 16 * i))
                a1.addProduct(SIMD16(repeating: q[i + 1]), E.load16(tile, 16 * i + 16))
                a2.addProduct(SIMD16(repeating: q[i + 2]), E.load16(tile, 16 * i + 32))
                a3.addProduct(SIMD16(repeating: q[i + 3]), E.load16(tile, 16 * i + 48))
                i += 4
            }
            while i < HS { a0.addProduct(SIMD16(repeating: q[i]), E.load16(tile, 16 * i)); i += 1 }
            let s = ((a0 + a1) + (a2 + a3)) * scale
            // scores has room for 16 past L, so the whole tile is stored.
            UnsafeMutableRawPointer(scores + 16 * m).storeBytes(of: s, as: SIMD16<Float>.self)
            m += 1
        }
        softmaxRow(scores, L)
        // o = Σ_j p[j] v_j: 64 columns at a time in four registers, two keys per step (8 FMA
        // chains); then 16-column chunks and single columns for head sizes not a multiple of 64.
        let vh = cache.values(head: h)
        var c = 0
        while c + 64 <= HS {
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            var b0 = SIMD16<Float>(), b1 = SIMD16<Float>(), b2 = SIMD16<Float>(), b3 = SIMD16<Float>()
            var j = 0
            while j + 2 <= L {
                let p = SIMD16<Float>(repeating: scores[j]), r = vh + j * HS + c
                let p2 = SIMD16<Float>(repeating: scores[j + 1]), r2 = r + HS
                a0.addProduct(p, E.load16(r, 0)); a1.addProduct(p, E.load16(r, 16))
                a2.addProduct(p, E.load16(r, 32)); a3.addProduct(p, E.load16(r, 48))
                b0.addProduct(p2, E.load16(r2, 0)); b1.addProduct(p2, E.load16(r2, 16))
                b2.addProduct(p2, E.load16(r2, 32)); b3.addProduct(p2, E.load16(r2, 48))
                j += 2
            }
            if j < L {
                let p = SIMD16<Float>(repeating: scores[j]), r = vh + j * HS + c
                a0.addProduct(p, E.load16(r, 0)); a1.addProduct(p, E.load16(r, 16))
                a2.addProduct(p, E.load16(r, 32)); a3.addProduct(p, E.load16(r, 48))
            }
            let out = UnsafeMutableRawPointer(o + c)
            out.storeBytes(of: a0 + b0, as: SIMD16<Float>.self)
            out.storeBytes(of: a1 + b1, toByteOffset: 64, as: SIMD16<Float>.self)
            out.storeBytes(of: a2 + b2, toByteOffset: 128, as: SIMD16<Float>.self)
            out.storeBytes(of: a3 + b3, toByteOffset: 192, as: SIMD16<Float>.self)
            c += 64
        }
        while c + 16 <= HS {
            var a = SIMD16<Float>()
            for j in 0..<L { a.addProduct(SIMD16(repeating: scores[j]), E.load16(vh + j * HS + c, 0)) }
            UnsafeMutableRawPointer(o + c).storeBytes(of: a, as: SIMD16<Float>.self)
            c += 16
        }
        while c < HS {
            var a: Float = 0
            for j in 0..<L { a += scores[j] * E.load1(vh + j * HS + c, 0) }
            o[c] = a
            c += 1
        }
    }
}
