import Foundation
import Testing
@testable import GPT2Kernels

/// Deterministic xorshift RNG so a failing case reproduces.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    /// Uniform in [-scale, scale).
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in Float.random(in: -scale..<scale, using: &self) }
    }
}

/// The numpy-generated expectations (Tools/gen-kernel-fixtures).
struct ConversionFixture: Decodable {
    struct F16: Decodable { var input_f32_bits: [UInt32]; var expected_f16_bits: [UInt16] }
    struct F16Back: Decodable { var input_f16_bits: [UInt16]; var expected_f32_bits: [UInt32] }
    struct Q8: Decodable { var input_f32_bits: [UInt32]; var expected_hex: String }
    var f32_to_f16: F16
    var f16_to_f32: F16Back
    var q8_0: Q8

    static func load() throws -> ConversionFixture {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/conversions", withExtension: "json"))
        return try JSONDecoder().decode(ConversionFixture.self, from: Data(contentsOf: url))
    }
}

func hexBytes(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.utf8.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16)!) }
    return out
}

/// Largest |a - b| / (1 + |b|) over two equal-length arrays.
func maxRelDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i]) / (1 + abs(b[i]))) }
    return m
}
