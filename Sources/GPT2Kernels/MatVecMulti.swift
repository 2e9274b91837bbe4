// A few vectors at once (2 <= T <= 4, e.g. a short prompt): y[T, OUT] = x[T, IN] · Wᵀ + b.
// The 6 x 32 matmul tile pads T to 32 positions, so for T = 2 it would do 16x the needed work;
// here each weight chunk is loaded (and decoded) once and multiplied into up to 4 x vectors
// held in L1, so W is read from memory once and the work is proportional to T.

/// Decodes 16 consecutive elements of a weight row to f32 (specialised per type: no switch in
/// the inner loop).
protocol RowDecoder {
    static func load16(_ row: UnsafeRawPointer, _ i: Int) -> SIMD16<Float>
    static func load1(_ row: UnsafeRawPointer, _ i: Int) -> Float
}

enum F32Rows: RowDecoder {
    @inline(__always) static func load16(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> { Kernels.f32x16(p, i) }
    @inline(__always) static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float { p.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
}
enum F16Rows: RowDecoder {
    @inline(__always) static func load16(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> { Kernels.h16(p, i) }
    @inline(__always) static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float { Float(p.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)) }
}
enum BF16Rows: RowDecoder {
    @inline(__always) static func load16(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> { Kernels.b16(p, i) }
    @inline(__always) static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
    }
}
/// q8_0: i is a multiple of 16 (rows are whole blocks of 32), so a chunk is half a block.
enum Q8Rows: RowDecoder {
    @inline(__always) static func load16(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> {
        let block = p + (i >> 5) * Q8_0.blockBytes
        return Kernels.q8scale(block) * Kernels.floats(block.loadUnaligned(fromByteOffset: 2 + (i & 16), as: SIMD16<Int8>.self))
    }
    @inline(__always) static func load1(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        let block = p + (i >> 5) * Q8_0.blockBytes
        return Float(block.loadUnaligned(as: Float16.self)) * Float(block.load(fromByteOffset: 2 + (i & 31), as: Int8.self))
    }
}

extension Kernels {
    /// Largest T for which matmul uses this path. Measured (1 thread, CPU time, GPT-2 shapes):
    /// T = 4: this path 34 (f32) / 77 (q8_0) GFLOP/s vs ~22 for the padded tile; T = 8: 43 / 75
    /// vs 62 / 48 for the tile at T = 9. The tile wins from about T = 6 on.
    static let multiVectorMax = 4

    static func matvecMulti(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                            _ bias: UnsafePointer<Float>?, _ T: Int, pool: ThreadPool?) {
        let work = { (r: Range<Int>) in
            switch w.type {
            case .f32: multiRows(F32Rows.self, y, x, w, bias, T, r)
            case .f16: multiRows(F16Rows.self, y, x, w, bias, T, r)
            case .bf16: multiRows(BF16Rows.self, y, x, w, bias, T, r)
            case .q8_0: multiRows(Q8Rows.self, y, x, w, bias, T, r)
            }
        }
        if let pool, pool.threadCount > 1, w.rows >= 64 { pool.parallelFor(w.rows, align: 16, work) } else { work(0..<w.rows) }
    }

    static func multiRows<D: RowDecoder>(_: D.Type, _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                         _ w: WeightMatrix, _ bias: UnsafePointer<Float>?, _ T: Int, _ rows: Range<Int>) {
        let n = w.cols, OUT = w.rows
        for r in rows {
            let p = w.row(r)
            let b = bias?[r] ?? 0
            var t = 0
            while t < T {           // groups of 4 vectors; the row stays in L1 across groups
                let g = min(4, T - t)
                let x0 = x + t * n, x1 = x + (t + min(1, g - 1)) * n
                let x2 = x + (t + min(2, g - 1)) * n, x3 = x + (t + min(3, g - 1)) * n
                var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
                var i = 0
                while i + 16 <= n {
                    let wv = D.load16(p, i)
                    a0.addProduct(wv, x16(x0, i)); a1.addProduct(wv, x16(x1, i))
                    a2.addProduct(wv, x16(x2, i)); a3.addProduct(wv, x16(x3, i))
                    i += 16
                }
                var s = SIMD4<Float>(hsum(a0), hsum(a1), hsum(a2), hsum(a3))
                while i < n { s += SIMD4(x0[i], x1[i], x2[i], x3[i]) * D.load1(p, i); i += 1 }
                for k in 0..<g { y[(t + k) * OUT + r] = s[k] + b }
                t += g
            }
        }
    }
}
