// The row-interleaved ("packed") copy of a q8_0 matrix and the int8 matvec and matmul over it:
// 16 rows interleaved 4 bytes at a time, so one AVX-512 VNNI instruction multiplies 4 columns
// of 16 rows by 4 bytes of x (layout and arithmetic in Sources/CKernels/q8_packed.c).
// Made at load time by the runtime (GPT2Weights) when the kernel set has VNNI; the model file keeps
// ggml's layout, which embedding lookups read (and the AVX2 and portable kernels).
//
// Measured 2026-11-22 ~02:50 UTC, load ~1, `.build/release/KernelBench --types q8_0 --only
// matvec` (GPT-2 124M, 49 matrices, 131 MB): see README "Kernels" for the numbers.
import CKernels

extension Kernels {
    /// Whether this set multiplies q8_0 weights by x quantized to int8 blocks (AVX-512 VNNI over
    /// a packed copy, AVX2 over the file's layout) rather than by f32 x.
    public var quantizesQ8Activations: Bool { t.pointee.q8_quantize_x != nil }

    /// The C quantizer of x (the tests compare it bit for bit with Reference.quantizeActivations).
    func quantizeActivationsInt8(_ x: UnsafePointer<Float>, _ blocks: Int, _ q: UnsafeMutablePointer<Int8>,
                                 _ d: UnsafeMutablePointer<Float>, _ sum: UnsafeMutablePointer<Int32>?) {
        require(quantizesQ8Activations, "the \(self.set.rawValue) kernels have no int8 q8_0 kernels")
        t.pointee.q8_quantize_x(x, blocks, q, d, sum)
    }

    /// y = W x + bias with x quantized to int8 blocks, W in the file's q8_0 layout (AVX2).
    func matvecQ8Int8(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                      bias: UnsafePointer<Float>?, pool: ThreadPool?) {
        let blocks = w.cols / Q8_0.blockCount, rowBytes = w.rowBytes
        let quantize = t.pointee.q8_quantize_x!, rows = t.pointee.q8_matvec_i8_rows!
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: max(1, 32 * blocks)) { q in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, blocks)) { d in
                let xq = q.baseAddress!, xd = d.baseAddress!
                quantize(x, blocks, xq, xd, nil)
                let body = { (r: Range<Int>) in rows(y, w.base, rowBytes, blocks, xq, xd, bias, r.lowerBound, r.upperBound) }
                if let pool, pool.threadCount > 1, w.rows >= 64 { pool.parallelFor(w.rows, align: 16, body) } else { body(0..<w.rows) }
            }
        }
    }

    /// Bytes of the packed copy of a q8_0 matrix [rows, cols], nil on overflow: per group of 16
    /// rows, the scales (32 bytes per block, rounded up to 64) and the quants (512 per block).
    public static func packedQ8ByteCount(rows: Int, cols: Int) -> Int? {
        guard rows >= 0, cols >= 0, cols % Q8_0.blockCount == 0 else { return nil }
        let blocks = cols / Q8_0.blockCount
        let (quants, o1) = blocks.multipliedReportingOverflow(by: 512)
        let (scales, o2) = blocks.multipliedReportingOverflow(by: 32)
        guard !o1, !o2, scales <= Int.max - 63 else { return nil }
        let (group, o3) = quants.addingReportingOverflow((scales + 63) / 64 * 64)
        let groups = rows / 16 + (rows % 16 == 0 ? 0 : 1)     // (rows + 15) / 16 could overflow
        let (n, o4) = groups.multipliedReportingOverflow(by: group)
        return o3 || o4 ? nil : n
    }

    /// Packs q8_0 `w` into `dst` (64-byte aligned, `packedQ8ByteCount` bytes), groups split over
    /// the pool, and returns `w` with the packed copy attached.
    public func packQ8(_ w: WeightMatrix, into dst: UnsafeMutableRawPointer, pool: ThreadPool?) -> WeightMatrix {
        require(w.type == .q8_0 && packsQ8, "packQ8 needs q8_0 weights and a VNNI kernel set")
        require(Int(bitPattern: dst) % 64 == 0, "the packed q8_0 copy must be 64-byte aligned")
        let groups = (w.rows + 15) / 16, blocks = w.cols / 32
        let pack = t.pointee.q8p_pack!
        let body = { (r: Range<Int>) in pack(dst, w.base, w.rows, blocks, r.lowerBound, r.upperBound) }
        if let pool, pool.threadCount > 1, groups > 1 { pool.parallelFor(groups, body) } else { body(0..<groups) }
        return w.withPackedQ8(UnsafeRawPointer(dst))
    }

    /// Runs `body` on x's first `n` blocks quantized for the packed kernels: int8 values, f32
    /// scales and the correction sums, in temporary buffers.
    private func withPackedActivations(_ x: UnsafePointer<Float>, blocks n: Int,
                                       _ body: (UnsafePointer<Int8>, UnsafePointer<Float>, UnsafePointer<Int32>) -> Void) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: max(1, 32 * n)) { q in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, n)) { d in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(1, n)) { s in
                    t.pointee.q8_quantize_x(x, n, q.baseAddress!, d.baseAddress!, s.baseAddress!)
                    body(q.baseAddress!, d.baseAddress!, s.baseAddress!)
                }
            }
        }
    }

    /// y[T, OUT] = x[T, IN] · Wᵀ + bias through the packed copy: x's rows quantized in one call,
    /// groups of 16 rows split over the pool; row t of y is bit for bit `matvecPackedQ8` of row t.
    func matmulPackedQ8(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                        _ packed: UnsafeRawPointer, bias: UnsafePointer<Float>?, rows T: Int, pool: ThreadPool?) {
        let blocks = w.cols / Q8_0.blockCount, groups = (w.rows + 15) / 16
        let mm = t.pointee.q8p_matmul!
        withPackedActivations(x, blocks: T * blocks) { xq, xd, xs in
            let body = { (r: Range<Int>) in mm(y, T, packed, w.rows, blocks, xq, xd, xs, bias, r.lowerBound, r.upperBound) }
            if let pool, pool.threadCount > 1, groups >= 2 { pool.parallelFor(groups, body) } else { body(0..<groups) }
        }
    }

    /// y = W x + bias through the packed copy: x quantized once to q8 blocks (lossy in x:
    /// |Δx_i| <= d_x / 2, as llama.cpp; oracle of the same math Reference.matvecQ8Activations),
    /// groups of 16 rows split over the pool.
    func matvecPackedQ8(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                        _ packed: UnsafeRawPointer, bias: UnsafePointer<Float>?, pool: ThreadPool?) {
        let blocks = w.cols / Q8_0.blockCount, groups = (w.rows + 15) / 16
        let mv = t.pointee.q8p_matvec!
        withPackedActivations(x, blocks: blocks) { xq, xd, xs in
            let body = { (r: Range<Int>) in mv(y, packed, w.rows, blocks, xq, xd, xs, bias, r.lowerBound, r.upperBound) }
            if let pool, pool.threadCount > 1, groups >= 4 { pool.parallelFor(groups, body) } else { body(0..<groups) }
        }
    }
}
