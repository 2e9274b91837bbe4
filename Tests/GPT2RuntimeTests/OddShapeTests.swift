import Foundation
import Testing
import GPT2ModelFile
import GPT2Kernels
@testable import GPT2Runtime

/// Shapes the fixtures do not have (n_embd not a multiple of 16 or 32, head size 1, one head
/// per channel): the kernels' tail loops must agree between the batch (matrix-matrix) and the
/// cached (matrix-vector) paths, and nothing may trap.
@Suite struct OddShapeTests {
    static func randomWeights(_ c: GPT2Config, seed: UInt64) throws -> GPT2Weights {
        var rng = RandomSource(seed: seed)
        return try GPT2Weights(config: c) { name in
            let shape = TensorName.gpt2Tensors(c).first { $0.name == name }!.shape
            let n = shape.reduce(1, *)
            let isGain = name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name == "ln_f.weight"
            let v = (0..<n).map { _ in Float(rng.nextUnit() - 0.5) + (isGain ? 1 : 0) }
            return TensorData(name: name, shape: shape, type: .f32, bytes: v.withUnsafeBytes { Array($0) })
        }
    }

    @Test(arguments: [[1, 1], [3, 1], [5, 5], [24, 3], [33, 3], [40, 8], [48, 2]], KernelSet.supported)
    func batchAndCacheAgree(_ shape: [Int], kernels: KernelSet) throws {
        let (nEmbd, nHead) = (shape[0], shape[1])
        let K = try Kernels(kernels)
        for (bias, act) in [(true, GPT2Config.Activation.geluErf), (false, .geluTanh)] {
            let c = GPT2Config(nLayer: 2, nHead: nHead, nEmbd: nEmbd, nCtx: 9, vocabSize: 7,
                               activation: act, bias: bias, tiedHead: bias)
            let w = try Self.randomWeights(c, seed: UInt64(nEmbd * 100 + nHead))
            // Both cache types (tail loops of the f16 loads too).
            for (threads, kv) in [(1, KVCacheType.f32), (2, .f32), (1, .f16), (2, .f16)] {
                let m = try GPT2Model(weights: w, threads: threads, kvCache: kv, kernels: K)
                let ids = [1, 6, 0, 3, 3, 5, 2, 4, 1]
                var batch: [[Float]] = []
                try m.append(ids) { _, l in batch.append(Array(l)) }
                #expect(batch.allSatisfy { $0.allSatisfy(\.isFinite) })
                m.reset()
                var worst: Float = 0
                for (i, id) in ids.enumerated() {
                    for (a, b) in zip(Array(try m.appendOne(id)), batch[i]) { worst = max(worst, abs(a - b)) }
                }
                // f16: the batch's and the vector path's k/v differ by summation order (~1e-6),
                // which can round to neighbouring f16 values; worst measured 1.7e-4, bound 1e-3.
                #expect(worst <= (kv == .f16 ? 1e-3 : 1e-4), "\(K.description) n_embd \(nEmbd) n_head \(nHead) bias \(bias) threads \(threads) \(kv): \(worst)")
            }
        }
    }
}
