import GPT2Kernels
import GPT2ModelFile
import GPT2Runtime

/// A GPT-2 in training: nanoGPT's model (pre-LayerNorm blocks, causal self-attention, erf GELU
/// MLP, tied head, optional biases, dropout after the embeddings, on the attention weights and
/// after both residual projections), its forward pass keeping activations, and the backward
/// pass of every op (TrainableGPT+Backward.swift). Parameters carry the model file's canonical
/// names and layouts (`TensorName.gpt2Tensors`), so they can be written as a model file as is.
public final class TrainableGPT: TrainableModel {
    /// The model's hyperparameters.
    public let config: GPT2Config
    /// "gpt2", the model file's architecture.
    public var architecture: String { "gpt2" }
    /// Every trainable tensor under its canonical name.
    public let parameters: [TrainableParameter]
    /// Dropout probability applied in training passes (0 disables it).
    public let dropout: Float
    /// The state of the dropout masks' generator (saved in resume state): each dropout call
    /// takes one value from it.
    public var dropoutRandomState: UInt64

    let ops: TrainingOps
    let kernels: Kernels
    let pool: ThreadPool?
    private let values: UnsafeMutablePointer<Float>
    private let gradients: UnsafeMutablePointer<Float>
    let total: Int
    /// Parameter index by canonical name.
    let index: [String: Int]
    var activations: GPTActivations?

    /// A fresh model with nanoGPT's initialisation: weights of linear layers and embeddings
    /// normal(0, 0.02), the residual projections (attn.proj, mlp.proj) normal(0, 0.02/√(2·n_layer)),
    /// biases 0, LayerNorm weights 1. The GELU is always the erf form (`config.activation` is
    /// set to it).
    public convenience init(config: GPT2Config, dropout: Float, seed: UInt64, threads: Int, kernels: Kernels = .selected) throws {
        try self.init(config: config, dropout: dropout, threads: threads, kernels: kernels, reference: false)
        var rng = RandomSource(seed: seed)
        let projStd = 0.02 / Float(2 * config.nLayer).squareRoot()
        for p in parameters {
            let name = p.name
            if name.hasSuffix(".bias") {
                p.values.update(repeating: 0, count: p.count)
            } else if name.contains("ln_") {
                p.values.update(repeating: 1, count: p.count)
            } else {
                let std: Float = name.hasSuffix("attn.proj.weight") || name.hasSuffix("mlp.proj.weight") ? projStd : 0.02
                TrainableGPT.fillNormal(p.values, count: p.count, std: std, rng: &rng)
            }
        }
    }

    /// Normal(0, std) by Box-Muller over the runtime's seeded generator.
    static func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, std: Float, rng: inout RandomSource) {
        var i = 0
        while i < count {
            let u1 = max(rng.nextUnit(), 0x1p-60), u2 = rng.nextUnit()
            let r = (-2 * _log(u1)).squareRoot()
            p[i] = Float(r * _cos(2 * Double.pi * u2)) * std
            if i + 1 < count { p[i + 1] = Float(r * _sin(2 * Double.pi * u2)) * std }
            i += 2
        }
    }

    /// Storage for `config` with every value 0; `reference` runs the naive ops (tests).
    init(config input: GPT2Config, dropout: Float, threads: Int, kernels: Kernels, reference: Bool) throws {
        var config = input
        config.activation = .geluErf
        do { try config.validate() } catch {
            throw TrainingModelError("invalid model configuration: \(error)", hint: "n_embd must be a multiple of n_head; sizes must be positive")
        }
        guard dropout >= 0, dropout < 1 else {
            throw TrainingModelError("dropout \(dropout) is not in [0, 1)", hint: "use e.g. 0.0 (no dropout) or 0.2")
        }
        guard threads >= 1 else { throw TrainingModelError("threads \(threads) is not at least 1", hint: "use -t 1 or more") }
        self.config = config
        self.dropout = dropout
        self.kernels = kernels
        dropoutRandomState = 0
        let pool = threads > 1 ? ThreadPool(threads: threads) : nil
        self.pool = pool
        ops = reference ? ReferenceTrainingOps() : FastTrainingOps(k: kernels, pool: pool)
        let tensors = TensorName.gpt2Tensors(config)
        var counts: [Int] = []
        var sum = 0
        for t in tensors {
            var n = 1
            for d in t.shape {
                let (m, o) = n.multipliedReportingOverflow(by: d)
                guard !o else { throw TrainingModelError("tensor \(t.name) is too large", hint: "use a smaller model") }
                n = m
            }
            counts.append(n)
            let (s, o) = sum.addingReportingOverflow(n)
            guard !o, s < Int(Int32.max) * 16 else { throw TrainingModelError("the model is too large to train", hint: "use a smaller model") }
            sum = s
        }
        total = sum
        // 64-byte aligned: the kernels' vector loads of weight and gradient rows stay within
        // cache lines.
        func buffer() -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(sum, 1) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(sum, 1))
            p.initialize(repeating: 0, count: max(sum, 1))
            return p
        }
        values = buffer()
        gradients = buffer()
        var params: [TrainableParameter] = []
        var idx: [String: Int] = [:]
        var at = 0
        for (i, t) in tensors.enumerated() {
            idx[t.name] = i
            params.append(TrainableParameter(name: t.name, shape: t.shape, values: values + at, gradients: gradients + at, count: counts[i]))
            at += counts[i]
        }
        parameters = params
        index = idx
    }

    deinit {
        UnsafeMutableRawPointer(values).deallocate()
        UnsafeMutableRawPointer(gradients).deallocate()
    }

    /// Sets every gradient to zero (before a step's first micro-batch).
    public func zeroGradients() { gradients.update(repeating: 0, count: total) }

    /// Peak bytes the kernels allocate for the length of one op (beside the activations): the
    /// largest of a linear layer's weight tiles (the head's: vocabulary × n_embd), dW's blocks
    /// and the attention's scratch, for `threads` threads on `kernels`.
    public static func scratchBytes(config c: GPT2Config, batch: Int, length T: Int, threads: Int, kernels: Kernels) -> Int {
        let C = c.nEmbd, N = batch * T, HS = C / max(c.nHead, 1), pairs = batch * c.nHead
        var most = max(Kernels.attentionScratch(pairs, T, HS), Kernels.attentionBackwardScratch(min(threads, pairs), T, HS))
        for (out, inp) in [(3 * C, C), (C, C), (4 * C, C), (C, 4 * C), (c.vocabSize, C)] {
            most = max(most, kernels.linearForwardScratch(in: inp, out: out), kernels.linearBackwardScratch(rows: N, in: inp, out: out))
        }
        return most * 4
    }

    /// Bytes of the activations (and backward scratch) a batch of `batch` × `length` keeps,
    /// with dropout masks (the larger case).
    public static func activationBytes(config: GPT2Config, batch: Int, length: Int) -> Int {
        let shape = GPT2ConfigShape(nLayer: config.nLayer, nHead: config.nHead, nEmbd: config.nEmbd, vocabSize: config.vocabSize)
        return GPTActivations.floatCount(config: shape, batch: batch, length: length, dropout: true) * 4
    }

    func value(_ name: String) -> UnsafeMutablePointer<Float> { parameters[index[name]!].values }
    func gradient(_ name: String) -> UnsafeMutablePointer<Float> { parameters[index[name]!].gradients }
    func optionalValue(_ name: String) -> UnsafeMutablePointer<Float>? { index[name].map { parameters[$0].values } }
    func optionalGradient(_ name: String) -> UnsafeMutablePointer<Float>? { index[name].map { parameters[$0].gradients } }

    /// The output head: the token embedding when tied.
    var headName: String { config.tiedHead ? TensorName.tokenEmbedding : TensorName.head }

    /// Checks a batch against the model before any work.
    func check(_ batch: TrainingBatch) throws {
        guard batch.batch >= 1, batch.length >= 1 else {
            throw TrainingModelError("empty batch (\(batch.batch) x \(batch.length))", hint: "use a batch size and block size of at least 1")
        }
        guard batch.length <= config.nCtx else {
            throw TrainingModelError("block size \(batch.length) is above the model's context \(config.nCtx)",
                                     hint: "use a block size of at most \(config.nCtx)")
        }
        try batch.checkIDs(vocabularySize: config.vocabSize)
    }

    func activations(for batch: TrainingBatch) -> GPTActivations {
        if let a = activations, a.batch == batch.batch, a.length == batch.length { return a }
        activations = nil
        let shape = GPT2ConfigShape(nLayer: config.nLayer, nHead: config.nHead, nEmbd: config.nEmbd, vocabSize: config.vocabSize)
        let a = GPTActivations(config: shape, batch: batch.batch, length: batch.length, dropout: dropout > 0)
        activations = a
        return a
    }

    /// The next dropout seed.
    func nextDropoutSeed() -> UInt64 {
        dropoutRandomState &+= 0x9E37_79B9_7F4A_7C15
        var z = dropoutRandomState
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Forward and backward pass: adds the gradients of the batch's mean loss times
    /// `gradientScale`, returns that loss. `training` enables dropout.
    public func forwardBackward(_ batch: TrainingBatch, gradientScale: Float, training: Bool) throws -> Float {
        try check(batch)
        let a = activations(for: batch)
        let useDropout = training && dropout > 0
        let loss = forward(batch, a, dropout: useDropout, scale: gradientScale / Float(batch.batch * batch.length))
        backward(batch, a, dropout: useDropout)
        return loss
    }

    /// Mean cross-entropy of the batch (forward only, no dropout).
    public func loss(_ batch: TrainingBatch) throws -> Float {
        try check(batch)
        return forward(batch, activations(for: batch), dropout: false, scale: 0)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#endif
