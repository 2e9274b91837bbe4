// Matrix-vector product for generation: y[OUT] = W[OUT, IN] · x[IN] + b[OUT].
// Memory-bandwidth bound: every weight byte is read once per token, so the kernels read the
// mapped bytes directly in their stored type (f16 -> vcvtph2ps, bf16 -> shift, q8_0 -> int8
// widen + per-block f16 scale) and keep x in L1. Four rows at a time share each x load.
// Rows are split between the pool's threads in chunks of 16.

extension Kernels {
    /// y[OUT] = W · x + bias. x: [IN] f32, y: [OUT] f32 (must not alias x), bias: [OUT] or nil.
    public static func matvec(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                              bias: UnsafePointer<Float>?, pool: ThreadPool? = nil) {
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
        var r = range.lowerBound
        let rb = w.rowBytes, n = w.cols
        while r < range.upperBound {
            let rows = min(4, range.upperBound - r)
            let p = w.row(r)
            var s: SIMD4<Float>
            switch w.type {
            case .f32: s = dot4F32(p, rb, x, n, rows)
            case .f16: s = dot4F16(p, rb, x, n, rows)
            case .bf16: s = dot4BF16(p, rb, x, n, rows)
            case .q8_0: s = dot4Q8(p, rb, x, n, rows)
            }
            for k in 0..<rows { y[r + k] = s[k] + (bias?[r + k] ?? 0) }
            r += rows
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

    // Each dot4* computes up to 4 row·x dot products (rows 0..<rows of the block at p; missing
    // rows alias row 0 so the loop has no branches, their lanes are ignored).

    @inline(__always)
    static func dot4F32(_ p: UnsafeRawPointer, _ rb: Int, _ x: UnsafePointer<Float>, _ n: Int, _ rows: Int) -> SIMD4<Float> {
        let p0 = p, p1 = p + (rows > 1 ? rb : 0), p2 = p + (rows > 2 ? 2 * rb : 0), p3 = p + (rows > 3 ? 3 * rb : 0)
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            let xv = x16(x, i)
            a0.addProduct(p0.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self), xv)
            a1.addProduct(p1.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self), xv)
            a2.addProduct(p2.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self), xv)
            a3.addProduct(p3.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self), xv)
            i += 16
        }
        var s = SIMD4<Float>(hsum(a0), hsum(a1), hsum(a2), hsum(a3))
        while i < n {
            let xv = x[i]
            s += SIMD4(p0.loadUnaligned(fromByteOffset: 4 * i, as: Float.self), p1.loadUnaligned(fromByteOffset: 4 * i, as: Float.self),
                       p2.loadUnaligned(fromByteOffset: 4 * i, as: Float.self), p3.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)) * xv
            i += 1
        }
        return s
    }

    @inline(__always)
    static func h16(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> {
        let h = p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)
        var f = SIMD16<Float>()
        for k in 0..<16 { f[k] = Float(h[k]) }        // one vcvtph2ps
        return f
    }

    @inline(__always)
    static func dot4F16(_ p: UnsafeRawPointer, _ rb: Int, _ x: UnsafePointer<Float>, _ n: Int, _ rows: Int) -> SIMD4<Float> {
        let p0 = p, p1 = p + (rows > 1 ? rb : 0), p2 = p + (rows > 2 ? 2 * rb : 0), p3 = p + (rows > 3 ? 3 * rb : 0)
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            let xv = x16(x, i)
            a0.addProduct(h16(p0, i), xv)
            a1.addProduct(h16(p1, i), xv)
            a2.addProduct(h16(p2, i), xv)
            a3.addProduct(h16(p3, i), xv)
            i += 16
        }
        var s = SIMD4<Float>(hsum(a0), hsum(a1), hsum(a2), hsum(a3))
        while i < n {
            s += SIMD4(Float(p0.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)), Float(p1.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)),
                       Float(p2.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)), Float(p3.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self))) * x[i]
            i += 1
        }
        return s
    }

    @inline(__always)
    static func b16(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> {
        let h = p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
        var w = SIMD16<UInt32>()
        for k in 0..<16 { w[k] = UInt32(h[k]) &<< 16 }   // vpmovzxwd + vpslld
        return unsafeBitCast(w, to: SIMD16<Float>.self)
    }

    @inline(__always)
    static func bf(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
    }

    @inline(__always)
    static func dot4BF16(_ p: UnsafeRawPointer, _ rb: Int, _ x: UnsafePointer<Float>, _ n: Int, _ rows: Int) -> SIMD4<Float> {
        let p0 = p, p1 = p + (rows > 1 ? rb : 0), p2 = p + (rows > 2 ? 2 * rb : 0), p3 = p + (rows > 3 ? 3 * rb : 0)
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            let xv = x16(x, i)
            a0.addProduct(b16(p0, i), xv)
            a1.addProduct(b16(p1, i), xv)
            a2.addProduct(b16(p2, i), xv)
            a3.addProduct(b16(p3, i), xv)
            i += 16
        }
        var s = SIMD4<Float>(hsum(a0), hsum(a1), hsum(a2), hsum(a3))
        while i < n {
            s += SIMD4(bf(p0, i), bf(p1, i), bf(p2, i), bf(p3, i)) * x[i]
            i += 1
        }
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

    @inline(__always)
    static func dot4Q8(_ p: UnsafeRawPointer, _ rb: Int, _ x: UnsafePointer<Float>, _ n: Int, _ rows: Int) -> SIMD4<Float> {
        let p0 = p, p1 = p + (rows > 1 ? rb : 0), p2 = p + (rows > 2 ? 2 * rb : 0), p3 = p + (rows > 3 ? 3 * rb : 0)
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var off = 0, i = 0
        while i < n {
            let x0 = x16(x, i), x1 = x16(x, i + 16)
            a0.addProduct(q8scale(p0 + off), q8block(p0 + off, x0, x1))
            a1.addProduct(q8scale(p1 + off), q8block(p1 + off, x0, x1))
            a2.addProduct(q8scale(p2 + off), q8block(p2 + off, x0, x1))
            a3.addProduct(q8scale(p3 + off), q8block(p3 + off, x0, x1))
            i += 32
            off += Q8_0.blockBytes
        }
        return SIMD4<Float>(hsum(a0), hsum(a1), hsum(a2), hsum(a3))
    }
}
