import Foundation
import GPT2Kernels
import GPT2ModelFile
import Testing
@testable import GPT2Training

/// nanoGPT's forward pass (model.py's GPT.forward with targets) in Double over a
/// TrainableGPT's parameters, composed from DoubleOps; with the dropout masks the model's last
/// forward drew, when it used dropout.
struct DoubleGPT {
    let config: GPT2Config
    var params: [String: [Double]]

    struct Masks { var embedding: [Double]; var att: [[Double]], attn: [[Double]], mlp: [[Double]] }

    init(_ m: TrainableGPT) {
        config = m.config
        params = Dictionary(uniqueKeysWithValues: m.parameters.map { p in
            (p.name, (0..<p.count).map { Double(p.values[$0]) })
        })
    }

    /// The mean cross-entropy over the batch.
    func loss(_ batch: TrainingBatch, masks: Masks?) -> Double {
        let B = batch.batch, T = batch.length, N = B * T, C = config.nEmbd, V = config.vocabSize
        let eps = Double(config.layerNormEpsilon)
        func ln(_ x: [Double], _ w: String, _ b: String) -> [Double] {
            DoubleOps.layerNorm(x, params[w]!, params[b], rows: N, channels: C, epsilon: eps)
        }
        func linear(_ x: [Double], _ w: String, _ b: String?, _ i: Int, _ o: Int) -> [Double] {
            DoubleOps.linear(x, params[w]!, b.flatMap { params[$0] }, rows: N, in: i, out: o)
        }
        func times(_ a: [Double], _ m: [Double]?) -> [Double] { m.map { zip(a, $0).map { $0 * $1 } } ?? a }
        func plus(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }

        var x = DoubleOps.embed(ids: batch.inputs, wte: params[TensorName.tokenEmbedding]!,
                                wpe: params[TensorName.positionEmbedding]!, rows: N, length: T, channels: C)
        x = times(x, masks?.embedding)
        for l in 0..<config.nLayer {
            let qkv = linear(ln(x, TensorName.ln1Weight(l), TensorName.ln1Bias(l)), TensorName.qkvWeight(l), TensorName.qkvBias(l), C, 3 * C)
            let y = DoubleOps.attention(qkv, mask: masks?.att[l], batch: B, length: T, channels: C, heads: config.nHead)
            x = plus(x, times(linear(y, TensorName.attnProjWeight(l), TensorName.attnProjBias(l), C, C), masks?.attn[l]))
            let fc = linear(ln(x, TensorName.ln2Weight(l), TensorName.ln2Bias(l)), TensorName.fcWeight(l), TensorName.fcBias(l), C, 4 * C)
            let out = linear(fc.map(DoubleOps.gelu), TensorName.mlpProjWeight(l), TensorName.mlpProjBias(l), 4 * C, C)
            x = plus(x, times(out, masks?.mlp[l]))
        }
        let logits = linear(ln(x, TensorName.finalNormWeight, TensorName.finalNormBias), TensorName.tokenEmbedding, nil, C, V)
        return DoubleOps.crossEntropy(logits, targets: batch.targets, rows: N, vocabulary: V).reduce(0, +) / Double(N)
    }
}

/// The whole TrainableGPT (every op chained, the tied head's two gradient paths, the residual
/// stream, dropout) against central differences of DoubleGPT's loss, on a tiny model with
/// random (not nanoGPT-initialised: larger, so no op sits in a linear regime) weights, through
/// the fast kernels of every kernel set (2 threads) and the Reference ops. The differences are
/// taken once per variant (the weights, batch and dropout masks are the same on every path)
/// at up to 40 elements of each tensor.
///
/// Error per tensor: max |ours - fd| over max(max |fd| of the tensor, 1e-3 of the largest
/// gradient of the model). The floor is for tensors whose true gradient is 0 (the attention
/// key bias: softmax ignores a shift shared by all keys), where ours is f32 rounding noise.
/// Tolerance 2e-5: the f32 forward and backward chain ~30 ops, each good to a few 1e-6 of its
/// scale (FiniteDifferenceTests); measured worst 1.6e-6 over all paths and variants.
@Suite struct WholeModelFiniteDifferenceTests {
    static let tolerance = 2e-5

    enum Variant: String, CaseIterable, Sendable { case bias, noBias, dropout }

    static func model(_ path: OpsPath, _ variant: Variant) throws -> TrainableGPT {
        let config = GPT2Config(nLayer: 2, nHead: 2, nEmbd: 8, nCtx: 8, vocabSize: 11, activation: .geluErf, bias: variant != .noBias)
        let m = try TrainableGPT(config: config, dropout: variant == .dropout ? 0.25 : 0, threads: path.threads,
                                 kernels: try Kernels(path.set ?? .portable), reference: path.set == nil)
        var r = TestRandom(21)
        for p in m.parameters {
            let v: [Double]
            if p.name.contains("ln_") { v = r.floats(p.count, p.name.hasSuffix(".weight") ? 0.7 : -0.2, p.name.hasSuffix(".weight") ? 1.3 : 0.2) }
            else if p.name.hasSuffix(".bias") { v = r.floats(p.count, -0.2, 0.2) }
            else if p.name.hasPrefix("w") { v = r.floats(p.count, -1, 1) }
            else { v = r.floats(p.count, -0.4, 0.4) }
            p.values.update(from: v.floats, count: p.count)
        }
        return m
    }

    /// The dropout masks of the model's last forward pass.
    static func masks(_ m: TrainableGPT) throws -> DoubleGPT.Masks {
        let a = try #require(m.activations)
        let B = a.batch, T = a.length, N = B * T, C = m.config.nEmbd, att = B * m.config.nHead * T * T
        func read(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> [Double] { (0..<n).map { Double(p[$0]) } }
        return DoubleGPT.Masks(embedding: read(a.embeddingMask, N * C), att: a.layers.map { read($0.attMask, att) },
                               attn: a.layers.map { read($0.attnMask, N * C) }, mlp: a.layers.map { read($0.mlpMask, N * C) })
    }

    @Test(arguments: Variant.allCases) func gradientsOfTheMeanLoss(variant: Variant) throws {
        var r = TestRandom(22)
        let B = 2, T = 6, N = B * T
        let batch = TrainingBatch(batch: B, length: T, inputs: (0..<N).map { _ in Int32(r.int(0...10)) },
                                  targets: (0..<N).map { _ in Int32(r.int(0...10)) })
        var expected: (masks: DoubleGPT.Masks?, loss: Double, indices: [String: [Int]], fd: [String: [Double]], largest: Double)?
        for path in OpsPath.all where path.set == nil || path.threads == 2 {
            let m = try Self.model(path, variant)
            m.zeroGradients()
            let loss = try m.forwardBackward(batch, gradientScale: 1, training: true)
            let masks = variant == .dropout ? try Self.masks(m) : nil
            if expected == nil {
                // The differences, once: DoubleGPT over this model's weights and masks.
                if let masks { #expect(masks.att.flatMap { $0 }.contains(0), "no attention weight dropped: the mask is not covered") }
                let reference = DoubleGPT(m)
                var d = reference, indices: [String: [Int]] = [:], fd: [String: [Double]] = [:], largest = 0.0
                for p in m.parameters {
                    let i = r.indices(p.count, limit: 40)
                    indices[p.name] = i
                    fd[p.name] = centralDifferences(reference.params[p.name]!, at: i) { v in
                        d.params[p.name] = v
                        return d.loss(batch, masks: masks)
                    }
                    d.params[p.name] = reference.params[p.name]!
                    largest = max(largest, fd[p.name]!.map(abs).max()!)
                }
                expected = (masks, reference.loss(batch, masks: masks), indices, fd, largest)
            }
            let e = expected!
            if let masks {
                #expect(masks.embedding == e.masks!.embedding && masks.att == e.masks!.att && masks.attn == e.masks!.attn
                        && masks.mlp == e.masks!.mlp, "\(path): dropout masks differ between paths")
            }
            #expect(abs(Double(loss) - e.loss) <= 1e-5 * e.loss, "\(path) \(variant): loss \(loss) vs \(e.loss)")
            var worst = 0.0
            for p in m.parameters {
                let want = e.fd[p.name]!, idx = e.indices[p.name]!
                var err = 0.0, scale = 1e-3 * e.largest
                for (k, i) in idx.enumerated() {
                    err = max(err, abs(Double(p.gradients[i]) - want[k]))
                    scale = max(scale, abs(want[k]))
                }
                worst = max(worst, err / scale)
                #expect(err / scale <= Self.tolerance, "\(path) \(variant): gradient of \(p.name) off by \(err / scale)")
            }
            print("\(path) \(variant): loss \(loss), worst gradient error \(worst)")
        }
    }
}
