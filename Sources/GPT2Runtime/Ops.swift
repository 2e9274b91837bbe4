import Foundation
import GPT2Kernels
import GPT2ModelFile

// The forward pass's calls into the kernel layer, in one place.
// TEMPORARY naive bodies until GPT2Kernels lands its matmul/LayerNorm/GELU; then each of these
// becomes a one-line call into `Kernels.*` (no second copy of the kernels lives here).

enum Dequantize {
    /// `count` elements of `type` at `source` as f32 (the kernel layer's converters).
    @inline(__always)
    static func toFloat32(type: ElementType, source: UnsafeRawPointer, count: Int,
                          into dst: UnsafeMutablePointer<Float>) {
        Kernels.decode(source, count: count, as: WeightType(type), into: dst)
    }
}

extension WeightType {
    /// The kernel layer's name for a file element type (same cases, same raw values).
    init(_ t: ElementType) {
        switch t {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .q8_0: self = .q8_0
        }
    }
}

enum Ops {
    /// out[T, OUT] = x[T, IN] · W[OUT, IN]ᵀ (+ bias[OUT]).
    static func linear(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows t: Int,
                       _ w: WeightMatrix, _ bias: WeightVector?, pool: ComputePool) {
        let row = UnsafeMutablePointer<Float>.allocate(capacity: w.cols)
        defer { row.deallocate() }
        for o in 0..<w.rows {
            Dequantize.toFloat32(type: w.type, source: w.base + o * w.rowBytes, count: w.cols, into: row)
            let b = bias?.base[o] ?? 0
            for i in 0..<t {
                var acc: Float = 0
                let xi = x + i * w.cols
                for k in 0..<w.cols { acc += xi[k] * row[k] }
                out[i * w.rows + o] = acc + b
            }
        }
    }

    /// out[T, C] = LayerNorm(x[T, C]) · weight + bias, biased variance, as `nn.LayerNorm`.
    static func layerNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows t: Int,
                          channels c: Int, _ w: WeightVector, _ b: WeightVector?, eps: Float) {
        for i in 0..<t {
            let xi = x + i * c, oi = out + i * c
            var mean: Float = 0
            for k in 0..<c { mean += xi[k] }
            mean /= Float(c)
            var v: Float = 0
            for k in 0..<c { v += (xi[k] - mean) * (xi[k] - mean) }
            let rstd = 1 / (v / Float(c) + eps).squareRoot()
            for k in 0..<c { oi[k] = (xi[k] - mean) * rstd * w.base[k] + (b?.base[k] ?? 0) }
        }
    }

    /// x = GELU(x), in place, `count` elements.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, _ a: GPT2Config.Activation) {
        switch a {
        case .geluErf:
            for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erf(x[i] / Float(2).squareRoot())) }
        case .geluTanh:
            let s = Float((2 / Double.pi).squareRoot())
            for i in 0..<count { let v = x[i]; x[i] = 0.5 * v * (1 + tanh(s * (v + 0.044715 * v * v * v))) }
        }
    }
}
