import Foundation
import Testing
@testable import GPT2Runtime

@Suite struct SamplerTests {
    /// Rosetta Code "Pseudo-random numbers/Splitmix64": seed 1234567.
    @Test func splitMix64PublishedVector() {
        var x: UInt64 = 1234567
        let got = (0..<5).map { _ in RandomSource.splitMix64(&x) }
        #expect(got == [6457827717110365317, 3203168211198807973, 9817491932198370423,
                        4593380528125082431, 16408922859458223821])
    }

    /// php-src ext/random/tests/02_engine/xoshiro256starstar_seed.phpt: state words all
    /// 0x0807060504030201 (bytes 01..08, little-endian); the 1001st output is
    /// bin2hex "90a025df9300cfd1" (little-endian bytes) = 0xd1cf0093df25a090.
    @Test func xoshiro256StarStarPublishedVector() {
        let w: UInt64 = 0x0807_0605_0403_0201
        var r = RandomSource(state: (w, w, w, w))
        for _ in 0..<1000 { _ = r.next() }
        #expect(r.next() == 0xD1CF_0093_DF25_A090)
    }

    @Test func seedingIsSplitMixOfTheSeed() {
        var x: UInt64 = 1234567
        let state = (RandomSource.splitMix64(&x), RandomSource.splitMix64(&x),
                     RandomSource.splitMix64(&x), RandomSource.splitMix64(&x))
        var a = RandomSource(seed: 1234567), b = RandomSource(state: state)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        let u = RandomSource(seed: 1).nextUnitSample()
        #expect(u >= 0 && u < 1)
    }

    static let logits: [Float] = [0.5, 3.0, 2.9, -1.0, 2.95, 0.0, 1.0, -5.0]

    @Test func greedyIsTheFirstArgmax() throws {
        var s = try Sampler(options: SamplingOptions(temperature: 0))
        #expect(s.sample(Self.logits) == 1)
        #expect(s.sample([1, 7, 7, 2]) == 1)
        // Longer than one 16-lane step, the maximum in the tail, tied, after NaNs and infinities.
        var long = [Float](repeating: -1, count: 50)
        long[3] = .nan; long[40] = 5; long[47] = 5; long[10] = -.infinity
        #expect(s.sample(long) == 40)
        long[20] = 5
        #expect(s.sample(long) == 20)
        #expect(s.sample([Float](repeating: .nan, count: 33)) == 0)
        #expect(s.sample([Float](repeating: -.infinity, count: 20) + [-1]) == 20)
        #expect(s.sample([.nan, .infinity, 3]) == 1)
        var tiny = try Sampler(options: SamplingOptions(temperature: .leastNonzeroMagnitude, topK: nil))
        #expect((0..<20).allSatisfy { _ in tiny.sample(Self.logits) == 1 })
    }

    @Test func sameSeedSameTokensOtherSeedOtherTokens() throws {
        func draw(_ seed: UInt64) throws -> [Int] {
            var s = try Sampler(options: SamplingOptions(temperature: 1, topK: nil, seed: seed))
            return (0..<64).map { _ in s.sample(Self.logits) }
        }
        #expect(try draw(7) == draw(7))
        #expect(try draw(7) != draw(8))
    }

    @Test func topKKeepsOnlyTheKBest() throws {
        var s = try Sampler(options: SamplingOptions(temperature: 5, topK: 3, seed: 3))
        let seen = Set((0..<2000).map { _ in s.sample(Self.logits) })
        #expect(seen == [1, 2, 4])                        // 3.0, 2.9, 2.95
        var one = try Sampler(options: SamplingOptions(temperature: 5, topK: 1))
        #expect((0..<100).allSatisfy { _ in one.sample(Self.logits) == 1 })
    }

    @Test func topPKeepsTheNucleus() throws {
        // softmax at T=1: p(1) ≈ 0.30, p(4) ≈ 0.29, p(2) ≈ 0.27, rest ≈ 0.14
        var s = try Sampler(options: SamplingOptions(temperature: 1, topK: nil, topP: 0.5, seed: 5))
        #expect(Set((0..<2000).map { _ in s.sample(Self.logits) }) == [1, 4])
        var tiny = try Sampler(options: SamplingOptions(temperature: 1, topK: nil, topP: 0.01))
        #expect((0..<100).allSatisfy { _ in tiny.sample(Self.logits) == 1 })
        var all = try Sampler(options: SamplingOptions(temperature: 1, topK: nil, topP: 1, seed: 9))
        #expect(Set((0..<5000).map { _ in all.sample(Self.logits) }).count == 7)   // -5 is rare but 3, 0 ... appear
    }

    @Test func frequenciesFollowTheSoftmax() throws {
        let logits: [Float] = [0, log(2), log(3), log(4)]    // probabilities 0.1 0.2 0.3 0.4
        var s = try Sampler(options: SamplingOptions(temperature: 1, topK: nil, seed: 42))
        var counts = [0, 0, 0, 0]
        let n = 100_000
        for _ in 0..<n { counts[s.sample(logits)] += 1 }
        for (i, c) in counts.enumerated() {
            #expect(abs(Double(c) / Double(n) - Double(i + 1) / 10) < 0.01, "\(counts)")
        }
    }

    @Test func kthLargest() {
        var scratch = [Float](repeating: 0, count: 8)
        let sorted = Self.logits.sorted(by: >)
        for k in 1...8 {
            let got = Self.logits.withUnsafeBufferPointer { Sampler.kthLargest($0, k, scratch: &scratch) }
            #expect(got == sorted[k - 1])
        }
    }
}

extension RandomSource {
    func nextUnitSample() -> Double { var c = self; return c.nextUnit() }
}
