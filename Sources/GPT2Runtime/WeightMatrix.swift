import GPT2ModelFile

/// A weight matrix `[rows, cols]` (PyTorch `nn.Linear` order: `[out, in]`) as the kernels read
/// it: element type + the first byte. q8_0 rows are `cols / 32` blocks of 34 bytes each.
///
/// The pointer lives as long as the `GPT2Weights` that made it (it points into the file mapping
/// or into memory that object owns); views never leave the runtime module.
struct WeightMatrix: @unchecked Sendable {
    let type: ElementType
    let rows: Int
    let cols: Int
    let base: UnsafeRawPointer

    /// Bytes of one row.
    var rowBytes: Int { type.byteCount(elements: cols)! }
}

/// A vector of f32 parameters (LayerNorm gain/shift, a bias), converted to f32 on load if the
/// file stored it otherwise: they are tiny and the kernels want f32 there.
struct WeightVector: @unchecked Sendable {
    let count: Int
    let base: UnsafePointer<Float>
}
