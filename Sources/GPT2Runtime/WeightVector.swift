import GPT2Kernels
import GPT2ModelFile

/// A vector of f32 parameters (LayerNorm gain/shift, a bias), converted to f32 on load if the
/// file stored it otherwise: they are tiny and the kernels want f32 there. Like the
/// `WeightMatrix` views, it lives as long as the `GPT2Weights` that made it.
struct WeightVector: @unchecked Sendable {
    let count: Int
    let base: UnsafePointer<Float>
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
