import Foundation
import Testing
@testable import GPT2Runtime

/// llama.cpp's repeat penalty and min-p, on logits small enough to work the answer out by hand
/// (llama-sampling: a seen token's logit is divided by the penalty when positive, multiplied
/// when not; min-p keeps logits >= max + ln(min_p)).
@Suite struct SamplerPenaltyTests {
    static func greedy(penalty: Float, lastN: Int = 64) throws -> Sampler {
        try Sampler(options: SamplingOptions(temperature: 0, repeatPenalty: penalty, repeatLastN: lastN))
    }

    /// 2 / 2 = 1 falls below 1.5: the second token wins.
    @Test func positiveLogitIsDivided() throws {
        var s = try Self.greedy(penalty: 2)
        s.begin([0])
        #expect(s.sample([2, 1.5, 0, -1]) == 1)
        var off = try Self.greedy(penalty: 1)
        off.begin([0])
        #expect(off.sample([2, 1.5, 0, -1]) == 0)
    }

    /// -1 · 2 = -2 falls below -1.5.
    @Test func negativeLogitIsMultiplied() throws {
        var s = try Self.greedy(penalty: 2)
        s.begin([0])
        #expect(s.sample([-1, -1.5]) == 1)
    }

    /// A token seen three times is penalized once: 3 / 2 = 1.5 still beats 1.4.
    @Test func repeatsCountOnce() throws {
        var s = try Self.greedy(penalty: 2)
        s.begin([0, 0, 0])
        #expect(s.sample([3, 1.4]) == 0)
    }

    /// Only the last n tokens count. History [0, 1]: with n = 1 only token 1 is penalized
    /// (2 / 2 = 1 < 1.5, token 0 wins); with n = 2 both are (0.75 < 1, token 1 wins).
    @Test func onlyTheLastNCount() throws {
        var one = try Self.greedy(penalty: 2, lastN: 1)
        one.begin([0, 1])
        #expect(one.sample([1.5, 2]) == 0)
        var two = try Self.greedy(penalty: 2, lastN: 2)
        two.begin([0, 1])
        #expect(two.sample([1.5, 2]) == 1)
        var none = try Self.greedy(penalty: 2, lastN: 0)
        none.begin([0, 1])
        #expect(none.sample([1.5, 2]) == 1)
    }

    /// Picks join the window: constant logits [2, 1.9, 0] with n = 1 alternate 0, 1, 0
    /// (after 0: 1 < 1.9; after 1: 2 > 0.95).
    @Test func sampledTokensJoinTheWindow() throws {
        var s = try Self.greedy(penalty: 2, lastN: 1)
        s.begin([])
        let picks = (0..<3).map { _ in s.sample([2, 1.9, 0]) }
        #expect(picks == [0, 1, 0])
    }

    /// Probabilities 0.5, 0.3, 0.2 with min-p 0.5 keep those >= 0.25: the first two, in the
    /// ratio 5 : 3 at temperature 1 and sqrt(5) : sqrt(3) at temperature 2 (min-p itself is
    /// taken at temperature 1, as llama.cpp applies temperature last).
    @Test func minPKeepsTokensNearTheTop() throws {
        let logits: [Float] = [log(0.5), log(0.3), log(0.2)]
        for (t, expected) in [(Float(1), [0.625, 0.375, 0]),
                              (2, [sqrt(0.5) / (sqrt(0.5) + sqrt(0.3)), sqrt(0.3) / (sqrt(0.5) + sqrt(0.3)), 0])] {
            var s = try Sampler(options: SamplingOptions(temperature: t, topK: nil, minP: 0.5))
            let total = try #require(logits.withUnsafeBufferPointer { s.weights($0) })
            let p = s.probabilities(total)
            for i in 0..<3 { #expect(abs(p[i] - expected[i]) < 1e-6, "T=\(t) id \(i): \(p[i])") }
        }
        // min-p 0.7 keeps only the top token (0.3 < 0.35): every draw is 0.
        var top = try Sampler(options: SamplingOptions(temperature: 1, topK: nil, minP: 0.7))
        #expect((0..<200).allSatisfy { _ in top.sample(logits) == 0 })
    }

    @Test func badValuesAreRefused() {
        #expect(throws: RuntimeError.self) { try Sampler(options: SamplingOptions(minP: -0.1)) }
        #expect(throws: RuntimeError.self) { try Sampler(options: SamplingOptions(minP: 1.1)) }
        #expect(throws: RuntimeError.self) { try Sampler(options: SamplingOptions(repeatPenalty: 0)) }
        #expect(throws: RuntimeError.self) { try Sampler(options: SamplingOptions(repeatPenalty: .infinity)) }
        #expect(throws: RuntimeError.self) { try Sampler(options: SamplingOptions(repeatLastN: -1)) }
    }
}
