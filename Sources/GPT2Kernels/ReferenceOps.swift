// Naive versions of the non-linear ops, in Double where it makes the oracle exact to f32
// precision: the oracle for Norm/Activation/Softmax/Attention/Embedding.

#if canImport(Glibc)
import Glibc
#endif

extension Reference {
    /// LayerNorm of T rows of C channels (sums in Double), with optional bias.
    package static func layerNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                 rows T: Int, channels C: Int, epsilon: Float) {
        for t in 0..<T {
            var mean = 0.0, v = 0.0
            for i in 0..<C { mean += Double(x[t * C + i]) }
            mean /= Double(C)
            for i in 0..<C { let d = Double(x[t * C + i]) - mean; v += d * d }
            let rstd = 1 / (v / Double(C) + Double(epsilon)).squareRoot()
            for i in 0..<C {
                out[t * C + i] = Float((Double(x[t * C + i]) - mean) * rstd * Double(weight[i]) + Double(bias?[i] ?? 0))
            }
        }
    }

    /// GELU, tanh approximation (GPT-2's), in place.
    package static func geluTanh(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n {
            let v = Double(x[i])
            x[i] = Float(0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v))))
        }
    }

    /// GELU with the exact erf, in place.
    package static func geluErf(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { let v = Double(x[i]); x[i] = Float(0.5 * v * (1 + erf(v / 2.0.squareRoot()))) }
    }

    /// y += x, n values.
    package static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] += x[i] }
    }

    /// Row-wise softmax of a T × N matrix, in place.
    package static func softmax(_ x: UnsafeMutablePointer<Float>, rows T: Int, cols N: Int) {
        for t in 0..<T {
            let r = x + t * N
            var m = -Double.infinity
            for i in 0..<N { m = max(m, Double(r[i])) }
            var s = 0.0
            for i in 0..<N { s += libmExp(Double(r[i]) - m) }
            for i in 0..<N { r[i] = Float(libmExp(Double(r[i]) - m) / s) }
        }
    }

    /// Index of the largest value (the first of equal ones).
    package static func argmax(_ x: UnsafePointer<Float>, count n: Int) -> Int {
        var best = 0
        for i in 1..<max(n, 1) where x[i] > x[best] { best = i }
        return best
    }

    /// log Σ e^x over n values, in Double.
    package static func logsumexp(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var m = -Double.infinity
        for i in 0..<n { m = max(m, Double(x[i])) }
        var s = 0.0
        for i in 0..<n { s += libmExp(Double(x[i]) - m) }
        return Float(m + log(s))
    }

    /// Causal multi-head attention over a KV cache, one query row at a time (the oracle of
    /// `Kernels.attention`).
    package static func attention(_ out: UnsafeMutablePointer<Float>, outStride: Int,
                                 q: UnsafePointer<Float>, qStride: Int,
                                 k: UnsafePointer<Float>, kStride: Int,
                                 v: UnsafePointer<Float>, vStride: Int,
                                 rows T: Int, past: Int, heads NH: Int, headSize HS: Int) {
        for t in 0..<T {
            for h in 0..<NH {
                let L = past + t + 1
                var scores = [Double](repeating: 0, count: L)
                for j in 0..<L {
                    var s = 0.0
                    for i in 0..<HS { s += Double(q[t * qStride + h * HS + i]) * Double(k[j * kStride + h * HS + i]) }
                    scores[j] = s / Double(HS).squareRoot()
                }
                let m = scores.max()!
                let e = scores.map { libmExp($0 - m) }
                let z = e.reduce(0, +)
                for i in 0..<HS {
                    var s = 0.0
                    for j in 0..<L { s += e[j] / z * Double(v[j * vStride + h * HS + i]) }
                    out[t * outStride + h * HS + i] = Float(s)
                }
            }
        }
    }

    /// Token plus position embedding rows for `tokens` starting at position `start`.
    package static func embed(_ out: UnsafeMutablePointer<Float>, tokens: [Int], wte: WeightMatrix,
                             wpe: WeightMatrix, start: Int) {
        for (t, id) in tokens.enumerated() {
            for c in 0..<wte.cols { out[t * wte.cols + c] = weight(wte, id, c) + weight(wpe, start + t, c) }
        }
    }
}

/// Glibc exp in Double.
@inline(__always) func libmExp(_ x: Double) -> Double { Glibc.exp(x) }
