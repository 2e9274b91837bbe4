// Naive oracle of the VNNI q8_0 matvec (PackedQ8.swift, CKernels/q8_packed.c): the same math,
// written plainly. x is quantized per 32-value block: d = max|x| / 127 in f32, q =
// round-to-nearest-even of x * (1/d) in f32 (0 when d is 0 or subnormal, where 1/d overflows),
// saturated to -128...127 (finite x gives -127...127; a NaN gives -128, as the C quantizer's
// conversion does); then y = Σ_blocks d_w d_x Σ q_w q_x in Double. The fast kernel's only
// differences are f32 accumulation of the block terms.

extension Reference {
    /// x (count a multiple of 32) as q8 blocks: int8 values and one f32 scale per block.
    package static func quantizeActivations(_ x: UnsafePointer<Float>, count: Int) -> (q: [Int8], d: [Float]) {
        var q = [Int8](repeating: 0, count: count), d = [Float](repeating: 0, count: count / 32)
        for b in 0..<count / 32 {
            var amax: Float = 0
            for j in 0..<32 {
                let a = abs(x[32 * b + j])
                if a.isNaN || a > amax { amax = a }
                if amax.isNaN { break }
            }
            let scale = amax / 127
            let inv: Float = scale >= 0x1p-126 ? 1 / scale : 0   // 1/scale would overflow below
            for j in 0..<32 {
                let v = (x[32 * b + j] * inv).rounded(.toNearestOrEven)
                q[32 * b + j] = v.isNaN ? -128 : Int8(max(-128, min(127, v)))
            }
            d[b] = scale
        }
        return (q, d)
    }

    /// y[OUT] = W x + bias for q8_0 W with x quantized by `quantizeActivations`.
    package static func matvecQ8Activations(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                                           bias: UnsafePointer<Float>?) {
        require(w.type == .q8_0, "matvecQ8Activations needs q8_0 weights")
        let (q, d) = quantizeActivations(x, count: w.cols)
        for o in 0..<w.rows {
            var s: Double = bias.map { Double($0[o]) } ?? 0
            for b in 0..<w.cols / 32 {
                let block = w.row(o) + b * Q8_0.blockBytes
                var dot = 0
                for j in 0..<32 { dot += Int(block.load(fromByteOffset: 2 + j, as: Int8.self)) * Int(q[32 * b + j]) }
                s += Double(f16Value(block.loadUnaligned(as: UInt16.self))) * Double(d[b]) * Double(dot)
            }
            y[o] = Float(s)
        }
    }
}
