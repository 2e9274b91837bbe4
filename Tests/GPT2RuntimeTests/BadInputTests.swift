import Foundation
import Testing
import GPT2Kernels
import GPT2ModelFile
@testable import GPT2Runtime

/// Every error the runtime reports, fed the bad input that causes it.
@Suite struct BadInputTests {
    static func variant() throws -> FixtureModels.Variant { try FixtureModels.variant("bias_erf") }

    static func weights(_ v: FixtureModels.Variant, config: GPT2Config? = nil,
                        edit: (inout [String: TensorData]) -> Void = { _ in }) throws -> GPT2Weights {
        var t = v.tensors
        edit(&t)
        return try GPT2Weights(config: config ?? v.config) { name in
            guard let x = t[name] else { throw RuntimeError.missingTensor(name) }
            return x
        }
    }

    @Test func missingTensor() throws {
        let v = try Self.variant()
        #expect(throws: RuntimeError.missingTensor("h.1.mlp.fc.bias")) {
            try Self.weights(v) { $0["h.1.mlp.fc.bias"] = nil }
        }
    }

    @Test func wrongShape() throws {
        let v = try Self.variant()
        #expect(throws: RuntimeError.shapeMismatch(name: "h.0.attn.qkv.weight", expected: [96, 32], found: [32, 96])) {
            try Self.weights(v) { $0["h.0.attn.qkv.weight"]!.shape = [32, 96] }
        }
    }

    @Test func truncatedTensorBytes() throws {
        let v = try Self.variant()
        #expect(throws: RuntimeError.sizeMismatch(name: "wpe.weight", expectedBytes: 12 * 32 * 4, foundBytes: 100)) {
            try Self.weights(v) { $0["wpe.weight"]!.bytes = Array($0["wpe.weight"]!.bytes.prefix(100)) }
        }
    }

    @Test func configThatDoesNotMatchTheTensors() throws {
        let v = try Self.variant()
        var c = v.config
        c.bias = false                     // the file has biases the config does not expect: fine,
        _ = try Self.weights(v, config: c) // extra tensors are ignored; but a missing one is not:
        c.bias = true; c.tiedHead = false
        #expect(throws: RuntimeError.missingTensor("lm_head.weight")) { try Self.weights(v, config: c) }
    }

    @Test(arguments: [
        (GPT2Config(nLayer: 2, nHead: 5, nEmbd: 32, nCtx: 12, vocabSize: 50), "not a multiple of n_head"),
        (GPT2Config(nLayer: 0, nHead: 4, nEmbd: 32, nCtx: 12, vocabSize: 50), "n_layer 0"),
        (GPT2Config(nLayer: 2, nHead: 4, nEmbd: 32, nCtx: -1, vocabSize: 50), "n_ctx -1"),
        (GPT2Config(nLayer: 2, nHead: 4, nEmbd: 32, nCtx: 12, vocabSize: 0), "vocab_size 0"),
        (GPT2Config(nLayer: 4096, nHead: 1, nEmbd: 65536, nCtx: 1 << 20, vocabSize: 50), "too large"),
        (GPT2Config(nLayer: 2, nHead: 4, nEmbd: 32, nCtx: 12, vocabSize: 50, layerNormEpsilon: .nan), "epsilon"),
    ])
    func invalidConfig(_ c: GPT2Config, _ message: String) throws {
        let v = try Self.variant()
        do {
            _ = try Self.weights(v, config: c)
            Issue.record("accepted \(c)")
        } catch let e as RuntimeError {
            guard case .invalidConfig(let m) = e else { Issue.record("wrong error \(e)"); return }
            #expect(m.contains(message), "\(m)")
        }
    }

    @Test func q8_0NeedsWholeBlocksPerRow() throws {
        // n_embd 16: qkv [48, 16] has 768 elements (24 whole blocks) but rows of half a block.
        let c = GPT2Config(nLayer: 1, nHead: 1, nEmbd: 16, nCtx: 2, vocabSize: 2, bias: false)
        #expect(throws: RuntimeError.unsupportedType(name: "h.0.attn.qkv.weight", type: "q8_0 with 16 columns")) {
            try GPT2Weights(config: c) { name in
                let shape = TensorName.gpt2Tensors(c).first { $0.name == name }!.shape
                let n = shape.reduce(1, *)
                let t = TensorData(name: name, shape: shape, type: .f32, bytes: [UInt8](repeating: 0, count: 4 * n))
                return name == "h.0.attn.qkv.weight" ? FixtureModels.encode(t, as: .q8_0) : t
            }
        }
    }

    /// A config whose KV cache cannot exist (2 · 16 · 65536 · 65536 floats = 512 GiB): a typed
    /// error from `GPT2Model.init`, not a trap. The tensors are never read, so they are
    /// borrowed from a fake address with the right byte counts.
    @Test func kvCacheTooLargeForThisMachine() throws {
        let c = GPT2Config(nLayer: 16, nHead: 1, nEmbd: 65536, nCtx: 65536, vocabSize: 2)
        let fake = UnsafeRawPointer(bitPattern: 0x1000)!
        let shapes = Dictionary(uniqueKeysWithValues: TensorName.gpt2Tensors(c).map { ($0.name, $0.shape) })
        let w = try GPT2Weights(config: c, keepAlive: nil) { name in
            let shape = shapes[name]!
            return .borrowed(shape: shape, type: .f32,
                             bytes: UnsafeRawBufferPointer(start: fake, count: 4 * shape.reduce(1, *)))
        }
        do {
            _ = try GPT2Model(weights: w)
            Issue.record("a 512 GiB KV cache was allocated")
        } catch let e as RuntimeError {
            guard case .outOfMemory(let what, let bytes) = e else { Issue.record("\(e)"); return }
            #expect(what == "the KV cache")
            #expect(bytes == 2 * 16 * 65536 * 65536 * 4)     // keys and values, one mapping
        }
    }

    /// q8_0 weights whose packed copy cannot exist (12 · 65536² q8_0 weights of one layer:
    /// ~55 GB): a typed error from the load, before any weight is read (the tensors are
    /// borrowed from a fake address). Only where packing happens (AVX-512 VNNI).
    @Test(.enabled(if: Kernels.selected.packsQ8, "the kernel set has no AVX-512 VNNI: nothing is packed"))
    func packedQ8CopyTooLargeForThisMachine() throws {
        let c = GPT2Config(nLayer: 1, nHead: 1, nEmbd: 65536, nCtx: 16, vocabSize: 2)
        let fake = UnsafeRawPointer(bitPattern: 0x1000)!
        let shapes = Dictionary(uniqueKeysWithValues: TensorName.gpt2Tensors(c).map { ($0.name, $0.shape) })
        do {
            _ = try GPT2Weights(config: c, keepAlive: nil) { name in
                let shape = shapes[name]!, n = shape.reduce(1, *)
                let q8 = shape.count == 2 && name != TensorName.positionEmbedding
                let type: ElementType = q8 ? .q8_0 : .f32
                return .borrowed(shape: shape, type: type,
                                 bytes: UnsafeRawBufferPointer(start: fake, count: type.byteCount(elements: n)!))
            }
            Issue.record("a ~55 GB packed copy was allocated")
        } catch let e as RuntimeError {
            guard case .outOfMemory(let what, let bytes) = e else { Issue.record("\(e)"); return }
            #expect(what == "the packed q8_0 weights")
            #expect(bytes > 50_000_000_000)
        }
    }

    @Test func promptLongerThanTheContext() throws {
        let v = try Self.variant()
        let model = try GPT2Model(weights: try FixtureModels.weights(v))
        var s = try Sampler(options: SamplingOptions(temperature: 0))
        let long = Array(repeating: 1, count: 13)
        #expect(throws: RuntimeError.promptTooLong(tokens: 13, nCtx: 12)) {
            try Generator(model: model).generate(prompt: long, options: GenerationOptions(maxNewTokens: 1), sampler: &s) { _ in }
        }
        #expect(throws: RuntimeError.promptTooLong(tokens: 13, nCtx: 12)) { try model.append(long) }
        #expect(RuntimeError.promptTooLong(tokens: 13, nCtx: 12).description.contains("longer than the model's context of 12"))
        // the cache never overflows: 12 then 1 more is the same error
        model.reset()
        try model.append(Array(repeating: 1, count: 12))
        #expect(throws: RuntimeError.promptTooLong(tokens: 13, nCtx: 12)) { try model.append([1]) }
    }

    @Test func emptyPromptAndNegativeCount() throws {
        let v = try Self.variant()
        let model = try GPT2Model(weights: try FixtureModels.weights(v))
        var s = try Sampler(options: SamplingOptions(temperature: 0))
        let g = Generator(model: model)
        #expect(throws: RuntimeError.emptyPrompt) {
            try g.generate(prompt: [], options: GenerationOptions(maxNewTokens: 1), sampler: &s) { _ in }
        }
        #expect(throws: RuntimeError.self) {
            try g.generate(prompt: [1], options: GenerationOptions(maxNewTokens: -1), sampler: &s) { _ in }
        }
        // n = 0 is fine: nothing generated
        let stats = try g.generate(prompt: [1], options: GenerationOptions(maxNewTokens: 0), sampler: &s) { _ in
            Issue.record("emitted a token with n = 0")
        }
        #expect(stats.generatedTokens == 0)
    }

    @Test func tokenIdsOutsideTheVocabulary() throws {
        let v = try Self.variant()
        let model = try GPT2Model(weights: try FixtureModels.weights(v))
        #expect(throws: RuntimeError.tokenOutOfRange(id: 50, vocabSize: 50)) { try model.append([1, 50]) }
        #expect(throws: RuntimeError.tokenOutOfRange(id: -1, vocabSize: 50)) { try model.append([-1]) }
        #expect(model.count == 0)
    }

    @Test(arguments: [Float(0), -0.5, 1.0001, .nan])
    func topPOutsideItsRange(_ p: Float) {
        #expect(throws: RuntimeError.self) { try Sampler(options: SamplingOptions(topP: p)) }
    }

    @Test func otherSamplingOptions() {
        #expect(throws: RuntimeError.self) { try Sampler(options: SamplingOptions(temperature: -1)) }
        #expect(throws: RuntimeError.self) { try Sampler(options: SamplingOptions(temperature: .infinity)) }
        #expect(throws: RuntimeError.self) { try Sampler(options: SamplingOptions(topK: -3)) }
    }

    @Test func threadCount() throws {
        let v = try Self.variant()
        #expect(throws: RuntimeError.self) { try GPT2Model(weights: try FixtureModels.weights(v), threads: 0) }
    }

    @Test func perplexityNeedsTwoTokens() throws {
        let v = try Self.variant()
        let model = try GPT2Model(weights: try FixtureModels.weights(v))
        #expect(throws: RuntimeError.textTooShort(tokens: 1)) { try Perplexity.evaluate(model: model, tokens: [3]) }
    }
}
