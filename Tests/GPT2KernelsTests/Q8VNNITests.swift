import Testing
@testable import GPT2Kernels

// The int8 q8_0 matvecs (AVX-512 VNNI over the packed copy, AVX2 over the file layout) against the oracle of
// the same math (Reference.matvecQ8Activations: x quantized to int8 blocks, sums in Double), and
// against the f32-activation reference within the bound that quantizing x implies. Skipped
// (with a note) on CPUs without AVX-512 VNNI, where nothing is packed and matvec runs the
// kernel set's file-layout kernel (tested in LinearTests).

/// Per row: Σ_b (d_x,b / 2) Σ_j |w_bj| — x rounded to the nearest multiple of d_x moves each
/// element by at most d_x / 2, so the product moves by at most this.
func activationQuantizationBound(_ w: WeightMatrix, _ x: [Float]) -> [Float] {
    let d = x.withUnsafeBufferPointer { Reference.quantizeActivations($0.baseAddress!, count: w.cols).d }
    return (0..<w.rows).map { o in
        var s = 0.0
        for i in 0..<w.cols { s += Double(d[i / 32]) / 2 * Double(abs(Reference.weight(w, o, i))) }
        return Float(s)
    }
}

/// |fast - oracle| tolerance for the same math: f32 accumulation of the block terms in another
/// order, 2e-6 relative to Σ_b |d_w d_x Σ q_w q_x| (rows here have at most 200 blocks).
private func sameMathTolerance(_ w: WeightMatrix, _ x: [Float]) -> [Float] {
    let (q, d) = x.withUnsafeBufferPointer { Reference.quantizeActivations($0.baseAddress!, count: w.cols) }
    return (0..<w.rows).map { o in
        var s = 0.0
        for b in 0..<w.cols / 32 {
            var dot = 0
            for j in 0..<32 { dot += Int(w.row(o).load(fromByteOffset: b * 34 + 2 + j, as: Int8.self)) * Int(q[32 * b + j]) }
            s += abs(Double(Reference.f16Value(w.row(o).loadUnaligned(fromByteOffset: b * 34, as: UInt16.self))) * Double(d[b]) * Double(dot))
        }
        return Float(2e-6 * s) + 1e-30
    }
}

/// Kernels.matvec on w as given (the Swift kernel), or (packed) on w with its packed copy
/// attached, as the runtime has it on a VNNI CPU.
private func fastMatvec(_ w: WeightMatrix, _ x: [Float], _ bias: [Float]?, pool: ThreadPool?, packed: Bool = false,
                        _ K: Kernels = vnniKernels!) -> [Float] {
    if packed {
        let n = Kernels.packedQ8ByteCount(rows: w.rows, cols: w.cols)!
        let dst = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 64)
        defer { dst.deallocate() }
        let p = K.packQ8(w, into: dst, pool: pool)
        return fastMatvec(p, x, bias, pool: pool, K)
    }
    var y = [Float](repeating: .nan, count: w.rows)
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
        if let bias { bias.withUnsafeBufferPointer { K.matvec(yp.baseAddress!, xp.baseAddress!, w, bias: $0.baseAddress!, pool: pool) } }
        else { K.matvec(yp.baseAddress!, xp.baseAddress!, w, bias: nil, pool: pool) }
    } }
    return y
}

private func oracle(_ w: WeightMatrix, _ x: [Float], _ bias: [Float]?, f32Activations: Bool) -> [Float] {
    var y = [Float](repeating: .nan, count: w.rows)
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
        let yb = yp.baseAddress!, xb = xp.baseAddress!
        let call = { (b: UnsafePointer<Float>?) in
            if f32Activations { Reference.matmul(yb, xb, w, bias: b, rows: 1) }
            else { Reference.matvecQ8Activations(yb, xb, w, bias: b) }
        }
        if let bias { bias.withUnsafeBufferPointer { call($0.baseAddress!) } } else { call(nil) }
    } }
    return y
}

// Shapes: 1..15 blocks, exactly 16 and 32 blocks, GPT-2's 24 and 96, a 200-block row (n_embd
// 1600 x 4), row counts around the packed layout's groups of 16 rows (1, 3, 5, 17, 70, 129:
// partial last groups) and the pool's 4-group threading cut.
/// The AVX-512 set with VNNI, nil on CPUs without it.
let vnniKernels: Kernels? = (try? Kernels(.avx512)).flatMap { $0.packsQ8 ? $0 : nil }
/// The sets whose q8_0 matvec quantizes x to int8 (AVX-512 VNNI: packed copy; AVX2: file layout).
let int8Sets: [KernelSet] = KernelSet.supported.filter { (try? Kernels($0))?.quantizesQ8Activations == true }

private let q8Shapes: [(rows: Int, cols: Int)] = [(1, 32), (3, 64), (5, 480), (17, 512), (70, 768), (129, 1024), (64, 3072), (9, 6400)]

@Test(arguments: int8Sets)
func int8MatvecMatchesSameMathOracle(set: KernelSet) throws {
    let K = try Kernels(set), packed = K.packsQ8
    for (i, s) in q8Shapes.enumerated() {
        let pool2 = ThreadPool(threads: 2)
        let w = TestWeights(.q8_0, rows: s.rows, cols: s.cols, seed: UInt64(500 + i))
        var rng = TestRNG(seed: UInt64(77 + i))
        // Activations with uneven block ranges, incl. one all-zero block (d = 0).
        var x = rng.floats(s.cols, scale: 3).enumerated().map { $0.offset % 96 < 32 ? $0.element * 0.01 : $0.element }
        if s.cols >= 64 { for j in 32..<64 { x[j] = 0 } }
        let bias = rng.floats(s.rows)
        w.with { m in
            let ref = oracle(m, x, bias, f32Activations: false)
            let tol = sameMathTolerance(m, x)
            let one = fastMatvec(m, x, bias, pool: nil, packed: packed, K)
            let two = fastMatvec(m, x, bias, pool: pool2, packed: packed, K)
            for k in ref.indices { #expect(abs(one[k] - ref[k]) <= tol[k] + 1e-6 * abs(bias[k]), "\(s) row \(k): \(one[k]) vs \(ref[k])") }
            #expect(one == two, "1 vs 2 threads differ \(s)")
            // Against the f32-activation reference: within the quantization bound, and not equal
            // (the test would pass vacuously if the VNNI path were not taken).
            let exact = oracle(m, x, nil, f32Activations: true)
            let noBias = fastMatvec(m, x, nil, pool: nil, packed: packed, K)
            let bound = activationQuantizationBound(m, x), f32tol = linearTolerance(m, x, T: 1)
            for k in exact.indices { #expect(abs(noBias[k] - exact[k]) <= 1.0001 * bound[k] + f32tol[k], "\(s) row \(k)") }
            #expect(noBias != exact, "expected the int8-activation path to differ from f32 activations")
        }
    }
}

@Test(arguments: int8Sets)
func int8QuantizationMatchesReferenceBitForBit(set: KernelSet) throws {
    let K = try Kernels(set)
    var rng = TestRNG(seed: 3)
    var x = rng.floats(32 * 40, scale: 5)
    // Ties after scaling: block 1 has max 127 -> d = 1, and k + 0.5 values round to even.
    for j in 0..<32 { x[32 + j] = j == 31 ? 127 : Float(j - 16) + 0.5 }
    for j in 0..<32 { x[64 + j] = 0 }                                  // d = 0
    x[96] = 0x1p-133                                // 1 / d would overflow: the block counts as 0
    for j in 97..<128 { x[j] = 0 }
    for j in 128..<160 { x[j] = Float(j) * 1e30 }                      // large
    x.withUnsafeBufferPointer { xp in
        let (q, d) = Reference.quantizeActivations(xp.baseAddress!, count: x.count)
        var fq = [Int8](repeating: 0, count: x.count), fd = [Float](repeating: 0, count: x.count / 32)
        var sums = [Int32](repeating: 0, count: x.count / 32)
        fq.withUnsafeMutableBufferPointer { qp in fd.withUnsafeMutableBufferPointer { dp in sums.withUnsafeMutableBufferPointer { sp in
            K.quantizeActivationsInt8(xp.baseAddress!, x.count / 32, qp.baseAddress!, dp.baseAddress!, sp.baseAddress!)
        } } }
        #expect(fq == q)
        // The packed kernel's correction term: 128 Σ q per block.
        if K.packsQ8 { #expect(sums == (0..<x.count / 32).map { b in Int32(128 * q[32 * b ..< 32 * b + 32].reduce(0) { $0 + Int($1) }) }) }
        #expect(fd.map(\.bitPattern) == d.map(\.bitPattern))
        #expect(q.allSatisfy { $0 >= -127 })
        // round half to even: block 1 scaled values are exactly j - 16 (integers) or the max.
        #expect(d[1] == 1 && q[32] == -16 && q[33] == -14 && q[63] == 127)
        #expect(q[96..<128].allSatisfy { $0 == 0 })
    }
}

@Test(arguments: int8Sets)
func int8MatvecPropagatesNonFiniteActivations(set: KernelSet) throws {
    let K = try Kernels(set)
    let w = TestWeights(.q8_0, rows: 4, cols: 64, seed: 9)
    for bad in [Float.nan, .infinity, -.infinity] {
        var x = [Float](repeating: 0.5, count: 64)
        x[40] = bad
        w.with { m in
            let y = fastMatvec(m, x, nil, pool: nil, packed: K.packsQ8, K)
            #expect(y.allSatisfy { !$0.isFinite }, "\(bad): \(y)")
        }
    }
}

@Test(arguments: KernelSet.supported.filter { !int8Sets.contains($0) || $0 == .avx512 })
func fileLayoutQ8MatchesF32Reference(set: KernelSet) throws {
    let K = try Kernels(set)
    // The file-layout q8_0 kernel with f32 activations (no packed copy; the sets without an
    // int8 file-layout kernel): tight tolerance.
    let w = TestWeights(.q8_0, rows: 33, cols: 256, seed: 12)
    var rng = TestRNG(seed: 5)
    let x = rng.floats(256, scale: 2)
    w.with { m in
        let ref = oracle(m, x, nil, f32Activations: true)
        let tol = linearTolerance(m, x, T: 1)
        var y = [Float](repeating: .nan, count: m.rows)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { K.matvec($0.baseAddress!, xp.baseAddress!, m, bias: nil) } }
        for k in ref.indices { #expect(abs(y[k] - ref[k]) <= tol[k], "row \(k)") }
    }
}

// The packed layout read back independently, from its description in q8_packed.c: group g =
// rows 16g..16g+15; scales (blocks x 16 f16, padded to 64 bytes) then quants, block b chunk c
// (columns 32b+4c..+3) 64 bytes with row i's 4 values at 4i, stored as q + 128.
@Test(.enabled(if: vnniKernels != nil, "no AVX-512 VNNI on this CPU"))
func packedQ8LayoutHoldsEveryWeight() throws {
    let K = vnniKernels!
    for (rows, cols) in [(1, 32), (16, 64), (17, 96), (40, 768)] {
        let w = TestWeights(.q8_0, rows: rows, cols: cols, seed: UInt64(rows * 1000 + cols))
        let blocks = cols / 32, scaleBytes = (blocks * 32 + 63) / 64 * 64, groupBytes = scaleBytes + blocks * 512
        let n = try #require(Kernels.packedQ8ByteCount(rows: rows, cols: cols))
        #expect(n == (rows + 15) / 16 * groupBytes)
        let dst = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
        defer { dst.deallocate() }
        dst.initializeMemory(as: UInt8.self, repeating: 0xEE, count: n)    // every byte must be written
        w.with { m in
            _ = K.packQ8(m, into: dst, pool: ThreadPool(threads: 2))
            for r in 0..<(rows + 15) / 16 * 16 {
                let g = r / 16, i = r % 16, group = dst + g * groupBytes
                for b in 0..<blocks {
                    let scale = group.load(fromByteOffset: 32 * b + 2 * i, as: UInt16.self)
                    let want = r < rows ? m.row(r).loadUnaligned(fromByteOffset: 34 * b, as: UInt16.self) : 0
                    #expect(scale == want, "row \(r) block \(b) scale")
                    for j in 0..<32 {
                        let u = group.load(fromByteOffset: scaleBytes + 512 * b + 64 * (j / 4) + 4 * i + j % 4, as: UInt8.self)
                        let q = r < rows ? m.row(r).load(fromByteOffset: 34 * b + 2 + j, as: Int8.self) : 0
                        #expect(Int(u) - 128 == Int(q), "row \(r) column \(32 * b + j)")
                    }
                }
            }
            // The padding after the scales is zero too.
            for k in blocks * 32..<scaleBytes { #expect(dst.load(fromByteOffset: k, as: UInt8.self) == 0) }
        }
    }
}

@Test func packedQ8ByteCountRejectsOverflowAndBadShapes() {
    #expect(Kernels.packedQ8ByteCount(rows: 16, cols: 33) == nil)
    #expect(Kernels.packedQ8ByteCount(rows: -1, cols: 32) == nil)
    #expect(Kernels.packedQ8ByteCount(rows: Int.max, cols: 32) == nil)
    #expect(Kernels.packedQ8ByteCount(rows: 16, cols: Int.max / 32 * 32) == nil)
    #expect(Kernels.packedQ8ByteCount(rows: 0, cols: 64) == 0)
    // GPT-2's head: 50257 rows in 3142 groups of 24 blocks (768 bytes of scales + 12288 of quants).
    #expect(Kernels.packedQ8ByteCount(rows: 50257, cols: 768) == 3142 * (768 + 12288))
}

// The prompt's packed matmul: every row of y equals the packed matvec of that row of x, bit for
// bit (so a prompt and token-by-token generation agree), and the same-math oracle within its
// tolerance. T covers the 4-row chunks and each remainder (1, 2, 3) and the kernel's chunks of
// 64 rows of x (T = 70); rows, partial groups.
@Test(.enabled(if: vnniKernels != nil, "no AVX-512 VNNI on this CPU"))
func packedQ8MatmulRowsAreTheirMatvecs() throws {
    let K = vnniKernels!
    let cases: [(T: Int, rows: Int, cols: Int)] = [(2, 17, 64), (3, 70, 768), (4, 16, 32), (5, 129, 512), (7, 3, 96), (13, 64, 3072), (33, 40, 768), (70, 17, 64)]
    for (i, c) in cases.enumerated() {
        let w = TestWeights(.q8_0, rows: c.rows, cols: c.cols, seed: UInt64(900 + i))
        var rng = TestRNG(seed: UInt64(31 + i))
        var x = rng.floats(c.T * c.cols, scale: 3)
        for j in 0..<min(32, c.cols) { x[j] = 0 }                     // an all-zero block (d = 0)
        let bias = rng.floats(c.rows)
        w.with { m in
            let n = Kernels.packedQ8ByteCount(rows: m.rows, cols: m.cols)!
            let dst = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 64)
            defer { dst.deallocate() }
            let p = K.packQ8(m, into: dst, pool: nil)
            for (pool, useBias) in [(nil, true), (ThreadPool(threads: 2), true), (nil, false)] as [(ThreadPool?, Bool)] {
                var y = [Float](repeating: .nan, count: c.T * c.rows)
                x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in bias.withUnsafeBufferPointer { bp in
                    K.matmul(yp.baseAddress!, xp.baseAddress!, p, bias: useBias ? bp.baseAddress! : nil, rows: c.T, pool: pool)
                } } }
                for t in 0..<c.T {
                    let xr = Array(x[t * c.cols ..< (t + 1) * c.cols]), yr = Array(y[t * c.rows ..< (t + 1) * c.rows])
                    let b = useBias ? bias : nil
                    #expect(yr.map(\.bitPattern) == fastMatvec(p, xr, b, pool: nil, K).map(\.bitPattern), "\(c) row \(t)")
                    let ref = oracle(m, xr, b, f32Activations: false), tol = sameMathTolerance(m, xr)
                    for k in ref.indices { #expect(abs(yr[k] - ref[k]) <= tol[k] + 1e-6 * abs(bias[k]), "\(c) row \(t) out \(k)") }
                }
            }
        }
    }
}
