// Softmax and the reductions used on logits: argmax, logsumexp.

#if canImport(Glibc)
import Glibc
#endif

extension Kernels {
    /// Each of the T rows of x[T, N] replaced by its softmax (max-subtracted, so no overflow).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows T: Int, cols N: Int) {
        for t in 0..<T { softmaxRow(x + t * N, N) }
    }

    @inline(__always)
    static func softmaxRow(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        let m = maxValue(x, n)
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            let e = exp16(x16(x, i) - m)
            UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: SIMD16<Float>.self)
            acc += e
            i += 16
        }
        var s = hsum(acc)
        while i < n { x[i] = exp1(x[i] - m); s += x[i]; i += 1 }
        let inv = 1 / s
        i = 0
        while i + 16 <= n {
            UnsafeMutableRawPointer(x + i).storeBytes(of: x16(x, i) * inv, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { x[i] *= inv; i += 1 }
    }

    @inline(__always)
    static func maxValue(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= n { m = pointwiseMax(m, x16(x, i)); i += 16 }
        var s = m.max()
        while i < n { s = max(s, x[i]); i += 1 }
        return s
    }

    /// Index of the largest of x[0..<n]; the first one on ties (as torch.argmax). n > 0.
    public static func argmax(_ x: UnsafePointer<Float>, count n: Int) -> Int {
        require(n > 0, "argmax of nothing")
        let m = maxValue(x, n)
        var i = 0
        while x[i] != m && i < n - 1 { i += 1 }      // first index holding the max (NaN: 0..)
        return i
    }

    /// log Σ exp(x[i]), computed as max + log Σ exp(x - max); the sum in f32 SIMD lanes then
    /// Double. n > 0.
    public static func logsumexp(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        require(n > 0, "logsumexp of nothing")
        let m = maxValue(x, n)
        if m == -.infinity || m == .infinity { return m }
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n { acc += exp16(x16(x, i) - m); i += 16 }
        var s = Double(hsum(acc))
        while i < n { s += Double(exp1(x[i] - m)); i += 1 }
        return m + Float(log(s))
    }
}
