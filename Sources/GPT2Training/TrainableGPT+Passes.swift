import GPT2ModelFile

// The forward pass (keeping activations) and the backward pass of TrainableGPT, op by op in
// nanoGPT's order:
//   x = drop(wte[idx] + wpe[pos])
//   per block: x = x + drop(attn.proj(attention(attn.qkv(ln_1(x)))))    (dropout also on the weights)
//              x = x + drop(mlp.proj(gelu(mlp.fc(ln_2(x)))))
//   logits = ln_f(x) · wteᵀ; loss = mean cross-entropy.
extension TrainableGPT {
    /// Runs the forward pass into `a`; returns the mean loss. `scale` is the gradient scale the
    /// cross-entropy leaves in `a.logits` for the backward pass (d(scale·Σ loss)/d logits).
    func forward(_ batch: TrainingBatch, _ a: GPTActivations, dropout useDropout: Bool, scale: Float) -> Float {
        let B = batch.batch, T = batch.length, N = B * T, C = config.nEmbd, NH = config.nHead, V = config.vocabSize
        let eps = config.layerNormEpsilon
        let p = dropout
        batch.inputs.withUnsafeBufferPointer { ids in
            ops.embedForward(a.residual[0], ids: ids.baseAddress!, wte: value(TensorName.tokenEmbedding),
                             wpe: value(TensorName.positionEmbedding), rows: N, length: T, channels: C)
        }
        if useDropout { ops.dropout(a.residual[0], mask: a.embeddingMask, count: N * C, seed: nextDropoutSeed(), probability: p) }
        for l in 0..<config.nLayer {
            let L = a.layers[l], x = a.residual[l], out = a.residual[l + 1]
            ops.layerNormForward(L.ln1, mean: L.ln1Mean, rstd: L.ln1Rstd, x, weight: value(TensorName.ln1Weight(l)),
                                 bias: optionalValue(TensorName.ln1Bias(l)), rows: N, channels: C, epsilon: eps)
            ops.linearForward(L.qkv, L.ln1, weight: value(TensorName.qkvWeight(l)), bias: optionalValue(TensorName.qkvBias(l)),
                              rows: N, in: C, out: 3 * C)
            let attCount = B * NH * T * T
            if useDropout {
                // The mask alone: dropout of ones (att is overwritten by the attention next).
                L.att.update(repeating: 1, count: attCount)
                ops.dropout(L.att, mask: L.attMask, count: attCount, seed: nextDropoutSeed(), probability: p)
            }
            ops.attentionForward(L.atty, att: L.att, mask: useDropout ? L.attMask : nil, qkv: L.qkv, batch: B, length: T,
                                 channels: C, heads: NH)
            ops.linearForward(L.mid, L.atty, weight: value(TensorName.attnProjWeight(l)),
                              bias: optionalValue(TensorName.attnProjBias(l)), rows: N, in: C, out: C)
            if useDropout { ops.dropout(L.mid, mask: L.attnMask, count: N * C, seed: nextDropoutSeed(), probability: p) }
            ops.add(L.mid, x, count: N * C)
            ops.layerNormForward(L.ln2, mean: L.ln2Mean, rstd: L.ln2Rstd, L.mid, weight: value(TensorName.ln2Weight(l)),
                                 bias: optionalValue(TensorName.ln2Bias(l)), rows: N, channels: C, epsilon: eps)
            ops.linearForward(L.fc, L.ln2, weight: value(TensorName.fcWeight(l)), bias: optionalValue(TensorName.fcBias(l)),
                              rows: N, in: C, out: 4 * C)
            ops.geluForward(L.gelu, L.fc, count: N * 4 * C)        // L.fc now holds GELU'(fc)
            ops.linearForward(out, L.gelu, weight: value(TensorName.mlpProjWeight(l)),
                              bias: optionalValue(TensorName.mlpProjBias(l)), rows: N, in: 4 * C, out: C)
            if useDropout { ops.dropout(out, mask: L.mlpMask, count: N * C, seed: nextDropoutSeed(), probability: p) }
            ops.add(out, L.mid, count: N * C)
        }
        ops.layerNormForward(a.lnf, mean: a.lnfMean, rstd: a.lnfRstd, a.residual[config.nLayer],
                             weight: value(TensorName.finalNormWeight), bias: optionalValue(TensorName.finalNormBias),
                             rows: N, channels: C, epsilon: eps)
        ops.linearForward(a.logits, a.lnf, weight: value(headName), bias: nil, rows: N, in: C, out: V)
        batch.targets.withUnsafeBufferPointer { y in
            ops.crossEntropy(a.logits, losses: a.losses, targets: y.baseAddress!, rows: N, vocabulary: V, scale: scale)
        }
        var sum = 0.0
        for i in 0..<N { sum += Double(a.losses[i]) }
        return Float(sum / Double(N))
    }

    /// Adds the gradients of the loss the last `forward` computed (its `scale` included).
    func backward(_ batch: TrainingBatch, _ a: GPTActivations, dropout useDropout: Bool) {
        let B = batch.batch, T = batch.length, N = B * T, C = config.nEmbd, NH = config.nHead, V = config.vocabSize
        // Head: logits = lnf · headᵀ.
        ops.linearBackward(dx: a.dtmp, dw: gradient(headName), db: nil, dy: a.logits, x: a.lnf, weight: value(headName),
                           rows: N, in: C, out: V)
        a.dres.update(repeating: 0, count: N * C)
        ops.layerNormBackward(dx: a.dres, dw: gradient(TensorName.finalNormWeight), db: optionalGradient(TensorName.finalNormBias),
                              dout: a.dtmp, x: a.residual[config.nLayer], mean: a.lnfMean, rstd: a.lnfRstd,
                              weight: value(TensorName.finalNormWeight), rows: N, channels: C)
        // dres holds d loss / d residual, walked down the blocks.
        for l in stride(from: config.nLayer - 1, through: 0, by: -1) {
            let L = a.layers[l]
            // MLP branch: out = mid + drop(proj(gelu(fc(ln2(mid))))).
            var g = UnsafePointer(a.dres)
            if useDropout {
                a.dtmp.update(from: a.dres, count: N * C)
                ops.multiply(a.dtmp, by: L.mlpMask, count: N * C)
                g = UnsafePointer(a.dtmp)
            }
            ops.linearBackward(dx: a.dfc, dw: gradient(TensorName.mlpProjWeight(l)), db: optionalGradient(TensorName.mlpProjBias(l)),
                               dy: g, x: L.gelu, weight: value(TensorName.mlpProjWeight(l)), rows: N, in: 4 * C, out: C)
            ops.geluBackward(a.dfc, derivative: L.fc, dy: a.dfc, count: N * 4 * C)
            ops.linearBackward(dx: a.dtmp2, dw: gradient(TensorName.fcWeight(l)), db: optionalGradient(TensorName.fcBias(l)),
                               dy: a.dfc, x: L.ln2, weight: value(TensorName.fcWeight(l)), rows: N, in: C, out: 4 * C)
            ops.layerNormBackward(dx: a.dres, dw: gradient(TensorName.ln2Weight(l)), db: optionalGradient(TensorName.ln2Bias(l)),
                                  dout: a.dtmp2, x: L.mid, mean: L.ln2Mean, rstd: L.ln2Rstd, weight: value(TensorName.ln2Weight(l)),
                                  rows: N, channels: C)
            // Attention branch: mid = x + drop(proj(attention(qkv(ln1(x))))).
            g = UnsafePointer(a.dres)
            if useDropout {
                a.dtmp.update(from: a.dres, count: N * C)
                ops.multiply(a.dtmp, by: L.attnMask, count: N * C)
                g = UnsafePointer(a.dtmp)
            }
            ops.linearBackward(dx: a.dtmp2, dw: gradient(TensorName.attnProjWeight(l)), db: optionalGradient(TensorName.attnProjBias(l)),
                               dy: g, x: L.atty, weight: value(TensorName.attnProjWeight(l)), rows: N, in: C, out: C)
            ops.attentionBackward(a.dqkv, dout: a.dtmp2, qkv: L.qkv, att: L.att, mask: useDropout ? L.attMask : nil,
                                  batch: B, length: T, channels: C, heads: NH)
            ops.linearBackward(dx: a.dtmp2, dw: gradient(TensorName.qkvWeight(l)), db: optionalGradient(TensorName.qkvBias(l)),
                               dy: a.dqkv, x: L.ln1, weight: value(TensorName.qkvWeight(l)), rows: N, in: C, out: 3 * C)
            ops.layerNormBackward(dx: a.dres, dw: gradient(TensorName.ln1Weight(l)), db: optionalGradient(TensorName.ln1Bias(l)),
                                  dout: a.dtmp2, x: a.residual[l], mean: L.ln1Mean, rstd: L.ln1Rstd,
                                  weight: value(TensorName.ln1Weight(l)), rows: N, channels: C)
        }
        if useDropout { ops.multiply(a.dres, by: a.embeddingMask, count: N * C) }
        batch.inputs.withUnsafeBufferPointer { ids in
            ops.embedBackward(dwte: gradient(TensorName.tokenEmbedding), dwpe: gradient(TensorName.positionEmbedding),
                              ids: ids.baseAddress!, dx: a.dres, rows: N, length: T, channels: C)
        }
    }
}
