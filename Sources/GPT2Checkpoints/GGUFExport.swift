import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// What an export wrote.
public struct ExportSummary: Sendable {
    /// The path written.
    public var output: String
    /// Tensors as written: the target format's name, row-major shape, element type.
    public var tensors: [(name: String, shape: [Int], type: ElementType)]
    /// Wall time of the export.
    public var seconds: Double
}

/// Writes a checkpoint as a GGUF file that llama.cpp runs with its `gpt2` architecture, with
/// the conventions of llama.cpp's own converter (convert_hf_to_gguf.py for GPT2LMHeadModel):
/// names of GGUFTensorNames, matrices with ne = [in, out] (the canonical `[out, in]` bytes, so
/// nothing is transposed), no `output.weight` for a tied head; `gpt2.*` hyperparameters; the
/// tokenizer as `tokenizer.ggml.*` with model "gpt2", pre "gpt-2", token types (1 normal,
/// 3 control for special tokens, 5 unused for embedding rows past the tokenizer), merges,
/// bos = eos = unk = the end-of-text id and no BOS added (so a prompt is the same ids in
/// llama.cpp and in GPT2Kit).
///
/// Element types: with no dtype, matrices keep their source type; with one, matrices take it
/// except position_embd (f32, as llama.cpp's converter keeps it) and, for q8_0, matrices whose
/// rows are not a multiple of 32 long (f32). Vectors (norms, biases) are always f32.
///
/// Refused with a reason: a tokenizer other than GPT-2-style byte-level BPE (llama.cpp's gpt2
/// vocabulary is BPE: a character-level nanoGPT vocabulary has no form it reads), no tokenizer,
/// models without biases (llama.cpp's gpt2 requires them) and the erf GELU (llama.cpp's gpt2
/// graph computes the tanh GELU, so the output would differ).
public enum GGUFExport {
    /// Alignment of the tensor data (GGUF's default, which llama.cpp assumes without
    /// `general.alignment`).
    public static let alignment = 32

    /// The element type each canonical tensor gets.
    public static func target(name: String, shape: [Int], source: ElementType, requested: ElementType?) -> ElementType {
        guard shape.count == 2 else { return .f32 }
        guard let requested else { return source }
        if name == TensorName.positionEmbedding { return .f32 }
        if requested == .q8_0 && shape[1] % 32 != 0 { return .f32 }
        return requested
    }

    /// Why `checkpoint` cannot be a llama.cpp gpt2 GGUF, or nil.
    public static func unsupportedReason(_ c: any Checkpoint) -> (String, hint: String)? {
        guard let v = c.vocabulary else {
            return ("the model has no tokenizer, and a GGUF must carry one for llama.cpp to load it",
                    "pass --vocab PATH with the model's GPT-2-style tokenizer")
        }
        guard v.kind == .byteLevelBPE else {
            return ("llama.cpp's gpt2 architecture needs a GPT-2 byte-level BPE tokenizer; this model has a \(v.kind.rawValue) vocabulary, which no llama.cpp tokenizer type reproduces",
                    "export it with --to hf (weights and config.json), or keep the GPT2Kit model file")
        }
        guard c.config.bias else {
            return ("llama.cpp's gpt2 architecture requires every bias tensor; this model has none (bias=False)",
                    "export it with --to hf is not possible either: GPT2LMHeadModel has biases; keep the GPT2Kit model file")
        }
        guard c.config.activation == .geluTanh else {
            return ("llama.cpp's gpt2 graph computes the tanh GELU, and this model uses the erf GELU (nanoGPT's nn.GELU()): its output in llama.cpp would differ",
                    "export it with --to hf, which records activation_function \"gelu\"")
        }
        return nil
    }

    /// Writes `c` as a llama.cpp GGUF (architecture gpt2) at `path`, atomically; `dtype` converts
    /// the matrices.
    @discardableResult
    public static func write(_ c: any Checkpoint, to path: String, dtype: ElementType? = nil, threads: Int = 1,
                             name: String? = nil) throws -> ExportSummary {
        let start = MonotonicClock.seconds()
        if let (why, hint) = unsupportedReason(c) {
            throw CheckpointError(.unsupported, file: c.sourceFiles.first ?? path, why, hint: hint)
        }
        let config = c.config, vocabulary = c.vocabulary!
        var header = ByteWriter()
        var kvCount = 0
        func kv(_ key: String, _ value: GGUFValue) {
            GGUFValue.encode(string: key, into: &header)
            header.integer(value.type.rawValue)
            value.encode(into: &header)
            kvCount += 1
        }
        kv("general.architecture", .string("gpt2"))
        kv("general.name", .string(name ?? "gpt2"))
        kv("gpt2.context_length", .u32(UInt32(config.nCtx)))
        kv("gpt2.embedding_length", .u32(UInt32(config.nEmbd)))
        kv("gpt2.feed_forward_length", .u32(UInt32(4 * config.nEmbd)))
        kv("gpt2.block_count", .u32(UInt32(config.nLayer)))
        kv("gpt2.attention.head_count", .u32(UInt32(config.nHead)))
        kv("gpt2.attention.layer_norm_epsilon", .f32(config.layerNormEpsilon))
        // llama_ftype: 0 all f32, 1 mostly f16, 7 mostly q8_0, 32 mostly bf16.
        let ftype: UInt32 = [ElementType.f32: 0, .f16: 1, .q8_0: 7, .bf16: 32][dtype ?? c.tensors[0].type] ?? 0
        kv("general.file_type", .u32(ftype))
        kv("general.quantization_version", .u32(2))
        try tokenizerKeys(vocabulary, config: config, kv)

        let plan = c.tensors.map { t -> (gguf: String, info: CanonicalTensorInfo, type: ElementType, bytes: Int) in
            let type = target(name: t.name, shape: t.shape, source: t.type, requested: dtype)
            return (GGUFTensorNames.gguf(t.name)!, t, type, type.byteCount(elements: TensorData.elementCount(t.shape)!)!)
        }
        var infos = ByteWriter()
        var offset = 0
        for p in plan {
            GGUFValue.encode(string: p.gguf, into: &infos)
            infos.u32(UInt32(p.info.shape.count))
            for d in p.info.shape.reversed() { infos.u64(UInt64(d)) }
            infos.u32(GGMLType.ggmlType(p.type))
            infos.u64(UInt64(offset))
            offset += (p.bytes + alignment - 1) / alignment * alignment
        }

        let out = try AtomicFile.checkpoint(path: path)
        var prefix = ByteWriter()
        prefix.raw(GGUFFile.magic)
        prefix.u32(3)   // GGUF version
        prefix.u64(UInt64(plan.count))
        prefix.u64(UInt64(kvCount))
        try out.write(prefix.bytes)
        try out.write(header.bytes)
        try out.write(infos.bytes)
        try out.pad(to: alignment)
        for p in plan {
            let t = ConverterDType.convert(try c.load(p.info.name, threads: threads), to: p.type, threads: threads)
            try out.write(t.bytes)
            try out.pad(to: alignment)
        }
        try out.commit()
        return ExportSummary(output: path, tensors: plan.map { ($0.gguf, $0.info.shape, $0.type) },
                             seconds: MonotonicClock.seconds() - start)
    }

    /// `tokenizer.ggml.*` for a byte-level BPE vocabulary, padded with unused tokens to the
    /// embedding's rows (llama.cpp sizes token_embd by the token list).
    static func tokenizerKeys(_ v: Vocabulary, config: GPT2Config, _ kv: (String, GGUFValue) -> Void) throws {
        var tokens = v.tokens.map { GGUFValue.string(ByteLevelAlphabet.text($0)) }
        var types = [GGUFValue](repeating: .i32(1), count: tokens.count)
        let specials = Dictionary(v.specialTokens.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        for id in tokens.count..<config.vocabSize {
            if let s = specials[id] {
                tokens.append(.string(s))
                types.append(.i32(3))
            } else {
                tokens.append(.string("[PAD\(id)]"))
                types.append(.i32(5))
            }
        }
        let merges = try v.mergeList().map { GGUFValue.string(ByteLevelAlphabet.text($0.left) + " " + ByteLevelAlphabet.text($0.right)) }
        kv("tokenizer.ggml.model", .string("gpt2"))
        kv("tokenizer.ggml.pre", .string("gpt-2"))
        kv("tokenizer.ggml.tokens", .array(.string, tokens))
        kv("tokenizer.ggml.token_type", .array(.i32, types))
        kv("tokenizer.ggml.merges", .array(.string, merges))
        if let eos = v.eosID ?? v.specialTokens["<|endoftext|>"] {
            kv("tokenizer.ggml.bos_token_id", .u32(UInt32(eos)))
            kv("tokenizer.ggml.eos_token_id", .u32(UInt32(eos)))
            kv("tokenizer.ggml.unknown_token_id", .u32(UInt32(eos)))
        }
        kv("tokenizer.ggml.add_bos_token", .bool(false))
    }
}
