// Matrix-vector product for generation: y[OUT] = W[OUT, IN] · x[IN] + b[OUT].
// Memory-bandwidth bound: every weight byte is read once per token, so the kernels read the
// mapped bytes directly in their stored type (f16 -> vcvtph2ps, bf16 -> shift, q8_0 -> int8
// widen + per-block f16 scale) while x stays in L1. One row at a time, front to back, with two
// accumulators: a single sequential stream per thread. (Four rows interleaved, sharing the x
// loads, was 10-30% slower from DRAM, measured by CPU time: four short streams prefetch worse,
// and L1 has bandwidth to spare for re-reading x.)
// Rows are split between the pool's threads in chunks of 16.
// q8_0 with a packed copy (PackedQ8.swift, made at load on a CPU with AVX-512 VNNI) goes to
// matvecPackedQ8 (x quantized to int8, C kernel); dotQ8 below is the portable kernel for the
// file's layout (f32 x).

extension Kernels {
    /// y[OUT] = W · x + bias. x: [IN] f32, y: [OUT] f32 (must not alias x), bias: [OUT] or nil.
    public static func matvec(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                              bias: UnsafePointer<Float>?, pool: ThreadPool? = nil) {
        if w.type == .q8_0, let packed = w.packedQ8, w.cols > 0 {
            matvecPackedQ8(y, x, w, packed, bias: bias, pool: pool)
            return
        }
        let n = w.rows
        guard let pool, pool.threadCount > 1, n >= 64 else {
            matvecRows(y, x, w, bias, 0..<n)
            return
        }
        pool.parallelFor(n, align: 16) { r in matvecRows(y, x, w, bias, r) }
    }

    /// Rows `range` of the product.
    static func matvecRows(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                           _ bias: UnsafePointer<Float>?, _ range: Range<Int>) {
        let n = w.cols
        switch w.type {
        case .f32: for r in range { y[r] = dotRow(w.row(r), x, n, F32Rows.self) + (bias?[r] ?? 0) }
        case .f16: for r in range { y[r] = dotRow(w.row(r), x, n, F16Rows.self) + (bias?[r] ?? 0) }
        case .bf16: for r in range { y[r] = dotRow(w.row(r), x, n, BF16Rows.self) + (bias?[r] ?? 0) }
        case .q8_0: for r in range { y[r] = dotQ8(w.row(r), x, n) + (bias?[r] ?? 0) }
        }
    }

    /// Sum of the 16 lanes as a tree (the stdlib's sum() is a 15-step serial chain).
    @inline(__always)
    static func hsum(_ a: SIMD16<Float>) -> Float {
        let b = a.lowHalf + a.highHalf
        let c = b.lowHalf + b.highHalf
        let d = c.lowHalf + c.highHalf
        return d[0] + d[1]
    }

    @inline(__always)
    static func x16(_ x: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func f32x16(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> {
        p.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
    }

    /// 16 f16 at element i of p as f32 (one vcvtph2ps; the element loop is how Swift gets it).
    @inline(__always)
    static func h16(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> {
        let h = p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)
        var f = SIMD16<Float>()
        for k in 0..<16 { f[k] = Float(h[k]) }
        return f
    }

    /// 16 bf16 at element i of p as f32 (vpmovzxwd + vpslld).
    @inline(__always)
    static func b16(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> {
        let h = p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
        var w = SIMD16<UInt32>()
        for k in 0..<16 { w[k] = UInt32(h[k]) &<< 16 }
        return unsafeBitCast(w, to: SIMD16<Float>.self)
    }

    // One row · x, the row decoded by D (MatVecMulti.swift: F32Rows, F16Rows, BF16Rows). The SIMD
    // loop is unrolled by two with two accumulators (FMA latency 4 cycles, so one accumulator
    // would cap a row at a quarter of the FMA throughput); tails in scalar. Specialized per D
    // (no switch in the loop): f16 rows load with one vcvtph2ps, bf16 with vpmovzxwd + vpslld.
    @inline(__always)
    static func dotRow<D: RowDecoder>(_ p: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int, _: D.Type) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= n {
            a0.addProduct(D.load16(p, i), x16(x, i))
            a1.addProduct(D.load16(p, i + 16), x16(x, i + 16))
            i += 32
        }
        if i + 16 <= n { a0.addProduct(D.load16(p, i), x16(x, i)); i += 16 }
        var s = hsum(a0 + a1)
        while i < n { s += D.load1(p, i) * x[i]; i += 1 }
        return s
    }

    /// One q8_0 block (32 weights at `block`) · x[0..<32], unscaled: Σ q_j x_j.
    @inline(__always)
    static func q8block(_ block: UnsafeRawPointer, _ x0: SIMD16<Float>, _ x1: SIMD16<Float>) -> SIMD16<Float> {
        var t = floats(block.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)) * x0
        t.addProduct(floats(block.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)), x1)
        return t
    }

    @inline(__always)
    static func q8scale(_ block: UnsafeRawPointer) -> SIMD16<Float> {
        SIMD16(repeating: Float(block.loadUnaligned(as: Float16.self)))
    }

    /// Row of n/32 q8_0 blocks · x: Σ_blocks d · Σ_j q_j x_j.
    @inline(__always)
    static func dotQ8(_ p: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var off = 0, i = 0
        while i + 64 <= n {
            a0.addProduct(q8scale(p + off), q8block(p + off, x16(x, i), x16(x, i + 16)))
            a1.addProduct(q8scale(p + off + 34), q8block(p + off + 34, x16(x, i + 32), x16(x, i + 48)))
            i += 64
            off += 2 * Q8_0.blockBytes
        }
        if i < n { a0.addProduct(q8scale(p + off), q8block(p + off, x16(x, i), x16(x, i + 16))) }
        return hsum(a0 + a1)
    }
}
