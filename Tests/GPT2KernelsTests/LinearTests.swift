import Testing
@testable import GPT2Kernels

// MatVec / MatMul fast kernels vs Reference.matmul (Double sums) on awkward shapes.
// Shapes cover partial 6-row and 32-position tiles, IN > the 1024 chunk of MatMul, and the
// multi-vector path (T <= 4) with partial groups of 4, and partial last blocks of positions.
// Tolerance: |fast - ref| <= 2e-6 * Σ|w x| + 1e-7 — f32 sums of a few hundred terms in another order.

/// Random weights encoded in `type` (fast and reference then read the very same bytes).
struct TestWeights {
    var bytes: [UInt8]
    let type: WeightType, rows: Int, cols: Int
    init(_ type: WeightType, rows: Int, cols: Int, seed: UInt64) {
        var rng = TestRNG(seed: seed)
        let f = rng.floats(rows * cols, scale: 1)
        self.type = type; self.rows = rows; self.cols = cols
        bytes = [UInt8](repeating: 0, count: type.byteCount(elements: rows * cols)!)
        bytes.withUnsafeMutableBytes { d in f.withUnsafeBufferPointer { Reference.encode($0.baseAddress!, count: f.count, as: type, into: d.baseAddress!) } }
    }
    func with<R>(_ body: (WeightMatrix) -> R) -> R {
        bytes.withUnsafeBytes { body(WeightMatrix(base: $0.baseAddress!, type: type, rows: rows, cols: cols)) }
    }
}

func linearTolerance(_ w: WeightMatrix, _ x: [Float], T: Int) -> [Float] {
    var tol = [Float](repeating: 0, count: T * w.rows)
    for t in 0..<T { for o in 0..<w.rows {
        var s: Float = 0
        for i in 0..<w.cols { s += abs(Reference.weight(w, o, i) * x[t * w.cols + i]) }
        tol[t * w.rows + o] = 2e-6 * s + 1e-7
    } }
    return tol
}

private func run(_ w: WeightMatrix, _ x: [Float], _ bias: [Float]?, T: Int, fast: Bool, pool: ThreadPool?, matvec: Bool = false, _ K: Kernels) -> [Float] {
    var y = [Float](repeating: .nan, count: T * w.rows)
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
        let yb = yp.baseAddress!, xb = xp.baseAddress!
        let call = { (b: UnsafePointer<Float>?) in
            if !fast { Reference.matmul(yb, xb, w, bias: b, rows: T) }
            else if matvec { K.matvec(yb, xb, w, bias: b, pool: pool) }
            else { K.matmul(yb, xb, w, bias: b, rows: T, pool: pool) }
        }
        if let bias { bias.withUnsafeBufferPointer { call($0.baseAddress!) } } else { call(nil) }
    } }
    return y
}


private let shapes: [(rows: Int, cols: Int)] = [(1, 32), (1, 7), (3, 50), (5, 64), (17, 96), (70, 160), (129, 33), (64, 768)]

@Test(arguments: WeightType.allCases, KernelSet.supported) func matvecMatchesReference(type: WeightType, set: KernelSet) throws {
    let K = try Kernels(set)
    for (i, s) in shapes.enumerated() where type != .q8_0 || s.cols % 32 == 0 {
        let pool2 = ThreadPool(threads: 2)     // one per test: a pool serves one caller at a time
        let w = TestWeights(type, rows: s.rows, cols: s.cols, seed: UInt64(i + 1))
        var rng = TestRNG(seed: 99)
        let x = rng.floats(s.cols, scale: 2), bias = rng.floats(s.rows)
        w.with { m in
            let ref = run(m, x, bias, T: 1, fast: false, pool: nil, K)
            // q8_0 with int8 activations (AVX2) moves each row by at most the quantization
            // bound; those kernels are checked tightly against the same-math oracle in
            // Q8VNNITests.swift.
            var tol = linearTolerance(m, x, T: 1)
            if type == .q8_0 && K.quantizesQ8Activations && !K.packsQ8 {
                tol = zip(tol, activationQuantizationBound(m, x)).map { $0 + 1.0001 * $1 }
            }
            let one = run(m, x, bias, T: 1, fast: true, pool: nil, matvec: true, K)
            let two = run(m, x, bias, T: 1, fast: true, pool: pool2, matvec: true, K)
            for k in ref.indices { #expect(abs(one[k] - ref[k]) <= tol[k] + 1e-6 * abs(bias[k]), "\(type) \(s) row \(k)") }
            #expect(one == two, "1 vs 2 threads differ \(type) \(s)")
            let noBias = run(m, x, nil, T: 1, fast: true, pool: nil, matvec: true, K)
            let refNoBias = run(m, x, nil, T: 1, fast: false, pool: nil, K)
            for k in ref.indices { #expect(abs(noBias[k] - refNoBias[k]) <= tol[k]) }
        }
    }
}

@Test(arguments: WeightType.allCases, KernelSet.supported) func matmulMatchesReference(type: WeightType, set: KernelSet) throws {
    let K = try Kernels(set)
    let cases: [(T: Int, rows: Int, cols: Int)] = [(33, 13, 1056), (48, 7, 64), (17, 6, 32), (9, 70, 96), (8, 3, 50), (3, 65, 64), (2, 5, 32), (6, 32, 64), (7, 33, 96), (13, 70, 50), (5, 1, 7), (12, 64, 160), (1, 9, 64), (19, 100, 128)]
    for (i, c) in cases.enumerated() where type != .q8_0 || c.cols % 32 == 0 {
        let pool2 = ThreadPool(threads: 2)
        let w = TestWeights(type, rows: c.rows, cols: c.cols, seed: UInt64(100 + i))
        var rng = TestRNG(seed: UInt64(7 + i))
        let x = rng.floats(c.T * c.cols, scale: 2), bias = rng.floats(c.rows)
        w.with { m in
            let ref = run(m, x, bias, T: c.T, fast: false, pool: nil, K)
            var tol = linearTolerance(m, x, T: c.T)
            if c.T == 1 && type == .q8_0 && K.quantizesQ8Activations && !K.packsQ8 {   // T = 1 is a matvec
                tol = zip(tol, activationQuantizationBound(m, x)).map { $0 + 1.0001 * $1 }
            }
            let one = run(m, x, bias, T: c.T, fast: true, pool: nil, K)
            let two = run(m, x, bias, T: c.T, fast: true, pool: pool2, K)
            for k in ref.indices { #expect(abs(one[k] - ref[k]) <= tol[k] + 1e-6 * abs(ref[k]), "\(type) \(c) index \(k): \(one[k]) vs \(ref[k])") }
            #expect(one == two, "1 vs 2 threads differ \(type) \(c)")
        }
    }
}

@Test(arguments: KernelSet.supported) func decodeRowMatchesReferenceWeights(set: KernelSet) throws {
    let K = try Kernels(set)
    for type in WeightType.allCases {
        let w = TestWeights(type, rows: 3, cols: 64, seed: 42)
        w.with { m in
            var row = [Float](repeating: 0, count: 64)
            row.withUnsafeMutableBufferPointer { m.decodeRow(2, into: $0.baseAddress!, kernels: K) }
            #expect(row == (0..<64).map { Reference.weight(m, 2, $0) })
        }
    }
}
