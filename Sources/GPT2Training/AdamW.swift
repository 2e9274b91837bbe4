#if canImport(Glibc)
import Glibc
#endif
import GPT2Kernels

/// AdamW with PyTorch's `torch.optim.AdamW` semantics (the non-fused CPU path nanoGPT uses):
/// decoupled weight decay `p -= lr·wd·p` on the tensors that decay (rank >= 2,
/// `TrainableParameter.decays`), then `m = β1 m + (1-β1) g`, `v = β2 v + (1-β2) g²`,
/// `p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)`.
///
/// The moments are index-aligned with `parameters`; resume code writes and reads them and
/// `steps` (the number of updates done, PyTorch's `state['step']`).
public final class AdamW {
    /// The tensors updated, in the order of the moment buffers.
    public let parameters: [TrainableParameter]
    /// PyTorch's betas, eps and weight_decay.
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// Updates done so far (PyTorch's `state['step']`; the bias corrections use it).
    public var steps: Int = 0
    /// Running means of the gradients, one buffer per parameter (zero at the start).
    public var firstMoments: [UnsafeMutableBufferPointer<Float>]
    /// Running means of the squared gradients, one buffer per parameter (zero at the start).
    public var secondMoments: [UnsafeMutableBufferPointer<Float>]
    let kernels: Kernels

    /// An optimiser over `parameters` with zero moments, using the CPU's best kernel set.
    public convenience init(parameters: [TrainableParameter], beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float) {
        self.init(parameters: parameters, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, kernels: .selected)
    }

    /// With a given kernel set (tests run every set).
    init(parameters: [TrainableParameter], beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, kernels: Kernels) {
        self.parameters = parameters
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.kernels = kernels
        func zeros(_ n: Int) -> UnsafeMutableBufferPointer<Float> {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
            b.initialize(repeating: 0)
            return b
        }
        firstMoments = parameters.map { zeros($0.count) }
        secondMoments = parameters.map { zeros($0.count) }
    }

    deinit {
        for b in firstMoments { b.deallocate() }
        for b in secondMoments { b.deallocate() }
    }

    /// One update of every parameter from its gradient at `learningRate`.
    public func step(learningRate lr: Float) {
        steps += 1
        // PyTorch computes the bias corrections in double (Python floats), then uses them as
        // f32 scalars in the tensor ops.
        let t = Double(steps)
        let bc1 = 1 - pow(Double(beta1), t)
        let bc2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(lr) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        for (i, p) in parameters.enumerated() {
            let decay: Float = p.decays ? 1 - lr * weightDecay : 1
            kernels.adamwUpdate(p.values, p.gradients, firstMoments[i].baseAddress!, secondMoments[i].baseAddress!,
                                count: p.count, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                decay: decay, stepSize: stepSize, bc2Sqrt: bc2Sqrt)
        }
    }
}
