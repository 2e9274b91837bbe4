import Testing
@testable import GPT2Kernels

private func quantize(_ x: [Float], fast: Bool, _ K: Kernels) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: x.count / 32 * 34)
    x.withUnsafeBufferPointer { s in out.withUnsafeMutableBytes { d in
        if fast { K.quantizeQ8_0(s.baseAddress!, d.baseAddress!, count: x.count) }
        else { Reference.quantizeQ8_0(s.baseAddress!, d.baseAddress!, count: x.count) }
    } }
    return out
}
private func dequantize(_ b: [UInt8], fast: Bool, _ K: Kernels) -> [Float] {
    var out = [Float](repeating: 0, count: b.count / 34 * 32)
    b.withUnsafeBytes { s in out.withUnsafeMutableBufferPointer { d in
        if fast { K.dequantizeQ8_0(s.baseAddress!, d.baseAddress!, count: d.count) }
        else { Reference.dequantizeQ8_0(s.baseAddress!, d.baseAddress!, count: d.count) }
    } }
    return out
}

@Test(arguments: [false, true], KernelSet.supported) func q8_0MatchesGGUFPyTranscription(fast: Bool, set: KernelSet) throws {
    let K = try Kernels(set)
    let fx = try ConversionFixture.load().q8_0
    let x = fx.input_f32_bits.map(Float.init(bitPattern:))
    let expected = hexBytes(fx.expected_hex)
    #expect(expected.count == x.count / 32 * 34 && x.count >= 6 * 32)
    let got = quantize(x, fast: fast, K)
    for i in got.indices where got[i] != expected[i] {
        Issue.record("byte \(i) (block \(i / 34)): got \(got[i]) numpy \(expected[i])")
    }
    // Dequantized values: numpy's float16 scale times the int8, exactly.
    let deq = dequantize(expected, fast: fast, K)
    for b in 0..<expected.count / 34 {
        let d = Reference.f16Value(UInt16(expected[34 * b]) | UInt16(expected[34 * b + 1]) << 8)
        for j in 0..<32 { #expect(deq[32 * b + j] == d * Float(Int8(bitPattern: expected[34 * b + 2 + j]))) }
    }
}

@Test(arguments: KernelSet.supported) func q8_0FastMatchesReferenceOnRandomBlocks(set: KernelSet) throws {
    let K = try Kernels(set)
    var rng = TestRNG(seed: 5)
    var x = rng.floats(32 * 257, scale: 3)
    for i in stride(from: 0, to: x.count, by: 97) { x[i] = Float(Int(x[i] * 40)) / 2 }   // exact .5 ties
    let q = quantize(x, fast: true, K)
    #expect(q == quantize(x, fast: false, K))
    #expect(dequantize(q, fast: true, K) == dequantize(q, fast: false, K))
    // Error bound: |x - d*q| <= d/2 (+ f16 rounding of d, relative 2^-11 of 127 d).
    let back = dequantize(q, fast: true, K)
    for b in 0..<257 {
        let amax = x[32 * b..<32 * b + 32].map(\.magnitude).max()!
        for j in 0..<32 { #expect(abs(back[32 * b + j] - x[32 * b + j]) <= amax / 127 * 0.57) }
    }
}

@Test(arguments: KernelSet.supported) func q8_0NonFiniteInputDoesNotTrap(set: KernelSet) throws {
    let K = try Kernels(set)
    var x = [Float](repeating: 1, count: 64)
    x[3] = .nan; x[40] = .infinity; x[41] = -.infinity
    for fast in [false, true] {
        let q = quantize(x, fast: fast, K)
        #expect(q.count == 68)
    }
}
