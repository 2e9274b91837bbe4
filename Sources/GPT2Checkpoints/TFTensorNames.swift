import GPT2ModelFile

/// Variable names of OpenAI's GPT-2 TensorFlow checkpoint (`src/model.py` of the gpt-2 release)
/// and the canonical names they map to. LayerNorm gain/bias are `g`/`b`; the linear layers are
/// 1×1 convolutions whose weight `w` has shape `[1, in, out]`, transposed to canonical `[out, in]`.
enum TFTensorNames {
    struct Mapping: Sendable, Equatable {
        var canonical: String
        /// `[1, in, out]` conv weight.
        var conv: Bool
    }

    static func mapping(of name: String) -> Mapping? {
        switch name {
        case "model/wte": return Mapping(canonical: TensorName.tokenEmbedding, conv: false)
        case "model/wpe": return Mapping(canonical: TensorName.positionEmbedding, conv: false)
        case "model/ln_f/g": return Mapping(canonical: TensorName.finalNormWeight, conv: false)
        case "model/ln_f/b": return Mapping(canonical: TensorName.finalNormBias, conv: false)
        default: break
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0] == "model", parts[1].hasPrefix("h") else { return nil }
        let digits = parts[1].dropFirst()
        guard !digits.isEmpty, digits.count <= 6, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              digits == "0" || digits.first != "0", let l = Int(digits) else { return nil }
        switch parts[2...].joined(separator: "/") {
        case "ln_1/g": return Mapping(canonical: TensorName.ln1Weight(l), conv: false)
        case "ln_1/b": return Mapping(canonical: TensorName.ln1Bias(l), conv: false)
        case "attn/c_attn/w": return Mapping(canonical: TensorName.qkvWeight(l), conv: true)
        case "attn/c_attn/b": return Mapping(canonical: TensorName.qkvBias(l), conv: false)
        case "attn/c_proj/w": return Mapping(canonical: TensorName.attnProjWeight(l), conv: true)
        case "attn/c_proj/b": return Mapping(canonical: TensorName.attnProjBias(l), conv: false)
        case "ln_2/g": return Mapping(canonical: TensorName.ln2Weight(l), conv: false)
        case "ln_2/b": return Mapping(canonical: TensorName.ln2Bias(l), conv: false)
        case "mlp/c_fc/w": return Mapping(canonical: TensorName.fcWeight(l), conv: true)
        case "mlp/c_fc/b": return Mapping(canonical: TensorName.fcBias(l), conv: false)
        case "mlp/c_proj/w": return Mapping(canonical: TensorName.mlpProjWeight(l), conv: true)
        case "mlp/c_proj/b": return Mapping(canonical: TensorName.mlpProjBias(l), conv: false)
        default: return nil
        }
    }
}
