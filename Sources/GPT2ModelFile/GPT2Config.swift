/// Hyperparameters of a GPT-2-family model: everything the forward pass needs besides weights.
public struct GPT2Config: Sendable, Equatable, Codable {
    /// The MLP's GELU variant.
    public enum Activation: String, Sendable, Equatable, Codable {
        /// `0.5x(1+tanh(√(2/π)(x+0.044715x³)))`: OpenAI's GPT-2, HF `gelu_new`, llm.c.
        case geluTanh = "gelu_tanh"
        /// `0.5x(1+erf(x/√2))`: PyTorch `nn.GELU()`, which nanoGPT uses.
        case geluErf = "gelu_erf"
    }

    /// Transformer blocks.
    public var nLayer: Int
    /// Attention heads per block.
    public var nHead: Int
    /// Embedding width (a multiple of `nHead`).
    public var nEmbd: Int
    /// Context length (positions in `wpe`).
    public var nCtx: Int
    /// Rows of the token embedding as stored in the model file (the real vocabulary:
    /// padding rows that a source added are dropped on conversion).
    public var vocabSize: Int
    /// Vocabulary size of the source before padding was dropped (e.g. 50304 for nanoGPT/llm.c),
    /// equal to `vocabSize` when the source had no padding.
    public var paddedVocabSize: Int
    /// ε of every LayerNorm.
    public var layerNormEpsilon: Float
    /// The GELU variant of the MLP.
    public var activation: Activation
    /// Whether linear layers and LayerNorms have biases (nanoGPT `bias=False` models do not).
    public var bias: Bool
    /// Output head shares the token embedding (GPT-2 always does).
    public var tiedHead: Bool

    /// A configuration; `paddedVocabSize` defaults to `vocabSize`, the rest to GPT-2's values.
    public init(nLayer: Int, nHead: Int, nEmbd: Int, nCtx: Int, vocabSize: Int,
                paddedVocabSize: Int? = nil, layerNormEpsilon: Float = 1e-5,
                activation: Activation = .geluTanh, bias: Bool = true, tiedHead: Bool = true) {
        self.nLayer = nLayer
        self.nHead = nHead
        self.nEmbd = nEmbd
        self.nCtx = nCtx
        self.vocabSize = vocabSize
        self.paddedVocabSize = paddedVocabSize ?? vocabSize
        self.layerNormEpsilon = layerNormEpsilon
        self.activation = activation
        self.bias = bias
        self.tiedHead = tiedHead
    }
}

/// The one set of limits every reader applies to hyperparameters (model-file metadata, each
/// checkpoint reader through `ConfigChecks`, the runtime's `GPT2Weights`), so a checkpoint that
/// converts also loads. They keep every size computed from a config (`vocab × n_embd × 4`,
/// `n_layer × 12 n_embd²`, the KV cache `2 × n_layer × n_ctx × n_embd × 4`) far from overflow;
/// GPT-2 XL is 48 × 1600 × 1024 × 50257, well inside.
extension GPT2Config {
    /// The accepted ranges.
    public enum Limits {
        /// Accepted `nLayer`.
        public static let layers = 1...4096
        /// Accepted `nHead`.
        public static let heads = 1...4096
        /// Accepted `nEmbd`.
        public static let embd = 1...(1 << 16)
        /// Accepted `nCtx`.
        public static let context = 1...(1 << 20)
        /// Accepted `vocabSize` and `paddedVocabSize`.
        public static let vocab = 1...(1 << 24)
        /// n_layer × n_ctx × n_embd: elements of one of the KV cache's two halves.
        public static let cacheElements = 1 << 36
    }

    /// A hyperparameter outside `Limits` or inconsistent with another one.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// The metadata key (`n_head`, `layer_norm_epsilon`, ...).
        public var key: String
        /// The value found, as text.
        public var value: String
        /// What the value must be.
        public var expected: String
        /// e.g. "n_layer 0 is not in 1...4096", "n_embd 32 is not a multiple of n_head 5".
        public var description: String { "\(key) \(value) is not \(expected)" }
    }

    /// Checks every limit; the first violation is thrown.
    public func validate() throws(Invalid) {
        func check(_ key: String, _ v: Int, _ r: ClosedRange<Int>) throws(Invalid) {
            guard r.contains(v) else { throw Invalid(key: key, value: "\(v)", expected: "in \(r.lowerBound)...\(r.upperBound)") }
        }
        try check("n_layer", nLayer, Limits.layers)
        try check("n_head", nHead, Limits.heads)
        try check("n_embd", nEmbd, Limits.embd)
        try check("n_ctx", nCtx, Limits.context)
        try check("vocab_size", vocabSize, Limits.vocab)
        try check("padded_vocab_size", paddedVocabSize, vocabSize...Limits.vocab.upperBound)
        guard nEmbd % nHead == 0 else {
            throw Invalid(key: "n_embd", value: "\(nEmbd)", expected: "a multiple of n_head \(nHead)")
        }
        // Each factor is at most 2^20 here, so the product of the three cannot overflow Int64.
        guard nLayer * nCtx * nEmbd <= Limits.cacheElements else {
            throw Invalid(key: "n_layer * n_ctx * n_embd", value: "\(nLayer * nCtx * nEmbd)",
                          expected: "at most 2^36: too large for the KV cache")
        }
        guard layerNormEpsilon.isFinite, layerNormEpsilon > 0, layerNormEpsilon < 1 else {
            throw Invalid(key: "layer_norm_epsilon", value: "\(layerNormEpsilon)", expected: "a finite number in (0, 1)")
        }
    }
}
