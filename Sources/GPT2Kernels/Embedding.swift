// Token + position embedding: out[t] = wte[tokens[t]] + wpe[start + t], rows decoded from any
// WeightType (the tables stay in their stored type in the mapped file).

extension Kernels {
    /// out[T, C] with T = tokens.count, C = wte.cols (= wpe.cols). Tokens must be < wte.rows and
    /// start + T <= wpe.rows (the runtime validates them first; violations trap).
    public static func embed(_ out: UnsafeMutablePointer<Float>, tokens: [Int], wte: WeightMatrix,
                             wpe: WeightMatrix, start: Int) {
        require(wte.cols == wpe.cols, "wte and wpe widths differ")
        let C = wte.cols
        let pos = UnsafeMutablePointer<Float>.allocate(capacity: max(C, 1))
        defer { pos.deallocate() }
        for (t, id) in tokens.enumerated() {
            wte.decodeRow(id, into: out + t * C)
            wpe.decodeRow(start + t, into: pos)
            add(out + t * C, pos, count: C)
        }
    }
}
