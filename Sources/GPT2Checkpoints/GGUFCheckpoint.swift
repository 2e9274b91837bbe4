import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// A llama.cpp GGUF file of architecture `gpt2` (as llama.cpp's convert_hf_to_gguf.py,
/// gguf-py and llama-quantize write it) read as a checkpoint.
///
/// Hyperparameters come from the `gpt2.*` keys (context_length, embedding_length,
/// block_count, attention.head_count, attention.layer_norm_epsilon; feed_forward_length must
/// be 4 × embedding_length, the only MLP width GPT-2 has), the vocabulary size from
/// token_embd's rows, and the activation is the tanh GELU (ggml_gelu, which llama.cpp's gpt2
/// graph uses). Tensors (GGUFTensorNames) keep their type and bytes: f32, f16, bf16 and q8_0
/// (ggml's Q8_0 block is the model file's q8_0 block), so converting is bit-exact. The
/// tokenizer comes from `tokenizer.ggml.*` when its model is "gpt2" (byte-level BPE): tokens,
/// merges, token types (control and user-defined tokens are special) and eos_token_id.
public struct GGUFCheckpoint: Checkpoint, @unchecked Sendable {
    /// Always `.gguf`.
    public let layout = CheckpointLayout.gguf
    /// Hyperparameters read from the checkpoint.
    public let config: GPT2Config
    /// The tokenizer found with the weights, if any.
    public let vocabulary: Vocabulary?
    /// Files the checkpoint was read from (for provenance hashes).
    public let sourceFiles: [String]
    /// Tensors exactly as stored in the source.
    public let sourceTensors: [SourceTensorInfo]
    let table: TensorTable
    let gguf: GGUFFile
    /// Canonical tensors in file order.
    public var tensors: [CanonicalTensorInfo] { table.infos }

    /// Opens and validates the checkpoint at `path`; throws `CheckpointError`.
    public init(path: String) throws {
        let g = try GGUFFile(path: path)
        gguf = g
        sourceFiles = [path]
        func missing(_ key: String) -> CheckpointError {
            CheckpointError(.badConfig, file: path, "metadata key \(key) is missing",
                            hint: "a llama.cpp gpt2 GGUF has it (written by convert_hf_to_gguf.py / gguf-py)")
        }
        guard let arch = g["general.architecture"] else { throw missing("general.architecture") }
        guard arch.stringValue == "gpt2" else {
            throw CheckpointError(.unsupported, file: path, "architecture \(arch.summary); GPT2Kit reads gpt2 only",
                                  hint: "this GGUF holds another model family")
        }
        func int(_ key: String) throws -> Int {
            guard let v = g[key] else { throw missing(key) }
            guard let i = v.intValue else {
                throw CheckpointError(.badConfig, file: path, "\(key) is \(v.summary) (\(v.type.name)), expected an integer")
            }
            return i
        }
        let nEmbd = try int("gpt2.embedding_length")
        let nLayer = try int("gpt2.block_count"), nHead = try int("gpt2.attention.head_count")
        let nCtx = try int("gpt2.context_length")
        guard let epsValue = g["gpt2.attention.layer_norm_epsilon"] else { throw missing("gpt2.attention.layer_norm_epsilon") }
        guard let eps = epsValue.doubleValue else {
            throw CheckpointError(.badConfig, file: path, "gpt2.attention.layer_norm_epsilon is \(epsValue.summary) (\(epsValue.type.name)), expected a float")
        }
        if g["gpt2.feed_forward_length"] != nil {
            let ff = try int("gpt2.feed_forward_length")
            guard ff == 4 * nEmbd else {
                throw CheckpointError(.unsupported, file: path, "gpt2.feed_forward_length \(ff) is not 4 × embedding_length \(nEmbd)",
                                      hint: "GPT2Kit's GPT-2 has an MLP of 4 × n_embd")
            }
        }
        guard let embd = g.tensors.first(where: { $0.name == "token_embd.weight" }) else {
            throw CheckpointError(.missingTensor, file: path, "tensor token_embd.weight is missing",
                                  hint: "every gpt2 GGUF has it; the vocabulary size is its row count")
        }
        guard embd.ne.count == 2 else {
            throw CheckpointError(.shapeMismatch, file: path, offset: embd.range.lowerBound, "token_embd.weight has ne \(embd.ne), expected [n_embd, n_vocab]")
        }
        let hasHead = g.tensors.contains { $0.name == "output.weight" }
        let config = GPT2Config(nLayer: nLayer, nHead: nHead, nEmbd: nEmbd, nCtx: nCtx, vocabSize: embd.ne[1],
                                layerNormEpsilon: Float(eps), activation: .geluTanh, bias: true, tiedHead: !hasHead)
        try ConfigChecks.validate(config, file: path)
        self.config = config

        var byName: [String: TensorSource] = [:]
        for t in g.tensors {
            guard let name = GGUFTensorNames.canonical(t.name) else {
                throw CheckpointError(.unknownTensor, file: path, offset: t.range.lowerBound, "\(t.name) is not a gpt2 tensor",
                                      hint: "expected llama.cpp's gpt2 names (token_embd, blk.N.attn_qkv, ...)")
            }
            byName[name] = TensorSource(info: CanonicalTensorInfo(name: name, shape: t.shape, type: t.type),
                                        file: g.file, range: t.range)
        }
        sourceTensors = g.tensors.map { SourceTensorInfo(name: $0.name, shape: $0.ne, type: $0.type, offset: $0.range.lowerBound, file: path) }
        table = try TensorTable(config: config, byName: byName, file: path,
                                sourceName: { GGUFTensorNames.gguf($0) ?? $0 })
        vocabulary = try Self.vocabulary(g, path: path)
        if let v = vocabulary { try VocabularyBeside.check(v, config: config, file: path) }
    }

    /// One canonical tensor in canonical layout, in the source element type.
    public func load(_ name: String) throws -> TensorData { try table.load(name) }

    /// The tokenizer in `tokenizer.ggml.*`, nil when the file has none.
    static func vocabulary(_ g: GGUFFile, path: String) throws -> Vocabulary? {
        guard let model = g["tokenizer.ggml.model"] else { return nil }
        func bad(_ msg: String, hint: String = "the tokenizer metadata is corrupt") -> CheckpointError {
            CheckpointError(.badTokenizer, file: path, msg, hint: hint)
        }
        guard model.stringValue == "gpt2" else {
            throw bad("tokenizer.ggml.model is \(model.summary); GPT2Kit reads GPT-2's byte-level BPE (\"gpt2\") only",
                      hint: "pass --vocab PATH with the model's GPT-2-style tokenizer")
        }
        if let pre = g["tokenizer.ggml.pre"], !["gpt-2", "default"].contains(pre.stringValue ?? "") {
            throw CheckpointError(.unsupported, file: path, "tokenizer.ggml.pre is \(pre.summary): a pre-tokenizer other than GPT-2's splits text differently",
                                  hint: "GPT2Kit's tokenizer implements GPT-2's pre-tokenizer only")
        }
        func strings(_ key: String) throws -> [String] {
            guard let v = g[key] else { throw bad("\(key) is missing") }
            guard case .array(.string, let a) = v else { throw bad("\(key) is \(v.type.name), expected an array of strings") }
            return a.map { $0.stringValue! }
        }
        var tokens = try strings("tokenizer.ggml.tokens")
        let merges = try strings("tokenizer.ggml.merges")
        var specials = Set<Int>()
        if let types = g["tokenizer.ggml.token_type"] {
            guard let a = types.arrayValue, a.count == tokens.count else {
                throw bad("tokenizer.ggml.token_type is not an array of \(tokens.count) integers")
            }
            var kinds: [Int] = []
            for (id, t) in a.enumerated() {
                guard let k = t.intValue else { throw bad("tokenizer.ggml.token_type[\(id)] is \(t.type.name), expected an integer") }
                kinds.append(k)
            }
            // llama_token_type: 3 control, 4 user-defined (both matched as whole strings);
            // 5 unused: trailing ones pad the list to the embedding's rows ("[PAD50257]" in
            // llama.cpp's converter) and are not tokens.
            let used = (kinds.lastIndex(where: { $0 != 5 }) ?? -1) + 1
            tokens.removeLast(tokens.count - used)
            for (id, k) in kinds.prefix(used).enumerated() where k == 3 || k == 4 { specials.insert(id) }
        }
        var eos: Int?
        if let e = g["tokenizer.ggml.eos_token_id"] {
            guard let i = e.intValue, i >= 0, i < tokens.count else {
                throw bad("tokenizer.ggml.eos_token_id \(e.summary) is not a token id (0..<\(tokens.count))")
            }
            eos = i
        }
        do {
            return try Vocabulary.load(byteLevelTokens: tokens, merges: merges, specialIDs: specials, eosID: eos, source: path)
        } catch {
            throw bad("cannot read the tokenizer: \(error)")
        }
    }
}
