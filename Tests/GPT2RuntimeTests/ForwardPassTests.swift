import Foundation
import Testing
import GPT2Kernels
import GPT2ModelFile
@testable import GPT2Runtime

/// Parity with PyTorch (nanoGPT's model, float64) on the tiny fixture models: with and without
/// biases, erf and tanh GELU, tied and untied heads, two LayerNorm epsilons; on every kernel set
/// this CPU runs.
@Suite struct ForwardPassTests {
    /// Logits of every position of `ids` from one batch forward pass.
    static func allLogits(_ model: GPT2Model, _ ids: [Int]) throws -> [[Float]] {
        var rows: [[Float]] = []
        model.reset()
        try model.append(ids) { _, l in rows.append(Array(l)) }
        return rows
    }

    static func maxDiff(_ a: [[Float]], _ b: [[Double]]) -> Double {
        var m = 0.0
        for (ra, rb) in zip(a, b) { for (x, y) in zip(ra, rb) { m = max(m, abs(Double(x) - y)) } }
        return m
    }

    @Test(arguments: FixtureModels.names, KernelSet.supported)
    func logitsMatchTorch(_ name: String, kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        let v = try FixtureModels.variant(name)
        let model = try GPT2Model(weights: try FixtureModels.weights(v, kernels: K), kernels: K)
        let rows = try Self.allLogits(model, v.ids)
        #expect(rows.count == v.ids.count)
        #expect(rows.allSatisfy { $0.count == v.config.vocabSize })
        let d = Self.maxDiff(rows, v.logits)
        #expect(d <= 1e-4, "max |Δlogit| \(d)")
        // last-position logits from `append` (a matrix-vector head) equal the batch's last row
        // (a matrix-matrix head) up to summation order
        model.reset()
        let last = try model.append(v.ids)
        #expect(Self.maxDiff([last], [rows.last!.map(Double.init)]) <= 1e-5)
    }

    @Test(arguments: FixtureModels.names, KernelSet.supported)
    func lossMatchesTorch(_ name: String, kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        let v = try FixtureModels.variant(name)
        let model = try GPT2Model(weights: try FixtureModels.weights(v, kernels: K), kernels: K)
        let r = try Perplexity.evaluate(model: model, tokens: v.ids)
        #expect(r.predictedTokens == v.ids.count - 1)
        #expect(r.windows == 1)
        #expect(abs(r.meanLoss - v.lossText) <= 1e-5, "loss \(r.meanLoss) vs \(v.lossText)")
    }

    /// nanoGPT's generate crops to block_size: 5 prompt tokens + 20 new in a 12-token context
    /// slides the window 13 times.
    @Test(arguments: FixtureModels.names, KernelSet.supported)
    func greedyContinuationMatchesTorchAcrossTheWindow(_ name: String, kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        let v = try FixtureModels.variant(name)
        let model = try GPT2Model(weights: try FixtureModels.weights(v, kernels: K), kernels: K)
        var sampler = try Sampler(options: SamplingOptions(temperature: 0))
        var got: [Int] = []
        let stats = try Generator(model: model).generate(
            prompt: v.greedyPrompt, options: GenerationOptions(maxNewTokens: 20, sampling: sampler.options),
            sampler: &sampler) { got.append($0) }
        #expect(got == v.greedy20)
        #expect(stats.generatedTokens == 20)
        #expect(stats.decodeSteps == 19)
    }

    /// Appending one token at a time through the KV cache gives the logits of a full recompute.
    @Test(arguments: FixtureModels.names, KernelSet.supported)
    func kvCacheMatchesFullRecompute(_ name: String, kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        let v = try FixtureModels.variant(name)
        let model = try GPT2Model(weights: try FixtureModels.weights(v, kernels: K), kernels: K)
        let full = try Self.allLogits(model, v.ids)
        model.reset()
        try model.append(Array(v.ids[0..<3]))                 // a prompt batch, then single steps
        var worst: Float = 0
        for i in 3..<v.ids.count {
            let step = Array(try model.appendOne(v.ids[i]))
            for (a, b) in zip(step, full[i]) { worst = max(worst, abs(a - b)) }
        }
        #expect(worst <= 1e-5, "cache vs recompute \(worst)")
        #expect(model.count == v.ids.count)
        // truncate keeps the prefix: re-appending the tail reproduces the same logits
        try model.truncate(to: 6)
        #expect(throws: RuntimeError.self) { try model.truncate(to: 7) }
        let again = try model.append(Array(v.ids[6...]))
        #expect(Self.maxDiff([again], [full.last!.map(Double.init)]) <= 1e-5)
    }

    /// f16, bf16 and q8_0 matrices against the exact logits. The fixtures' logits reach ~11
    /// and their random weights (std 0.35–0.6, LayerNorm gains ~1) amplify rounding; measured
    /// worst |Δlogit| over the three variants: f16 0.014, bf16 0.13, q8_0 0.66. Tolerances are
    /// those rounded up by ~1.5–3× (q8_0: 8-bit weights, ~0.4 % relative error per weight).
    @Test(arguments: [ElementType.f16, .bf16, .q8_0], KernelSet.supported)
    func encodedWeightsStayCloseToF32(_ type: ElementType, kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        let tolerance = [ElementType.f16: 0.05, .bf16: 0.3, .q8_0: 1.0][type]!
        for name in FixtureModels.names {
            let v = try FixtureModels.variant(name)
            let model = try GPT2Model(weights: try FixtureModels.weights(v, kernels: K, as: type), kernels: K)
            let rows = try Self.allLogits(model, v.ids)
            let d = Self.maxDiff(rows, v.logits)
            #expect(d <= tolerance, "\(name) \(type) \(K.description): max |Δlogit| \(d)")
            #expect(d > 0, "\(type) weights should not be bit-identical to f32")
        }
    }

    /// The KV cache type follows the weights unless asked (f32 weights: exact f32 cache); an f16
    /// cache against the exact logits: measured worst |Δlogit| 0.0045-0.0066 on the fixtures (f16
    /// weights alone: 0.014), tolerance 0.02. Token by token, so the cache is what every position reads.
    @Test(arguments: KernelSet.supported)
    func f16KVCacheStaysCloseToTorch(kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        for name in FixtureModels.names {
            let v = try FixtureModels.variant(name)
            let w32 = try FixtureModels.weights(v, kernels: K)
            #expect(try GPT2Model(weights: w32, kernels: K).kvCacheType == .f32)
            #expect(try GPT2Model(weights: try FixtureModels.weights(v, kernels: K, as: .f16), kernels: K).kvCacheType == .f16)
            #expect(try GPT2Model(weights: try FixtureModels.weights(v, kernels: K, as: .q8_0), kernels: K).kvCacheType == .f16)
            #expect(try GPT2Model(weights: try FixtureModels.weights(v, kernels: K, as: .bf16), kernels: K).kvCacheType == .f32)
            let model = try GPT2Model(weights: w32, kvCache: .f16, kernels: K)
            #expect(model.kvCacheType == .f16)
            var rows: [[Float]] = []
            for id in v.ids { rows.append(try model.append([id])) }
            let d = Self.maxDiff(rows, v.logits)
            #expect(d <= 0.02, "\(name): max |Δlogit| \(d)")
            #expect(d > 1e-6, "an f16 cache should not be bit-identical to f32")
        }
    }

    @Test(arguments: KernelSet.supported)
    func twoThreadsGiveTheSameLogits(kernels: KernelSet) throws {
        let K = try Kernels(kernels)
        for name in FixtureModels.names {
            let v = try FixtureModels.variant(name)
            let w = try FixtureModels.weights(v, kernels: K)
            let one = try Self.allLogits(try GPT2Model(weights: w, threads: 1, kernels: K), v.ids)
            let two = try Self.allLogits(try GPT2Model(weights: w, threads: 2, kernels: K), v.ids)
            #expect(Self.maxDiff(two, one.map { $0.map(Double.init) }) <= 1e-5)
        }
    }
}
