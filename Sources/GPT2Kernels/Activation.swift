// Elementwise ops: GELU (tanh approximation as in GPT-2 / transformers "gelu_new", and the
// exact erf form as in nanoGPT's nn.GELU()), residual add, in place over raw buffers.

extension Kernels {
    /// x[i] = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), in place over n values.
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        let c: Float = 0.797_884_56               // √(2/π)
        var i = 0
        while i + 16 <= n {
            let v = x16(x, i)
            let y = 0.5 * v * (1 + tanh16(c * (v + 0.044715 * v * v * v)))
            UnsafeMutableRawPointer(x + i).storeBytes(of: y, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            let v = SIMD16<Float>(repeating: x[i])
            x[i] = (0.5 * v * (1 + tanh16(c * (v + 0.044715 * v * v * v))))[0]
            i += 1
        }
    }

    /// x[i] = 0.5 x (1 + erf(x / √2)), in place over n values.
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        let r: Float = 0.707_106_77               // 1/√2
        var i = 0
        while i + 16 <= n {
            let v = x16(x, i)
            UnsafeMutableRawPointer(x + i).storeBytes(of: 0.5 * v * (1 + erf16(v * r)), as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            let v = SIMD16<Float>(repeating: x[i])
            x[i] = (0.5 * v * (1 + erf16(v * r)))[0]
            i += 1
        }
    }

    /// The GELU form a model uses.
    public enum GELU: String, Sendable, CaseIterable { case tanh, erf }

    /// The GELU form a model uses, in place over n values; with a pool, large n (the prompt's
    /// T x 4C) is split between the threads in 16-aligned chunks (same results either way).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count n: Int, form: GELU, pool: ThreadPool? = nil) {
        let one = { (r: Range<Int>) in
            switch form {
            case .tanh: geluTanh(x + r.lowerBound, count: r.count)
            case .erf: geluErf(x + r.lowerBound, count: r.count)
            }
        }
        if let pool, pool.threadCount > 1, n >= 16_384 { pool.parallelFor(n, align: 16, one) } else { one(0..<n) }
    }

    /// y[i] += x[i] (residual connection), n values.
    public static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count n: Int) {
        var i = 0
        while i + 16 <= n {
            UnsafeMutableRawPointer(y + i).storeBytes(of: x16(y, i) + x16(x, i), as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += x[i]; i += 1 }
    }
}
