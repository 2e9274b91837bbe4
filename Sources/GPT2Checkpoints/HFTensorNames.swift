import GPT2ModelFile

/// Hugging Face GPT-2 state-dict keys (`GPT2LMHeadModel`, as in `model.safetensors` and
/// `pytorch_model.bin`) and the canonical names they map to.
///
/// HF's GPT-2 uses `Conv1D` for its linear layers, whose weight is stored `[in, out]`
/// (transformers `pytorch_utils.Conv1D`: `x @ weight + bias`); canonical weights are `[out, in]`,
/// so those are transposed on load. Keys may carry the `transformer.` prefix
/// (`GPT2LMHeadModel`) or not (`GPT2Model`).
enum HFTensorNames {
    enum Role: Sendable, Equatable {
        /// A parameter: its canonical name, and whether it is a Conv1D weight stored `[in, out]`.
        case tensor(String, conv1D: Bool)
        /// `lm_head.weight`: the output head, tied to `wte` in GPT-2 (not stored then).
        case head
        /// A non-parameter buffer (`attn.bias` causal mask, `attn.masked_bias`): ignored.
        case buffer
    }

    static let prefix = "transformer."

    /// The role of an HF key, or nil when it is not a GPT-2 key.
    static func role(of key: String) -> Role? {
        if key == "lm_head.weight" { return .head }
        let name = key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
        switch name {
        case "wte.weight": return .tensor(TensorName.tokenEmbedding, conv1D: false)
        case "wpe.weight": return .tensor(TensorName.positionEmbedding, conv1D: false)
        case "ln_f.weight": return .tensor(TensorName.finalNormWeight, conv1D: false)
        case "ln_f.bias": return .tensor(TensorName.finalNormBias, conv1D: false)
        default: break
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0] == "h", let layer = layerIndex(parts[1]) else { return nil }
        let rest = parts[2...].joined(separator: ".")
        switch rest {
        case "ln_1.weight": return .tensor(TensorName.ln1Weight(layer), conv1D: false)
        case "ln_1.bias": return .tensor(TensorName.ln1Bias(layer), conv1D: false)
        case "attn.c_attn.weight": return .tensor(TensorName.qkvWeight(layer), conv1D: true)
        case "attn.c_attn.bias": return .tensor(TensorName.qkvBias(layer), conv1D: false)
        case "attn.c_proj.weight": return .tensor(TensorName.attnProjWeight(layer), conv1D: true)
        case "attn.c_proj.bias": return .tensor(TensorName.attnProjBias(layer), conv1D: false)
        case "ln_2.weight": return .tensor(TensorName.ln2Weight(layer), conv1D: false)
        case "ln_2.bias": return .tensor(TensorName.ln2Bias(layer), conv1D: false)
        case "mlp.c_fc.weight": return .tensor(TensorName.fcWeight(layer), conv1D: true)
        case "mlp.c_fc.bias": return .tensor(TensorName.fcBias(layer), conv1D: false)
        case "mlp.c_proj.weight": return .tensor(TensorName.mlpProjWeight(layer), conv1D: true)
        case "mlp.c_proj.bias": return .tensor(TensorName.mlpProjBias(layer), conv1D: false)
        case "attn.bias", "attn.masked_bias": return .buffer
        default: return nil
        }
    }

    /// A decimal layer index without sign or leading zeros (so `h.01` and `h.1` cannot both
    /// name layer 1).
    private static func layerIndex(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.count <= 6, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              s == "0" || s.first != "0" else { return nil }
        return Int(s)
    }
}
