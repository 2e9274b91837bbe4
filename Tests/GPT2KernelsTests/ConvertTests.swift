import Testing
@testable import GPT2Kernels

// Conversions: fast and reference versions against numpy (fixture) and hand-derived bit patterns.

private func f32ToF16(_ x: [Float], fast: Bool, _ K: Kernels) -> [UInt16] {
    var out = [UInt16](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { s in out.withUnsafeMutableBytes { d in
        if fast { K.f32ToF16(s.baseAddress!, d.baseAddress!, count: x.count) }
        else { Reference.f32ToF16(s.baseAddress!, d.baseAddress!, count: x.count) }
    } }
    return out
}
private func f32ToBF16(_ x: [Float], fast: Bool, _ K: Kernels) -> [UInt16] {
    var out = [UInt16](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { s in out.withUnsafeMutableBytes { d in
        if fast { K.f32ToBF16(s.baseAddress!, d.baseAddress!, count: x.count) }
        else { Reference.f32ToBF16(s.baseAddress!, d.baseAddress!, count: x.count) }
    } }
    return out
}
private func toF32(_ h: [UInt16], _ f: (UnsafeRawPointer, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
    var out = [Float](repeating: 0, count: h.count)
    h.withUnsafeBytes { s in out.withUnsafeMutableBufferPointer { d in f(s.baseAddress!, d.baseAddress!, h.count) } }
    return out
}

@Test(arguments: [false, true], KernelSet.supported) func f32ToF16MatchesNumpy(fast: Bool, set: KernelSet) throws {
    let K = try Kernels(set)
    let fx = try ConversionFixture.load().f32_to_f16
    let x = fx.input_f32_bits.map(Float.init(bitPattern:))
    #expect(x.count > 400)
    let got = f32ToF16(x, fast: fast, K)
    for i in x.indices where got[i] != fx.expected_f16_bits[i] {
        Issue.record("f32 bits \(String(fx.input_f32_bits[i], radix: 16)): got \(String(got[i], radix: 16)) numpy \(String(fx.expected_f16_bits[i], radix: 16))")
    }
}

@Test(arguments: KernelSet.supported) func f32ToF16NaNStaysNaN(set: KernelSet) throws {
    let K = try Kernels(set)
    let x: [Float] = [.nan, -.nan, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFFC0_1234)]
    for fast in [false, true] {
        for h in f32ToF16(x + [Float](repeating: .nan, count: 16), fast: fast, K) {
            #expect(h & 0x7C00 == 0x7C00 && h & 0x3FF != 0, "not a NaN: \(String(h, radix: 16))")
        }
    }
}

@Test(arguments: [false, true], KernelSet.supported) func f16ToF32MatchesNumpy(fast: Bool, set: KernelSet) throws {
    let K = try Kernels(set)
    let fx = try ConversionFixture.load().f16_to_f32
    let got = toF32(fx.input_f16_bits) { fast ? K.f16ToF32($0, $1, count: $2) : Reference.f16ToF32($0, $1, count: $2) }
    #expect(got.map(\.bitPattern) == fx.expected_f32_bits)
}

@Test(arguments: KernelSet.supported) func f16FastMatchesReferenceOnEveryBitPattern(set: KernelSet) throws {
    let K = try Kernels(set)
    let all = (0...0xFFFF).map { UInt16($0) }
    let fast = toF32(all) { K.f16ToF32($0, $1, count: $2) }
    let ref = toF32(all) { Reference.f16ToF32($0, $1, count: $2) }
    for i in all.indices where !(fast[i].isNaN && ref[i].isNaN) {
        #expect(fast[i].bitPattern == ref[i].bitPattern, "f16 \(i)")
    }
    // Round trip: every non-NaN f16 survives f16 -> f32 -> f16 in both directions' fast paths.
    let back = f32ToF16(fast, fast: true, K)
    for i in all.indices where !fast[i].isNaN { #expect(back[i] == all[i]) }
}

@Test(arguments: KernelSet.supported) func f32ToF16FastMatchesReferenceOnRandomBits(set: KernelSet) throws {
    let K = try Kernels(set)
    var rng = TestRNG(seed: 7)
    let x = (0..<100_003).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) }.filter { !$0.isNaN }
    #expect(f32ToF16(x, fast: true, K) == f32ToF16(x, fast: false, K))
}

// bfloat16 = the high 16 bits of an f32, rounded to nearest even on bit 16. Each case is
// derivable by hand from the bit pattern.
private let bf16Cases: [(UInt32, UInt16)] = [
    (0x3F80_0000, 0x3F80),   // 1.0 exact
    (0x3F80_8000, 0x3F80),   // tie, kept lsb 0 -> down
    (0x3F81_8000, 0x3F82),   // tie, lsb 1 -> up to even
    (0x3F80_8001, 0x3F81),   // above the tie -> up
    (0x3F80_7FFF, 0x3F80),   // below the tie -> down
    (0xBF81_8000, 0xBF82),   // negative tie
    (0x8000_0000, 0x8000),   // -0
    (0x0000_8000, 0x0000),   // subnormal tie -> 0
    (0x0001_8000, 0x0002),   // subnormal tie -> even
    (0x7F7F_FFFF, 0x7F80),   // f32 max rounds to inf
    (0x7F7F_7FFF, 0x7F7F),   // largest that stays finite
    (0xFF80_0000, 0xFF80),   // -inf
    (0x7FC0_0000, 0x7FC0),   // quiet NaN
    (0x7F80_0001, 0x7FC0),   // signalling NaN whose payload is below bit 16: must not become inf
    (0xFF80_0001, 0xFFC0),
    (0x7FFF_FFFF, 0x7FFF),   // NaN with all payload bits: must not carry into the sign
]

@Test(arguments: [false, true], KernelSet.supported) func f32ToBF16HandDerived(fast: Bool, set: KernelSet) throws {
    let K = try Kernels(set)
    let x = bf16Cases.map { Float(bitPattern: $0.0) }
    // 16 copies so the SIMD path runs too.
    let got = f32ToBF16(Array(repeating: x, count: 2).flatMap { $0 }, fast: fast, K)
    for (i, c) in bf16Cases.enumerated() {
        #expect(got[i] == c.1 && got[i + x.count] == c.1, "\(String(c.0, radix: 16)) -> \(String(got[i], radix: 16))")
    }
}

@Test(arguments: KernelSet.supported) func bf16FastMatchesReference(set: KernelSet) throws {
    let K = try Kernels(set)
    var rng = TestRNG(seed: 11)
    let x = (0..<50_001).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) }
    let fast = f32ToBF16(x, fast: true, K), ref = f32ToBF16(x, fast: false, K)
    #expect(fast == ref)
    let all = (0...0xFFFF).map { UInt16($0) }
    let a = toF32(all) { K.bf16ToF32($0, $1, count: $2) }
    let b = toF32(all) { Reference.bf16ToF32($0, $1, count: $2) }
    #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    #expect(a.map(\.bitPattern) == all.map { UInt32($0) << 16 })
}

@Test(arguments: KernelSet.supported) func encodeDecodeByType(set: KernelSet) throws {
    let K = try Kernels(set)
    var rng = TestRNG(seed: 3)
    let x = rng.floats(96, scale: 2)
    for t in WeightType.allCases {
        var bytes = [UInt8](repeating: 0, count: t.byteCount(elements: x.count)!)
        var back = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { s in bytes.withUnsafeMutableBytes { K.encode(s.baseAddress!, count: x.count, as: t, into: $0.baseAddress!) } }
        bytes.withUnsafeBytes { s in back.withUnsafeMutableBufferPointer { K.decode(s.baseAddress!, count: x.count, as: t, into: $0.baseAddress!) } }
        let tol: Float = [.f32: 0, .f16: 1e-3, .bf16: 8e-3, .q8_0: 1e-2][t]!
        #expect(maxRelDiff(back, x) <= tol, "\(t)")
    }
    #expect(WeightType.q8_0.byteCount(elements: 33) == nil)
    #expect(WeightType.f32.byteCount(elements: Int.max) == nil)
    #expect(WeightType.q8_0.byteCount(elements: 64) == 68)
}
