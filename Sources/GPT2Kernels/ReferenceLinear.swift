// Naive linear layers: the oracle for MatVec.swift and MatMul.swift. Weights are decoded one
// element at a time with the reference conversions; sums in Double so the oracle's own rounding
// error is far below the fast kernels' (f32 sums in a different order).

extension Reference {
    /// Element (r, c) of W as f32.
    package static func weight(_ w: WeightMatrix, _ r: Int, _ c: Int) -> Float {
        let row = w.row(r)
        switch w.type {
        case .f32: return row.loadUnaligned(fromByteOffset: 4 * c, as: Float.self)
        case .f16: return f16Value(row.loadUnaligned(fromByteOffset: 2 * c, as: UInt16.self))
        case .bf16: return bf16Value(row.loadUnaligned(fromByteOffset: 2 * c, as: UInt16.self))
        case .q8_0:
            let block = row + c / Q8_0.blockCount * Q8_0.blockBytes
            let d = f16Value(block.loadUnaligned(as: UInt16.self))
            return d * Float(block.load(fromByteOffset: 2 + c % Q8_0.blockCount, as: Int8.self))
        }
    }

    /// y[T, OUT] = x[T, IN] · W[OUT, IN]ᵀ + bias[OUT]. T = 1 is the matrix-vector product.
    package static func matmul(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                              bias: UnsafePointer<Float>?, rows T: Int) {
        for t in 0..<T {
            for o in 0..<w.rows {
                var s: Double = bias.map { Double($0[o]) } ?? 0
                for i in 0..<w.cols { s += Double(x[t * w.cols + i]) * Double(weight(w, o, i)) }
                y[t * w.rows + o] = Float(s)
            }
        }
    }
}
