// Matrix-matrix product for the prompt: y[T, OUT] = x[T, IN] · W[OUT, IN]ᵀ + b[OUT].
// Compute bound (GPT-2 124M: 0.247 GFLOP per token). Classic outer-product blocking:
//  - W is cut into panels of NR = 32 output columns; each panel is converted to f32 (from any
//    WeightType) and packed transposed, packed[k][0..<32], so one k step is two SIMD16 loads;
//  - a 6 x 32 micro-kernel keeps 12 SIMD16 accumulators in registers (AVX-512 has 32) and per
//    k step broadcasts 6 x values: 12 FMAs per 2 + 6 loads;
//  - the pool's threads take disjoint ranges of panels (no shared writes).
// The packed panel (IN x 32 f32: 96 KB for IN = 768, 384 KB for 3072) stays in L2 while all T
// rows stream past it.

extension Kernels {
    static let panelWidth = 32      // NR
    static let tileRows = 6         // MR

    /// y[T, OUT] = x[T, IN] · Wᵀ + bias. x: [T, IN], y: [T, OUT] (no aliasing), bias: [OUT] or nil.
    public static func matmul(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                              bias: UnsafePointer<Float>?, rows T: Int, pool: ThreadPool? = nil) {
        if T == 0 || w.rows == 0 { return }
        if T == 1 { matvec(y, x, w, bias: bias, pool: pool); return }
        let panels = (w.rows + panelWidth - 1) / panelWidth
        let work = { (range: Range<Int>) in
            let packed = UnsafeMutablePointer<Float>.allocate(capacity: max(w.cols, 1) * panelWidth)
            defer { packed.deallocate() }
            for p in range { matmulPanel(y, x, w, bias, T, p, packed) }
        }
        if let pool, pool.threadCount > 1, panels > 1 { pool.parallelFor(panels, work) } else { work(0..<panels) }
    }

    /// Packs W rows [p*32, p*32+32) as f32, transposed: packed[k * 32 + j] = W[p*32 + j, k];
    /// rows past OUT are zero.
    static func packPanel(_ w: WeightMatrix, _ p: Int, _ packed: UnsafeMutablePointer<Float>) {
        let n = w.cols, nr = panelWidth
        let row = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
        defer { row.deallocate() }
        for j in 0..<nr {
            let r = p * nr + j
            if r < w.rows {
                decode(w.row(r), count: n, as: w.type, into: row)
                for k in 0..<n { packed[k * nr + j] = row[k] }
            } else {
                for k in 0..<n { packed[k * nr + j] = 0 }
            }
        }
    }

    static func matmulPanel(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                            _ bias: UnsafePointer<Float>?, _ T: Int, _ p: Int, _ packed: UnsafeMutablePointer<Float>) {
        packPanel(w, p, packed)
        let nr = panelWidth, col0 = p * nr, cols = min(nr, w.rows - col0)
        var b = (SIMD16<Float>(), SIMD16<Float>())
        if let bias {
            withUnsafeMutableBytes(of: &b) { raw in
                let bp = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                for j in 0..<cols { bp[j] = bias[col0 + j] }
            }
        }
        // A full tile writes y directly; a partial one (T % 6 rows, OUT % 32 columns) goes through tile.
        var tile = [Float](repeating: 0, count: tileRows * nr)
        var t = 0
        while t < T {
            let rows = min(tileRows, T - t)
            if rows == tileRows && cols == nr {
                kernel6x32(x + t * w.cols, w.cols, packed, w.cols, b, y + t * w.rows + col0, w.rows, rows)
            } else {
                tile.withUnsafeMutableBufferPointer { tp in
                    kernel6x32(x + t * w.cols, w.cols, packed, w.cols, b, tp.baseAddress!, nr, rows)
                    for r in 0..<rows { for j in 0..<cols { y[(t + r) * w.rows + col0 + j] = tp[r * nr + j] } }
                }
            }
            t += rows
        }
    }

    /// c[r, 0..<32] = bias + Σ_k a[r, k] * packed[k, 0..<32] for r < rows (<= 6).
    /// a: rows of x (stride lda), c: stride ldc. Missing rows alias row 0; their results are dropped.
    @inline(__always)
    static func kernel6x32(_ a: UnsafePointer<Float>, _ lda: Int, _ packed: UnsafePointer<Float>, _ kLen: Int,
                           _ bias: (SIMD16<Float>, SIMD16<Float>), _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ rows: Int) {
        let a0 = a, a1 = a + (rows > 1 ? lda : 0), a2 = a + (rows > 2 ? 2 * lda : 0)
        let a3 = a + (rows > 3 ? 3 * lda : 0), a4 = a + (rows > 4 ? 4 * lda : 0), a5 = a + (rows > 5 ? 5 * lda : 0)
        var c00 = bias.0, c01 = bias.1, c10 = bias.0, c11 = bias.1, c20 = bias.0, c21 = bias.1
        var c30 = bias.0, c31 = bias.1, c40 = bias.0, c41 = bias.1, c50 = bias.0, c51 = bias.1
        let bp = UnsafeRawPointer(packed)
        for k in 0..<kLen {
            let b0 = bp.loadUnaligned(fromByteOffset: 128 * k, as: SIMD16<Float>.self)
            let b1 = bp.loadUnaligned(fromByteOffset: 128 * k + 64, as: SIMD16<Float>.self)
            var v = SIMD16<Float>(repeating: a0[k]); c00.addProduct(v, b0); c01.addProduct(v, b1)
            v = SIMD16<Float>(repeating: a1[k]); c10.addProduct(v, b0); c11.addProduct(v, b1)
            v = SIMD16<Float>(repeating: a2[k]); c20.addProduct(v, b0); c21.addProduct(v, b1)
            v = SIMD16<Float>(repeating: a3[k]); c30.addProduct(v, b0); c31.addProduct(v, b1)
            v = SIMD16<Float>(repeating: a4[k]); c40.addProduct(v, b0); c41.addProduct(v, b1)
            v = SIMD16<Float>(repeating: a5[k]); c50.addProduct(v, b0); c51.addProduct(v, b1)
        }
        let cr = UnsafeMutableRawPointer(c)
        @inline(__always) func put(_ r: Int, _ lo: SIMD16<Float>, _ hi: SIMD16<Float>) {
            cr.storeBytes(of: lo, toByteOffset: 4 * r * ldc, as: SIMD16<Float>.self)
            cr.storeBytes(of: hi, toByteOffset: 4 * r * ldc + 64, as: SIMD16<Float>.self)
        }
        put(0, c00, c01)
        if rows > 1 { put(1, c10, c11) }
        if rows > 2 { put(2, c20, c21) }
        if rows > 3 { put(3, c30, c31) }
        if rows > 4 { put(4, c40, c41) }
        if rows > 5 { put(5, c50, c51) }
    }
}
