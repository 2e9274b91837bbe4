import GPT2ModelFile

/// Sanity limits on hyperparameters read from files, so every size computed from them
/// (`vocab × n_embd × 4`, `n_layer × 12 n_embd²`) is far from overflow and an absurd value is
/// reported instead of allocated. GPT-2 XL is 48 × 1600 × 1024 × 50257.
enum ConfigChecks {
    static let maxLayers = 4096
    static let maxEmbd = 1 << 16
    static let maxHeads = 1 << 12
    static let maxContext = 1 << 22
    static let maxVocab = 1 << 24

    static func validate(_ c: GPT2Config, file: String) throws {
        func bad(_ what: String, _ v: Int, _ limit: Int) -> CheckpointError {
            CheckpointError(.badConfig, file: file, "\(what) = \(v) is outside 1...\(limit)",
                            hint: "the hyperparameters are corrupt or not a GPT-2 model")
        }
        if !(1...maxLayers).contains(c.nLayer) { throw bad("n_layer", c.nLayer, maxLayers) }
        if !(1...maxEmbd).contains(c.nEmbd) { throw bad("n_embd", c.nEmbd, maxEmbd) }
        if !(1...maxHeads).contains(c.nHead) { throw bad("n_head", c.nHead, maxHeads) }
        if !(1...maxContext).contains(c.nCtx) { throw bad("n_ctx", c.nCtx, maxContext) }
        if !(1...maxVocab).contains(c.vocabSize) { throw bad("vocab_size", c.vocabSize, maxVocab) }
        if !(c.vocabSize...maxVocab).contains(c.paddedVocabSize) {
            throw bad("padded vocab size", c.paddedVocabSize, maxVocab)
        }
        guard c.nEmbd % c.nHead == 0 else {
            throw CheckpointError(.badConfig, file: file, "n_embd \(c.nEmbd) is not a multiple of n_head \(c.nHead)")
        }
        guard c.layerNormEpsilon.isFinite, c.layerNormEpsilon > 0 else {
            throw CheckpointError(.badConfig, file: file, "layer_norm_epsilon \(c.layerNormEpsilon) must be positive")
        }
    }
}
