import GPT2Kernels

/// `torch.nn.utils.clip_grad_norm_`: the global L2 norm of all gradients; when it exceeds
/// `maxNorm`, every gradient is scaled by `maxNorm / (norm + 1e-6)`. Returns the norm before
/// clipping (also when it is not finite, so the caller can stop on it). `maxNorm` 0 (nanoGPT's
/// `grad_clip = 0.0`) only measures.
public func clipGradients(_ parameters: [TrainableParameter], maxNorm: Float) -> Float {
    clipGradients(parameters, maxNorm: maxNorm, kernels: .selected)
}

func clipGradients(_ parameters: [TrainableParameter], maxNorm: Float, kernels: Kernels) -> Float {
    var sumSquares = 0.0
    for p in parameters { sumSquares += kernels.sumOfSquares(p.gradients, count: p.count) }
    let norm = Float(sumSquares.squareRoot())
    guard maxNorm > 0, norm.isFinite else { return norm }
    let coeff = maxNorm / (norm + 1e-6)
    if coeff < 1 {
        for p in parameters { kernels.scale(p.gradients, by: coeff, count: p.count) }
    }
    return norm
}
