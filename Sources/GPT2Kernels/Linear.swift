// Linear layers y[T, OUT] = x[T, IN] · Wᵀ + b[OUT] over weights in their stored type: the C
// kernels (CKernels/k_linear.h) do the arithmetic, this file splits the work between threads.
//  - T = 1 (generation), `matvec`: rows split in chunks of 16; q8_0 weights go through an int8
//    kernel where the set has one (x quantized to int8 blocks, as llama.cpp does): over a packed
//    copy on AVX-512 VNNI (PackedQ8.swift), over the file's layout on AVX2;
//  - q8_0 with a packed copy, any T: the int8 kernel over the packed copy, 4 rows of x at a
//    time, each row as its matvec would compute it (so a prompt and generation agree);
//  - 2 <= T <= 4, `matvecMulti`: each weight vector loaded once for all T rows (a 6-row tile
//    would pad T to a whole tile of positions);
//  - longer prompts, `matmul`: x transposed once into tiles of `tile_cols` positions, then 6-row
//    blocks of W through the register-tiled micro-kernel, blocks split between threads.
import CKernels

extension Kernels {
    /// Largest T that uses the multi-vector path. Measured (1 thread, GPT-2 shapes, AVX-512):
    /// T = 4: 34 (f32) / 77 (q8_0) GFLOP/s vs ~22 for the padded tile; the tile wins from T ~ 6.
    static let multiVectorMax = 4

    /// y[OUT] = W · x + bias. x: [IN] f32, y: [OUT] f32 (must not alias x), bias: [OUT] or nil.
    public func matvec(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                       bias: UnsafePointer<Float>?, pool: ThreadPool? = nil) {
        if w.type == .q8_0, w.cols > 0 {
            if let packed = w.packedQ8, packsQ8 { matvecPackedQ8(y, x, w, packed, bias: bias, pool: pool); return }
            if t.pointee.q8_matvec_i8_rows != nil { matvecQ8Int8(y, x, w, bias: bias, pool: pool); return }
        }
        let n = w.rows, rowBytes = w.rowBytes, type = Int32(w.type.cValue)
        let f = t.pointee.matvec_rows!
        guard let pool, pool.threadCount > 1, n >= 64 else {
            f(type, y, x, w.base, rowBytes, w.cols, bias, 0, n)
            return
        }
        pool.parallelFor(n, align: 16) { r in f(type, y, x, w.base, rowBytes, w.cols, bias, r.lowerBound, r.upperBound) }
    }

    /// y[T, OUT] = x[T, IN] · Wᵀ + bias. x: [T, IN], y: [T, OUT] (no aliasing), bias: [OUT] or nil.
    public func matmul(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                       bias: UnsafePointer<Float>?, rows T: Int, pool: ThreadPool? = nil) {
        if T == 0 || w.rows == 0 { return }
        if T == 1 || w.cols == 0 {
            for i in 0..<T { matvec(y + i * w.rows, x + i * w.cols, w, bias: bias, pool: pool) }
            return
        }
        if w.type == .q8_0, let packed = w.packedQ8, packsQ8 {
            matmulPackedQ8(y, x, w, packed, bias: bias, rows: T, pool: pool)
            return
        }
        let type = Int32(w.type.cValue), IN = w.cols, OUT = w.rows, rowBytes = w.rowBytes
        let parallel = (pool?.threadCount ?? 1) > 1
        if T <= Kernels.multiVectorMax {
            let f = t.pointee.matvec_multi_rows!
            let work = { (r: Range<Int>) in f(type, y, x, T, w.base, rowBytes, IN, OUT, bias, r.lowerBound, r.upperBound) }
            if parallel, OUT >= 64 { pool!.parallelFor(OUT, align: 16, work) } else { work(0..<OUT) }
            return
        }
        let tw = t.pointee.tile_cols, tBlocks = (T + tw - 1) / tw
        let xt = UnsafeMutablePointer<Float>.allocate(capacity: tBlocks * tw * IN)
        defer { xt.deallocate() }
        // 1. xt[tb][k][j] = x[tb*tw + j][k] (0 past T).
        let transpose = t.pointee.matmul_transpose!
        let tr = { (r: Range<Int>) in transpose(xt, x, T, IN, r.lowerBound, r.upperBound) }
        if parallel && tBlocks > 1 { pool!.parallelFor(tBlocks, tr) } else { tr(0..<tBlocks) }
        // 2. The products, 6 rows of W at a time.
        let rowBlocks = (OUT + 5) / 6
        let rows = t.pointee.matmul_rows!
        let work = { (r: Range<Int>) in rows(type, y, xt, w.base, rowBytes, IN, OUT, bias, T, r.lowerBound, r.upperBound) }
        if parallel && rowBlocks > 1 { pool!.parallelFor(rowBlocks, work) } else { work(0..<rowBlocks) }
    }
}

extension WeightType {
    /// The CKernels constant of this type (GPT2KIT_F32 ...).
    var cValue: Int {
        switch self {
        case .f32: GPT2KIT_F32
        case .f16: GPT2KIT_F16
        case .bf16: GPT2KIT_BF16
        case .q8_0: GPT2KIT_Q8_0
        }
    }
}
