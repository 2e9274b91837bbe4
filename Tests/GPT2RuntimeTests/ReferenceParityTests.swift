import Foundation
import Testing
import GPT2Checkpoints
import GPT2Kernels
import GPT2ModelFile
@testable import GPT2Runtime

/// The acceptance test of the runtime: the shared tiny GPT-2 read from each published layout
/// must give what nanoGPT and transformers computed (max |Δlogit| ≤ 1e-4, argmax and greedy
/// continuation identical, losses within 1e-5), on every kernel set this CPU runs. Skips when
/// ../shared is absent.
@Suite(.enabled(if: SharedReference.sets != nil, "../shared/checkpoints/tiny is absent"))
struct ReferenceParityTests {
    /// Directories under checkpoints/tiny, with the activation their own metadata implies
    /// (HF `gelu_new`, OpenAI TF and llm.c: tanh; nanoGPT `nn.GELU()`: erf).
    static let layouts: [(dir: String, set: String)] = [
        ("hf-safetensors", "gpt2"), ("hf-bin", "gpt2"), ("openai-tf", "gpt2"), ("llmc", "gpt2"), ("nanogpt", "nanogpt"),
    ]
    static let period = 13                                           // tiktoken: "." -> 13

    static func open(_ dir: String) throws -> any Checkpoint {
        try CheckpointLoader.open(SharedReference.tinyDirectory! + "/" + dir)
    }

    /// Every reference value of `set` on `model`; `label` names the case in failures.
    static func check(_ model: GPT2Model, set: String, label: String) throws {
        #expect(model.config.vocabSize == 50257, "\(label)")
        for p in SharedReference.sets![set]! {
            let what = "\(label) '\(p.text)'"
            model.reset()
            var argmax: [Int] = [], lse: [Double] = [], last: [Float] = []
            var lossText = 0.0, lossNext = 0.0
            try model.append(p.ids) { i, logits in
                argmax.append(Sampler.argmax(logits))
                let z = Perplexity.logSumExp(logits)
                lse.append(z)
                let target = i + 1 < p.ids.count ? p.ids[i + 1] : period
                lossNext += z - Double(logits[target])
                if i + 1 < p.ids.count { lossText += z - Double(logits[target]) }
                if i == p.ids.count - 1 { last = Array(logits) }
            }
            lossText /= Double(p.ids.count - 1)
            lossNext /= Double(p.ids.count)
            let dLogit = zip(last, p.lastLogits).map { abs($0 - $1) }.max()!
            #expect(dLogit <= 1e-4, "\(what): max |Δlogit| \(dLogit)")
            #expect(argmax == p.argmax, "\(what)")
            let dLse = zip(lse, p.logSumExp).map { abs($0 - $1) }.max()!
            #expect(dLse <= 1e-4, "\(what): logsumexp Δ \(dLse)")
            #expect(abs(lossText - p.lossText) <= 1e-5, "\(what): loss_text \(lossText) vs \(p.lossText)")
            #expect(abs(lossNext - p.lossNextToken) <= 1e-5, "\(what): loss_next_token \(lossNext) vs \(p.lossNextToken)")
            // the perplexity command's number on the prompt text is loss_text
            if p.ids == SharedReference.sets![set]![0].ids {         // one prompt is enough
                let ppl = try Perplexity.evaluate(model: model, tokens: p.ids)
                #expect(abs(ppl.meanLoss - p.lossText) <= 1e-5, "\(what)")
            }
            // last-position logits through the matrix-vector head
            model.reset()
            let lastOnly = try model.append(p.ids)
            #expect(zip(lastOnly, p.lastLogits).map { abs($0 - $1) }.max()! <= 1e-4, "\(what)")
            // 20 greedy tokens through the KV cache
            var sampler = try Sampler(options: SamplingOptions(temperature: 0))
            var greedy: [Int] = []
            try Generator(model: model).generate(
                prompt: p.ids, options: GenerationOptions(maxNewTokens: 20, sampling: sampler.options),
                sampler: &sampler) { greedy.append($0) }
            #expect(greedy == p.greedy20, "\(what)")
        }
    }

    /// Each layout read in memory (`Checkpoint.load`) with its own activation, and two of them
    /// with the other one too: the reference computed both sets on the same weights. (Every
    /// case costs seconds in a debug build, so not all ten pairs.)
    static let inMemoryCases = layouts.map { [$0.dir, $0.set] } + [["hf-safetensors", "nanogpt"], ["nanogpt", "gpt2"]]

    @Test(arguments: inMemoryCases, KernelSet.supported)
    func checkpointInMemory(_ c: [String], kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        let (layout, set) = (c[0], c[1])
        let ckpt = try Self.open(layout)
        var config = ckpt.config
        config.activation = SharedReference.activation(set)
        let model = try GPT2Model(weights: try GPT2Weights(config: config, kernels: K, load: ckpt.load), kernels: K)
        try Self.check(model, set: set, label: "\(layout)/\(set) \(K.description)")
    }

    /// Each layout converted to an f32 model file (the converter carries the activation),
    /// loaded from the mapping, run on 2 threads (the in-memory cases run on 1).
    @Test(arguments: layouts.map(\.dir), KernelSet.supported)
    func convertedModelFile(layout: String, kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        let set = Self.layouts.first { $0.dir == layout }!.set
        let ckpt = try Self.open(layout)
        let path = NSTemporaryDirectory() + "gpt2kit-parity-\(getpid())-\(layout)-\(kernels).gpt2"
        defer { unlink(path) }
        _ = try Converter.convert(ckpt, to: path, options: ConvertOptions(dtype: .f32))
        let weights = try GPT2Weights(path: path, kernels: K)
        #expect(weights.config.activation == SharedReference.activation(set))
        try Self.check(try GPT2Model(weights: weights, threads: 2, kernels: K), set: set, label: "\(layout) file \(K.description)")
    }

    /// f16, bf16 and q8_0 model files (converted from hf-safetensors) against the f32
    /// reference logits. This model's logits are all within ~0.01 of each other
    /// (near-uniform), so absolute errors are small; measured worst |Δlogit|: f16 1.1e-4,
    /// bf16 1.1e-3, q8_0 3.0e-4 (the converter keeps n_embd-16-wide matrices f32 for q8_0:
    /// only mlp.proj is quantized). Bounds are those rounded up by ~3×. Argmax must still agree
    /// where the f32 reference's top two logits are not closer than the bound.
    @Test(arguments: [ElementType.f16, .bf16, .q8_0], KernelSet.supported)
    func encodedModelFilesNearReference(_ type: ElementType, kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        let tolerance: Float = [.f16: 3e-4, .bf16: 3e-3, .q8_0: 1e-3][type]!
        let path = NSTemporaryDirectory() + "gpt2kit-parity-\(getpid())-\(type)-\(kernels).gpt2"
        defer { unlink(path) }
        _ = try Converter.convert(try Self.open("hf-safetensors"), to: path, options: ConvertOptions(dtype: type))
        let file = try ModelFile(path: path)
        #expect(file.info(TensorName.mlpProjWeight(0))?.type == type)
        let model = try GPT2Model(weights: try GPT2Weights(modelFile: file, kernels: K), kernels: K)
        for p in SharedReference.sets!["gpt2"]! {
            model.reset()
            let last = try model.append(p.ids)
            let d = zip(last, p.lastLogits).map { abs($0 - $1) }.max()!
            #expect(d <= tolerance, "\(type) \(K.description) '\(p.text)': max |Δlogit| \(d)")
            let sorted = p.lastLogits.sorted(by: >)
            if sorted[0] - sorted[1] > 2 * tolerance {
                #expect(Sampler.argmax(last.withUnsafeBufferPointer { $0 }) == p.argmax.last!)
            }
        }
    }
}
