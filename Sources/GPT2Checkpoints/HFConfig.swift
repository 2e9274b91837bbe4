import GPT2ModelFile
import GPT2Support

/// Hugging Face `config.json` of a GPT-2 (`GPT2Config` in transformers) → `GPT2Config`.
///
/// Defaults are transformers' (`activation_function` "gelu_new", `layer_norm_epsilon` 1e-5,
/// `tie_word_embeddings` true). Options that change the math and that the runtime does not
/// implement are refused rather than silently ignored.
enum HFConfig {
    static func load(path: String) throws -> GPT2Config {
        try parse(JSON.parse(fileAt: path, maxBytes: 1 << 20), file: path)
    }

    static func parse(_ json: JSON, file: String) throws -> GPT2Config {
        guard json.objectValue != nil else {
            throw CheckpointError(.badJSON, file: file, "config.json is not a JSON object")
        }
        func int(_ keys: String...) throws -> Int {
            for k in keys {
                if let v = json[k], v != .null {
                    guard let i = v.intValue else {
                        throw CheckpointError(.badConfig, file: file, "\(k) is not an integer: \(v)")
                    }
                    return i
                }
            }
            throw CheckpointError(.badConfig, file: file, "missing \(keys.joined(separator: " or "))",
                                  hint: "a GPT-2 config.json has n_layer, n_head, n_embd, n_positions, vocab_size")
        }
        if let t = json["model_type"]?.stringValue, t != "gpt2" {
            throw CheckpointError(.unsupported, file: file, "model_type \"\(t)\" is not gpt2")
        }
        let nEmbd = try int("n_embd")
        let activation: GPT2Config.Activation
        switch json["activation_function"]?.stringValue ?? "gelu_new" {
        // The tanh approximation: transformers' NewGELUActivation / PytorchGELUTanh (same formula).
        case "gelu_new", "gelu_pytorch_tanh": activation = .geluTanh
        // Exact erf GELU: transformers' GELUActivation (nn.functional.gelu).
        case "gelu": activation = .geluErf
        case let other:
            throw CheckpointError(.unsupported, file: file, "activation_function \"\(other)\" is not supported",
                                  hint: "supported: gelu_new, gelu_pytorch_tanh (tanh GELU), gelu (erf GELU)")
        }
        if let inner = json["n_inner"], inner != .null, inner.intValue != 4 * nEmbd {
            throw CheckpointError(.unsupported, file: file, "n_inner \(inner) differs from 4 × n_embd = \(4 * nEmbd)")
        }
        if json["scale_attn_by_inverse_layer_idx"]?.boolValue == true
            || json["scale_attn_weights"]?.boolValue == false {
            throw CheckpointError(.unsupported, file: file,
                                  "attention scaling options (scale_attn_by_inverse_layer_idx / scale_attn_weights) are not GPT-2's")
        }
        var eps: Float = 1e-5
        if let e = json["layer_norm_epsilon"], e != .null {
            guard let d = e.doubleValue else {
                throw CheckpointError(.badConfig, file: file, "layer_norm_epsilon is not a number")
            }
            eps = Float(d)
        }
        let vocab = try int("vocab_size")
        let config = GPT2Config(
            nLayer: try int("n_layer", "num_hidden_layers"), nHead: try int("n_head", "num_attention_heads"),
            nEmbd: nEmbd, nCtx: try int("n_positions", "n_ctx"), vocabSize: vocab,
            layerNormEpsilon: eps, activation: activation, bias: true,
            tiedHead: json["tie_word_embeddings"]?.boolValue ?? true)
        try ConfigChecks.validate(config, file: file)
        return config
    }
}
