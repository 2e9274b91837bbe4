/// Canonical tensor names and layouts of the model file (see docs in the spec).
///
/// Every weight matrix is stored `[out, in]` (PyTorch `nn.Linear` order); Conv1D-style sources
/// (`[in, out]`: HF, OpenAI TF) are transposed on conversion. The tied output head is not stored.
///
/// | name | shape |
/// |---|---|
/// | `wte.weight` | `[vocabSize, nEmbd]` |
/// | `wpe.weight` | `[nCtx, nEmbd]` |
/// | `h.{i}.ln_1.weight`, `h.{i}.ln_1.bias` | `[nEmbd]` |
/// | `h.{i}.attn.qkv.weight` / `.bias` | `[3·nEmbd, nEmbd]` / `[3·nEmbd]` (q, k, v rows in that order) |
/// | `h.{i}.attn.proj.weight` / `.bias` | `[nEmbd, nEmbd]` / `[nEmbd]` |
/// | `h.{i}.ln_2.weight`, `h.{i}.ln_2.bias` | `[nEmbd]` |
/// | `h.{i}.mlp.fc.weight` / `.bias` | `[4·nEmbd, nEmbd]` / `[4·nEmbd]` |
/// | `h.{i}.mlp.proj.weight` / `.bias` | `[nEmbd, 4·nEmbd]` / `[nEmbd]` |
/// | `ln_f.weight`, `ln_f.bias` | `[nEmbd]` |
/// | `lm_head.weight` | `[vocabSize, nEmbd]`, only when the head is not tied |
///
/// Models without biases (`bias == false`) have none of the `.bias` tensors.
public enum TensorName {
    /// Token embedding, `[vocabSize, nEmbd]`.
    public static let tokenEmbedding = "wte.weight"
    /// Position embedding, `[nCtx, nEmbd]`.
    public static let positionEmbedding = "wpe.weight"
    /// Final LayerNorm weight.
    public static let finalNormWeight = "ln_f.weight"
    /// Final LayerNorm bias.
    public static let finalNormBias = "ln_f.bias"
    /// Output head, stored only when not tied to `wte`.
    public static let head = "lm_head.weight"

    /// Block `layer`'s first LayerNorm weight.
    public static func ln1Weight(_ layer: Int) -> String { "h.\(layer).ln_1.weight" }
    /// Block `layer`'s first LayerNorm bias.
    public static func ln1Bias(_ layer: Int) -> String { "h.\(layer).ln_1.bias" }
    /// Block `layer`'s fused q, k, v projection weight.
    public static func qkvWeight(_ layer: Int) -> String { "h.\(layer).attn.qkv.weight" }
    /// Block `layer`'s fused q, k, v projection bias.
    public static func qkvBias(_ layer: Int) -> String { "h.\(layer).attn.qkv.bias" }
    /// Block `layer`'s attention output projection weight.
    public static func attnProjWeight(_ layer: Int) -> String { "h.\(layer).attn.proj.weight" }
    /// Block `layer`'s attention output projection bias.
    public static func attnProjBias(_ layer: Int) -> String { "h.\(layer).attn.proj.bias" }
    /// Block `layer`'s second LayerNorm weight.
    public static func ln2Weight(_ layer: Int) -> String { "h.\(layer).ln_2.weight" }
    /// Block `layer`'s second LayerNorm bias.
    public static func ln2Bias(_ layer: Int) -> String { "h.\(layer).ln_2.bias" }
    /// Block `layer`'s MLP up-projection weight.
    public static func fcWeight(_ layer: Int) -> String { "h.\(layer).mlp.fc.weight" }
    /// Block `layer`'s MLP up-projection bias.
    public static func fcBias(_ layer: Int) -> String { "h.\(layer).mlp.fc.bias" }
    /// Block `layer`'s MLP down-projection weight.
    public static func mlpProjWeight(_ layer: Int) -> String { "h.\(layer).mlp.proj.weight" }
    /// Block `layer`'s MLP down-projection bias.
    public static func mlpProjBias(_ layer: Int) -> String { "h.\(layer).mlp.proj.bias" }

    /// All canonical tensors of a GPT-2 with this config, in file order, with their shapes.
    public static func gpt2Tensors(_ c: GPT2Config) -> [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = [(tokenEmbedding, [c.vocabSize, c.nEmbd]),
                                      (positionEmbedding, [c.nCtx, c.nEmbd])]
        let n = c.nEmbd
        for l in 0..<c.nLayer {
            out.append((ln1Weight(l), [n]))
            if c.bias { out.append((ln1Bias(l), [n])) }
            out.append((qkvWeight(l), [3 * n, n]))
            if c.bias { out.append((qkvBias(l), [3 * n])) }
            out.append((attnProjWeight(l), [n, n]))
            if c.bias { out.append((attnProjBias(l), [n])) }
            out.append((ln2Weight(l), [n]))
            if c.bias { out.append((ln2Bias(l), [n])) }
            out.append((fcWeight(l), [4 * n, n]))
            if c.bias { out.append((fcBias(l), [4 * n])) }
            out.append((mlpProjWeight(l), [n, 4 * n]))
            if c.bias { out.append((mlpProjBias(l), [n])) }
        }
        out.append((finalNormWeight, [n]))
        if c.bias { out.append((finalNormBias, [n])) }
        if !c.tiedHead { out.append((head, [c.vocabSize, n])) }
        return out
    }
}
