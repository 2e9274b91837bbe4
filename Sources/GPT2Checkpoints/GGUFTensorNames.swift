import GPT2ModelFile

/// llama.cpp's tensor names for architecture `gpt2` (gguf-py `constants.py`, MODEL_TENSORS of
/// GPT2) and the canonical names they map to, both ways.
///
/// GGUF stores a matrix with ne = [in, out] (ne[0] fastest), i.e. the row-major bytes of an
/// `[out, in]` matrix: exactly the canonical layout, so no tensor is transposed either way
/// (llama.cpp's converter transposes HF's Conv1D weights when it writes them).
enum GGUFTensorNames {
    static let fixed: [(gguf: String, canonical: String)] = [
        ("token_embd.weight", TensorName.tokenEmbedding),
        ("position_embd.weight", TensorName.positionEmbedding),
        ("output_norm.weight", TensorName.finalNormWeight),
        ("output_norm.bias", TensorName.finalNormBias),
        ("output.weight", TensorName.head),
    ]
    static let perLayer: [(gguf: String, canonical: @Sendable (Int) -> String)] = [
        ("attn_norm.weight", TensorName.ln1Weight), ("attn_norm.bias", TensorName.ln1Bias),
        ("attn_qkv.weight", TensorName.qkvWeight), ("attn_qkv.bias", TensorName.qkvBias),
        ("attn_output.weight", TensorName.attnProjWeight), ("attn_output.bias", TensorName.attnProjBias),
        ("ffn_norm.weight", TensorName.ln2Weight), ("ffn_norm.bias", TensorName.ln2Bias),
        ("ffn_up.weight", TensorName.fcWeight), ("ffn_up.bias", TensorName.fcBias),
        ("ffn_down.weight", TensorName.mlpProjWeight), ("ffn_down.bias", TensorName.mlpProjBias),
    ]

    /// The canonical name of a GGUF tensor, nil when it is not a gpt2 tensor.
    static func canonical(_ name: String) -> String? {
        if let f = fixed.first(where: { $0.gguf == name }) { return f.canonical }
        let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0, String(layer) == parts[1],
              let p = perLayer.first(where: { $0.gguf == parts[2] }) else { return nil }
        return p.canonical(layer)
    }

    /// The GGUF name of a canonical tensor.
    static func gguf(_ canonical: String) -> String? {
        if let f = fixed.first(where: { $0.canonical == canonical }) { return f.gguf }
        let parts = canonical.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "h", let layer = Int(parts[1]),
              let p = perLayer.first(where: { $0.canonical(layer) == canonical }) else { return nil }
        return "blk.\(layer).\(p.gguf)"
    }
}
