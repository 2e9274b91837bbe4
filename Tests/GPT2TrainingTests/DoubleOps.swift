import Foundation
import GPT2Kernels
import GPT2Runtime
@testable import GPT2Training

// The forward ops of nanoGPT's model written out in Double from their textbook definitions
// (PyTorch's nn.Linear, nn.LayerNorm (biased variance), nn.GELU() (erf), causal softmax
// attention, F.cross_entropy, embedding lookup): the functions the finite differences
// differentiate. Independent of the code under test (no kernel, no Reference.*).
enum DoubleOps {
    /// y[N, OUT] = x[N, IN] · wᵀ + b.
    static func linear(_ x: [Double], _ w: [Double], _ b: [Double]?, rows N: Int, in IN: Int, out OUT: Int) -> [Double] {
        var y = [Double](repeating: 0, count: N * OUT)
        for n in 0..<N {
            for o in 0..<OUT {
                var s = b?[o] ?? 0
                for i in 0..<IN { s += x[n * IN + i] * w[o * IN + i] }
                y[n * OUT + o] = s
            }
        }
        return y
    }

    static func layerNorm(_ x: [Double], _ w: [Double], _ b: [Double]?, rows N: Int, channels C: Int, epsilon: Double) -> [Double] {
        var y = [Double](repeating: 0, count: N * C)
        for n in 0..<N {
            var m = 0.0
            for i in 0..<C { m += x[n * C + i] }
            m /= Double(C)
            var v = 0.0
            for i in 0..<C { v += (x[n * C + i] - m) * (x[n * C + i] - m) }
            let rs = 1 / (v / Double(C) + epsilon).squareRoot()
            for i in 0..<C { y[n * C + i] = (x[n * C + i] - m) * rs * w[i] + (b?[i] ?? 0) }
        }
        return y
    }

    static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }

    /// Causal self-attention over qkv [B, T, 3C] (q, k, v side by side, head h at columns
    /// h·HS of each); mask [B, NH, T, T] multiplies the softmax weights (dropout) when given.
    static func attention(_ qkv: [Double], mask: [Double]?, batch B: Int, length T: Int, channels C: Int, heads NH: Int) -> [Double] {
        let HS = C / NH
        let scale = 1 / Double(HS).squareRoot()
        var out = [Double](repeating: 0, count: B * T * C)
        for b in 0..<B {
            for h in 0..<NH {
                for t in 0..<T {
                    var w = [Double](repeating: 0, count: t + 1)
                    for s in 0...t {
                        var d = 0.0
                        for i in 0..<HS { d += qkv[(b * T + t) * 3 * C + h * HS + i] * qkv[(b * T + s) * 3 * C + C + h * HS + i] }
                        w[s] = d * scale
                    }
                    let m = w.max()!
                    var sum = 0.0
                    for s in 0...t { w[s] = exp(w[s] - m); sum += w[s] }
                    for s in 0...t {
                        let p = w[s] / sum * (mask?[((b * NH + h) * T + t) * T + s] ?? 1)
                        for i in 0..<HS { out[(b * T + t) * C + h * HS + i] += p * qkv[(b * T + s) * 3 * C + 2 * C + h * HS + i] }
                    }
                }
            }
        }
        return out
    }

    /// Per-row cross-entropy of logits [N, V] against targets.
    static func crossEntropy(_ logits: [Double], targets: [Int32], rows N: Int, vocabulary V: Int) -> [Double] {
        (0..<N).map { n in
            let row = logits[(n * V)..<((n + 1) * V)]
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            return lse - logits[n * V + Int(targets[n])]
        }
    }

    static func embed(ids: [Int32], wte: [Double], wpe: [Double], rows N: Int, length T: Int, channels C: Int) -> [Double] {
        var y = [Double](repeating: 0, count: N * C)
        for n in 0..<N { for i in 0..<C { y[n * C + i] = wte[Int(ids[n]) * C + i] + wpe[(n % T) * C + i] } }
        return y
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
}

/// Central differences (f(x + h) - f(x - h)) / 2h of a scalar function of `x` at the elements
/// `indices`. Double throughout with h = 1e-5 on inputs of order 1: the truncation error
/// h²·f'''/6 and the rounding error ~1e-16·|f|/h are both ~1e-11, far below the f32 errors
/// the tests measure.
func centralDifferences(_ x: [Double], at indices: [Int], step h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var x = x
    return indices.map { i in
        let v = x[i]
        x[i] = v + h
        let up = f(x)
        x[i] = v - h
        let down = f(x)
        x[i] = v
        return (up - down) / (2 * h)
    }
}

/// max |got - want| / max |want| over the checked elements: the error relative to the
/// gradient's scale (elements near zero are not held to a relative bound of their own).
func scaledError(_ got: [Double], _ want: [Double]) -> Double {
    var err = 0.0, scale = 0.0
    for i in want.indices {
        err = max(err, abs(got[i] - want[i]))
        scale = max(scale, abs(want[i]))
    }
    return scale == 0 ? err : err / scale
}

/// Seeded test data.
struct TestRandom {
    var rng: RandomSource
    init(_ seed: UInt64) { rng = RandomSource(seed: seed) }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(rng.next() % UInt64(r.count)) }
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * rng.nextUnit() }
    /// n values uniform in [lo, hi), rounded to f32 (so the f32 and f64 computations see the
    /// same inputs).
    mutating func floats(_ n: Int, _ lo: Double = -1, _ hi: Double = 1) -> [Double] {
        (0..<n).map { _ in Double(Float(uniform(lo, hi))) }
    }
    /// Up to `limit` distinct indices of 0..<n (all of them when n <= limit), sorted.
    mutating func indices(_ n: Int, limit: Int) -> [Int] {
        if n <= limit { return Array(0..<n) }
        var s = Set<Int>()
        while s.count < limit { s.insert(int(0...(n - 1))) }
        return s.sorted()
    }
}

/// The training ops under test: the fast kernels of one kernel set on 1 or 2 threads (2
/// exercises the split of work), or the naive Reference ops.
struct OpsPath: Sendable, CustomStringConvertible {
    let set: KernelSet?
    let threads: Int

    static var all: [OpsPath] {
        KernelSet.supported.flatMap { s in [OpsPath(set: s, threads: 1), OpsPath(set: s, threads: 2)] } + [OpsPath(set: nil, threads: 1)]
    }

    var description: String { self.set.map { "\($0) ×\(threads)" } ?? "reference" }

    func ops() throws -> TrainingOps {
        guard let set else { return ReferenceTrainingOps() }
        return FastTrainingOps(k: try Kernels(set), pool: threads > 1 ? ThreadPool(threads: threads) : nil)
    }
}

/// body(pointer to a's elements, or nil when a is nil).
func withOptionalPointer<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress!) }
}

extension Array where Element == Double {
    var floats: [Float] { self.map { Float($0) } }
}

extension Array where Element == Float {
    var doubles: [Double] { self.map { Double($0) } }
}
