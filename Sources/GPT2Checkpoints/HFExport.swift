import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// Writes a checkpoint as a Hugging Face `GPT2LMHeadModel` directory, the layout
/// `save_pretrained` writes and `from_pretrained(DIR)` loads:
/// - `model.safetensors`: keys `transformer.wte.weight` … `transformer.ln_f.bias` (+
///   `lm_head.weight` for an untied head), Conv1D weights transposed back to `[in, out]`,
///   every tensor f32 (or the requested f16 / bf16), header padded with spaces to 8 bytes
///   and `__metadata__` `{"format": "pt"}`, as the safetensors library writes them.
/// - `config.json`: n_positions = n_ctx, n_embd, n_layer, n_head, vocab_size,
///   layer_norm_epsilon, activation_function `gelu_new` (tanh) or `gelu` (erf),
///   tie_word_embeddings.
/// - for a byte-level BPE tokenizer: `vocab.json`, `merges.txt` (recovered from the ranks,
///   `Vocabulary.mergeList`), `tokenizer_config.json`, `special_tokens_map.json`. A
///   character-level vocabulary has no GPT2Tokenizer form: the weights and config are written
///   without tokenizer files (`notes` says so).
/// The directory is built under a temporary name beside `path` and renamed into place.
public enum HFExport {
    /// What an export wrote.
    public struct Result: Sendable {
        /// The tensors written and the time taken.
        public var summary: ExportSummary
        /// Things the user should know (a tokenizer that was not written).
        public var notes: [String]
    }

    /// Writes `c` as a Hugging Face GPT2LMHeadModel directory at `path` (model.safetensors,
    /// config.json, tokenizer files), atomically; `dtype` f16 or bf16 converts the matrices.
    @discardableResult
    public static func write(_ c: any Checkpoint, to path: String, dtype: ElementType? = nil, threads: Int = 1) throws -> Result {
        let start = MonotonicClock.seconds()
        let config = c.config
        let type = dtype ?? .f32
        guard type != .q8_0 else {
            throw CheckpointError(.unsupported, file: path, "safetensors has no q8_0 type",
                                  hint: "use --dtype f32, f16 or bf16 for --to hf")
        }
        guard config.bias else {
            throw CheckpointError(.unsupported, file: c.sourceFiles.first ?? path,
                                  "GPT2LMHeadModel has biases in every layer; this model has none (bias=False)",
                                  hint: "keep the GPT2Kit model file; transformers' GPT-2 cannot hold this model")
        }
        var notes: [String] = []
        let dir = try AtomicDirectory(path: path)
        var written: [(name: String, shape: [Int], type: ElementType)] = []

        // model.safetensors: the header first (every size is known from the shapes).
        let plan = c.tensors.map { t -> (key: String, info: CanonicalTensorInfo, conv1D: Bool, stored: [Int]) in
            let (key, conv1D) = hfKey(t.name)
            return (key, t, conv1D, conv1D ? [t.shape[1], t.shape[0]] : t.shape)
        }
        let size = TensorTransforms.elementSize(type)!
        var entries: [String: JSON] = ["__metadata__": .object(["format": .string("pt")])]
        var offset = 0
        for p in plan {
            let n = TensorData.elementCount(p.stored)! * size
            entries[p.key] = .object([
                "dtype": .string(["f32": "F32", "f16": "F16", "bf16": "BF16"][type.rawValue]!),
                "shape": .array(p.stored.map { .number(Double($0)) }),
                "data_offsets": .array([.number(Double(offset)), .number(Double(offset + n))]),
            ])
            offset += n
        }
        var header = JSON.object(entries).serialized()
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        let st = try dir.file("model.safetensors")
        var length = ByteWriter()
        length.u64(UInt64(header.count))
        try st.write(length.bytes)
        try st.write(header)
        for p in plan {
            let t = ConverterDType.convert(try c.load(p.info.name, threads: threads), to: type, threads: threads)
            if p.conv1D {
                // canonical [out, in] → Conv1D [in, out]
                let bytes = t.bytes.withUnsafeBytes {
                    TensorTransforms.transpose2D($0, rows: p.info.shape[0], cols: p.info.shape[1], elementSize: size, threads: threads)
                }
                try st.write(bytes)
            } else {
                try st.write(t.bytes)
            }
            written.append((p.key, p.stored, type))
        }
        try st.commit()

        let eos = c.vocabulary.flatMap { $0.eosID ?? $0.specialTokens["<|endoftext|>"] }
        var cfg: [String: JSON] = [
            "architectures": .array([.string("GPT2LMHeadModel")]), "model_type": .string("gpt2"),
            "activation_function": .string(config.activation == .geluTanh ? "gelu_new" : "gelu"),
            "n_positions": .number(Double(config.nCtx)), "n_ctx": .number(Double(config.nCtx)),
            "n_embd": .number(Double(config.nEmbd)), "n_layer": .number(Double(config.nLayer)),
            "n_head": .number(Double(config.nHead)), "n_inner": .null, "vocab_size": .number(Double(config.vocabSize)),
            // The shortest decimal of the Float, so 1e-5 reads back as the same Float.
            "layer_norm_epsilon": .number(config.layerNormEpsilon),
            "tie_word_embeddings": .bool(config.tiedHead),
            "scale_attn_weights": .bool(true), "scale_attn_by_inverse_layer_idx": .bool(false),
            "reorder_and_upcast_attn": .bool(false),
            "resid_pdrop": .number(0), "embd_pdrop": .number(0), "attn_pdrop": .number(0),
            "torch_dtype": .string(["f32": "float32", "f16": "float16", "bf16": "bfloat16"][type.rawValue]!),
        ]
        if let eos { cfg["bos_token_id"] = .number(Double(eos)); cfg["eos_token_id"] = .number(Double(eos)) }
        try writeJSON(dir, "config.json", .object(cfg))

        if let v = c.vocabulary, v.kind == .byteLevelBPE {
            var vocab: [String: JSON] = [:]
            for (id, t) in v.tokens.enumerated() { vocab[ByteLevelAlphabet.text(t)] = .number(Double(id)) }
            for (text, id) in v.specialTokens { vocab[text] = .number(Double(id)) }
            try writeJSON(dir, "vocab.json", .object(vocab))
            var merges = Array("#version: 0.2\n".utf8)
            for m in try v.mergeList() {
                merges += Array((ByteLevelAlphabet.text(m.left) + " " + ByteLevelAlphabet.text(m.right) + "\n").utf8)
            }
            let f = try dir.file("merges.txt")
            try f.write(merges)
            try f.commit()
            var tc: [String: JSON] = [
                "tokenizer_class": .string("GPT2Tokenizer"), "model_max_length": .number(Double(config.nCtx)),
                "add_prefix_space": .bool(false), "add_bos_token": .bool(false),
            ]
            var map: [String: JSON] = [:]
            if let eos, let text = v.specialTokens.first(where: { $0.value == eos })?.key {
                for k in ["bos_token", "eos_token", "unk_token"] { tc[k] = .string(text); map[k] = .string(text) }
            }
            try writeJSON(dir, "tokenizer_config.json", .object(tc))
            try writeJSON(dir, "special_tokens_map.json", .object(map))
        } else if let v = c.vocabulary {
            notes.append("the \(v.kind.rawValue) vocabulary has no Hugging Face GPT2Tokenizer form: no tokenizer files were written")
        } else {
            notes.append("the model has no tokenizer: no tokenizer files were written")
        }
        try dir.commit()
        return Result(summary: ExportSummary(output: path, tensors: written, seconds: MonotonicClock.seconds() - start), notes: notes)
    }

    static func writeJSON(_ dir: AtomicDirectory, _ name: String, _ value: JSON) throws {
        let f = try dir.file(name)
        try f.write(value.serialized())
        try f.commit()
    }

    /// The HF key of a canonical tensor, and whether it is a Conv1D weight (stored `[in, out]`).
    static func hfKey(_ canonical: String) -> (String, Bool) {
        if canonical == TensorName.head { return ("lm_head.weight", false) }
        let parts = canonical.split(separator: ".")
        if parts.count >= 4, parts[0] == "h" {
            let module = parts[2...].dropLast().joined(separator: ".")
            let hf = ["ln_1": "ln_1", "ln_2": "ln_2", "attn.qkv": "attn.c_attn", "attn.proj": "attn.c_proj",
                      "mlp.fc": "mlp.c_fc", "mlp.proj": "mlp.c_proj"][module]!
            return ("transformer.h.\(parts[1]).\(hf).\(parts.last!)", parts.last == "weight" && module != "ln_1" && module != "ln_2")
        }
        return ("transformer." + canonical, false)
    }
}
