// LayerNorm over the channels of each position, as torch.nn.functional.layer_norm:
// out = (x - mean) / sqrt(var + eps) * weight + bias, var the biased (1/C) variance.
// Two passes over the row (mean, then centred squares) like the reference, in f32 SIMD16.

extension Kernels {
    /// out[T, C] = LayerNorm(x[T, C]) with weight[C], bias[C] (nil: no bias). out may equal x.
    public static func layerNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                 rows T: Int, channels C: Int, epsilon: Float) {
        for t in 0..<T {
            let xr = x + t * C, o = out + t * C
            var acc = SIMD16<Float>()
            var i = 0
            while i + 16 <= C { acc += x16(xr, i); i += 16 }
            var s = hsum(acc)
            while i < C { s += xr[i]; i += 1 }
            let mean = s / Float(C)
            acc = SIMD16()
            i = 0
            while i + 16 <= C { let d = x16(xr, i) - mean; acc.addProduct(d, d); i += 16 }
            var v = hsum(acc)
            while i < C { let d = xr[i] - mean; v += d * d; i += 1 }
            let rstd = 1 / (v / Float(C) + epsilon).squareRoot()
            i = 0
            while i + 16 <= C {
                var y = (x16(xr, i) - mean) * rstd * x16(weight, i)
                if let bias { y += x16(bias, i) }
                UnsafeMutableRawPointer(o + i).storeBytes(of: y, as: SIMD16<Float>.self)
                i += 16
            }
            while i < C {
                o[i] = (xr[i] - mean) * rstd * weight[i] + (bias?[i] ?? 0)
                i += 1
            }
        }
    }
}
