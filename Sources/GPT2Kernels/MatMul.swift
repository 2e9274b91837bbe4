// Matrix-matrix product for the prompt: y[T, OUT] = x[T, IN] · W[OUT, IN]ᵀ + b[OUT].
// Compute bound (GPT-2 124M: 0.247 GFLOP per token). Register tiling with the roles chosen so
// that W never needs transposing:
//  - x is transposed once per call into t-blocks of 32 positions: xt[tb][k][0..<32] (zero
//    padded past T). That is T x IN moves, vs OUT x IN for packing W (3-4x fewer for GPT-2
//    shapes; packing W transposed took a third of the time in the first version, measured);
//  - W is consumed 6 rows at a time in its row-major layout: f32 rows are read in place,
//    f16/bf16/q8_0 rows are decoded to f32 with the vectorised converters (contiguous, cheap);
//  - the 6 x 32 micro-kernel keeps 12 SIMD16 accumulators (6 rows x 2 vectors of positions),
//    and per k step does 2 vector loads of xt + 6 broadcasts of W: 12 FMAs;
//  - IN is cut into chunks of KC so the xt chunk (KC x T f32) stays in L2 (1 MB per core);
//  - the pool's threads take disjoint ranges of 6-row blocks (no shared writes).

extension Kernels {
    static let tileRows = 6         // rows of W per micro-kernel
    static let tileCols = 32        // positions per micro-kernel (two SIMD16)
    static let chunkK = 1024        // KC: a multiple of 32 (q8_0 blocks)

    /// y[T, OUT] = x[T, IN] · Wᵀ + bias. x: [T, IN], y: [T, OUT] (no aliasing), bias: [OUT] or nil.
    public static func matmul(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                              bias: UnsafePointer<Float>?, rows T: Int, pool: ThreadPool? = nil) {
        if T == 0 || w.rows == 0 { return }
        if T == 1 || w.cols == 0 {
            for t in 0..<T { matvec(y + t * w.rows, x + t * w.cols, w, bias: bias, pool: pool) }
            return
        }
        if T <= multiVectorMax { matvecMulti(y, x, w, bias, T, pool: pool); return }
        let IN = w.cols, tBlocks = (T + tileCols - 1) / tileCols
        let xt = UnsafeMutablePointer<Float>.allocate(capacity: tBlocks * tileCols * IN)
        defer { xt.deallocate() }
        let rowBlocks = (w.rows + tileRows - 1) / tileRows
        let parallel = (pool?.threadCount ?? 1) > 1
        // 1. xt[tb][k][j] = x[tb*32 + j][k] (0 past T).
        let transpose = { (r: Range<Int>) in transposeBlocks(xt, x, T, IN, r) }
        if parallel && tBlocks > 1 { pool!.parallelFor(tBlocks, transpose) } else { transpose(0..<tBlocks) }
        // 2. The products, 6 rows of W at a time.
        let work = { (r: Range<Int>) in matmulRows(y, xt, w, bias, T, r) }
        if parallel && rowBlocks > 1 { pool!.parallelFor(rowBlocks, work) } else { work(0..<rowBlocks) }
    }

    static func transposeBlocks(_ xt: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ T: Int, _ IN: Int,
                                _ blocks: Range<Int>) {
        for tb in blocks {
            let dst = xt + tb * tileCols * IN
            for j in 0..<tileCols {
                let t = tb * tileCols + j
                if t < T {
                    let src = x + t * IN
                    for k in 0..<IN { dst[k * tileCols + j] = src[k] }
                } else {
                    for k in 0..<IN { dst[k * tileCols + j] = 0 }
                }
            }
        }
    }

    /// Rows of y for the 6-row blocks `blocks` of W.
    static func matmulRows(_ y: UnsafeMutablePointer<Float>, _ xt: UnsafePointer<Float>, _ w: WeightMatrix,
                           _ bias: UnsafePointer<Float>?, _ T: Int, _ blocks: Range<Int>) {
        let IN = w.cols, OUT = w.rows, mr = tileRows
        let decoded = w.type == .f32 ? nil : UnsafeMutablePointer<Float>.allocate(capacity: mr * min(IN, chunkK))
        let rowPtrs = UnsafeMutablePointer<UnsafeRawPointer>.allocate(capacity: mr)
        defer { decoded?.deallocate(); rowPtrs.deallocate() }
        var tile = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                    SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        withUnsafeMutableBytes(of: &tile) { tileRaw in
            let tp = tileRaw.baseAddress!.assumingMemoryBound(to: Float.self)     // [6][32]
            var k0 = 0
            while k0 < IN {
                let kc = min(chunkK, IN - k0)
                for b in blocks {
                    let o0 = b * mr, rows = min(mr, OUT - o0)
                    // Row pointers (f32) for this chunk: in place, or decoded into scratch.
                    let rp = rowPtrs
                    for r in 0..<rows {
                        if let decoded {
                            let dst = decoded + r * kc
                            decodeRange(w, o0 + r, k0, kc, dst)
                            rp[r] = UnsafeRawPointer(dst)
                        } else {
                            rp[r] = w.row(o0 + r) + 4 * k0
                        }
                    }
                    for r in rows..<mr { rp[r] = rp[0] }           // missing rows: computed, not stored
                    var tb = 0
                    while tb * tileCols < T {
                        var start = SIMD8<Float>()
                        if k0 == 0, let bias { for r in 0..<rows { start[r] = bias[o0 + r] } }
                        kernel6x32(rp[0], rp[1], rp[2], rp[3], rp[4], rp[5],
                                   xt + (tb * IN + k0) * tileCols, kc, start, tp)
                        // Transposed store: tile[r][j] -> y[tb*32 + j][o0 + r].
                        let tn = min(tileCols, T - tb * tileCols)
                        for j in 0..<tn {
                            let yr = y + (tb * tileCols + j) * OUT + o0
                            if k0 == 0 { for r in 0..<rows { yr[r] = tp[r * tileCols + j] } }
                            else { for r in 0..<rows { yr[r] += tp[r * tileCols + j] } }
                        }
                        tb += 1
                    }
                }
                k0 += kc
            }
        }
    }

    /// dst[0..<count] = W[row, k0 ..< k0+count] as f32 (k0, count multiples of 32 for q8_0).
    @inline(__always)
    static func decodeRange(_ w: WeightMatrix, _ row: Int, _ k0: Int, _ count: Int, _ dst: UnsafeMutablePointer<Float>) {
        let p = w.row(row)
        switch w.type {
        case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: p + 4 * k0, byteCount: 4 * count)
        case .f16: f16ToF32(p + 2 * k0, dst, count: count)
        case .bf16: bf16ToF32(p + 2 * k0, dst, count: count)
        case .q8_0: dequantizeQ8_0(p + k0 / Q8_0.blockCount * Q8_0.blockBytes, dst, count: count)
        }
    }

    /// tile[r][0..<32] = init[r] + Σ_k w_r[k] * xt[k][0..<32] for the 6 rows w0...w5 (f32).
    @inline(__always)
    static func kernel6x32(_ w0: UnsafeRawPointer, _ w1: UnsafeRawPointer, _ w2: UnsafeRawPointer,
                           _ w3: UnsafeRawPointer, _ w4: UnsafeRawPointer, _ w5: UnsafeRawPointer,
                           _ xt: UnsafePointer<Float>, _ kLen: Int, _ initial: SIMD8<Float>, _ tile: UnsafeMutablePointer<Float>) {
        var c00 = SIMD16<Float>(repeating: initial[0]), c01 = c00
        var c10 = SIMD16<Float>(repeating: initial[1]), c11 = c10
        var c20 = SIMD16<Float>(repeating: initial[2]), c21 = c20
        var c30 = SIMD16<Float>(repeating: initial[3]), c31 = c30
        var c40 = SIMD16<Float>(repeating: initial[4]), c41 = c40
        var c50 = SIMD16<Float>(repeating: initial[5]), c51 = c50
        let xp = UnsafeRawPointer(xt)
        for k in 0..<kLen {
            let x0 = xp.loadUnaligned(fromByteOffset: 128 * k, as: SIMD16<Float>.self)
            let x1 = xp.loadUnaligned(fromByteOffset: 128 * k + 64, as: SIMD16<Float>.self)
            var v = SIMD16<Float>(repeating: w0.loadUnaligned(fromByteOffset: 4 * k, as: Float.self))
            c00.addProduct(v, x0); c01.addProduct(v, x1)
            v = SIMD16<Float>(repeating: w1.loadUnaligned(fromByteOffset: 4 * k, as: Float.self))
            c10.addProduct(v, x0); c11.addProduct(v, x1)
            v = SIMD16<Float>(repeating: w2.loadUnaligned(fromByteOffset: 4 * k, as: Float.self))
            c20.addProduct(v, x0); c21.addProduct(v, x1)
            v = SIMD16<Float>(repeating: w3.loadUnaligned(fromByteOffset: 4 * k, as: Float.self))
            c30.addProduct(v, x0); c31.addProduct(v, x1)
            v = SIMD16<Float>(repeating: w4.loadUnaligned(fromByteOffset: 4 * k, as: Float.self))
            c40.addProduct(v, x0); c41.addProduct(v, x1)
            v = SIMD16<Float>(repeating: w5.loadUnaligned(fromByteOffset: 4 * k, as: Float.self))
            c50.addProduct(v, x0); c51.addProduct(v, x1)
        }
        let tr = UnsafeMutableRawPointer(tile)
        tr.storeBytes(of: c00, toByteOffset: 0, as: SIMD16<Float>.self); tr.storeBytes(of: c01, toByteOffset: 64, as: SIMD16<Float>.self)
        tr.storeBytes(of: c10, toByteOffset: 128, as: SIMD16<Float>.self); tr.storeBytes(of: c11, toByteOffset: 192, as: SIMD16<Float>.self)
        tr.storeBytes(of: c20, toByteOffset: 256, as: SIMD16<Float>.self); tr.storeBytes(of: c21, toByteOffset: 320, as: SIMD16<Float>.self)
        tr.storeBytes(of: c30, toByteOffset: 384, as: SIMD16<Float>.self); tr.storeBytes(of: c31, toByteOffset: 448, as: SIMD16<Float>.self)
        tr.storeBytes(of: c40, toByteOffset: 512, as: SIMD16<Float>.self); tr.storeBytes(of: c41, toByteOffset: 576, as: SIMD16<Float>.self)
        tr.storeBytes(of: c50, toByteOffset: 640, as: SIMD16<Float>.self); tr.storeBytes(of: c51, toByteOffset: 704, as: SIMD16<Float>.self)
    }
}
