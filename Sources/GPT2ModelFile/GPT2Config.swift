/// Hyperparameters of a GPT-2-family model: everything the forward pass needs besides weights.
public struct GPT2Config: Sendable, Equatable, Codable {
    public enum Activation: String, Sendable, Equatable, Codable {
        /// `0.5x(1+tanh(√(2/π)(x+0.044715x³)))`: OpenAI's GPT-2, HF `gelu_new`, llm.c.
        case geluTanh = "gelu_tanh"
        /// `0.5x(1+erf(x/√2))`: PyTorch `nn.GELU()`, which nanoGPT uses.
        case geluErf = "gelu_erf"
    }

    public var nLayer: Int
    public var nHead: Int
    public var nEmbd: Int
    /// Context length (positions in `wpe`).
    public var nCtx: Int
    /// Rows of the token embedding as stored in the model file (the real vocabulary:
    /// padding rows that a source added are dropped on conversion).
    public var vocabSize: Int
    /// Vocabulary size of the source before padding was dropped (e.g. 50304 for nanoGPT/llm.c),
    /// equal to `vocabSize` when the source had no padding.
    public var paddedVocabSize: Int
    public var layerNormEpsilon: Float
    public var activation: Activation
    /// Whether linear layers and LayerNorms have biases (nanoGPT `bias=False` models do not).
    public var bias: Bool
    /// Output head shares the token embedding (GPT-2 always does).
    public var tiedHead: Bool

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
