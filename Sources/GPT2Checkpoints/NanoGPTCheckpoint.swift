import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// A nanoGPT training checkpoint, `ckpt.pt`: the dict `train.py` saves with torch.save —
/// `model` (the state dict), `optimizer`, `model_args`, `iter_num`, `best_val_loss`, `config`.
///
/// - `model_args` gives n_layer, n_head, n_embd, block_size, bias, vocab_size (dropout is
///   irrelevant to inference). The activation is the exact erf GELU (`nn.GELU()` in nanoGPT's
///   MLP), LayerNorm epsilon 1e-5 (`F.layer_norm`'s default there).
/// - State dict keys carry the `_orig_mod.` prefix torch.compile leaves (and `module.` from
///   DDP); the rest are HF's names, but weights are `nn.Linear` `[out, in]`: no transpose.
/// - `bias=False` models have no biases anywhere (LayerNorm included).
/// - The vocabulary is padded for GPU-friendly sizes (50257 → 50304): padding rows of `wte`
///   (and an untied head) are dropped; `paddedVocabSize` records the stored size.
/// - The optimizer state is parsed (it must not be hostile either) and otherwise ignored.
/// - Tokenizer: `meta.pkl` beside the checkpoint (character level), else the `vocabulary`
///   the caller passes, else for a stored vocabulary of 50304 / 50257 GPT-2's BPE (what
///   nanoGPT trains with; `Vocabulary.loadDefault()`), which the checkpoint does not contain.
///   Without a tokenizer, 50304 stored rows are taken as GPT-2's 50257 padded.
public struct NanoGPTCheckpoint: Checkpoint, @unchecked Sendable {
    /// The file nanoGPT's train.py writes.
    public static let fileName = "ckpt.pt"
    /// GPT-2's vocabulary size.
    public static let gpt2VocabSize = 50257
    /// nanoGPT's padded GPT-2 vocabulary (a multiple of 64).
    public static let gpt2PaddedVocabSize = 50304

    /// Always `.nanoGPT`.
    public let layout = CheckpointLayout.nanoGPT
    /// Hyperparameters read from the checkpoint.
    public let config: GPT2Config
    /// The tokenizer found with the weights, if any.
    public let vocabulary: Vocabulary?
    /// Files the checkpoint was read from (for provenance hashes).
    public let sourceFiles: [String]
    /// Tensors exactly as stored in the source.
    public let sourceTensors: [SourceTensorInfo]
    let table: TensorTable
    /// Canonical tensors in file order.
    public var tensors: [CanonicalTensorInfo] { table.infos }
    /// `iter_num` when the checkpoint has it (for `inspect`).
    public let iterNum: Int?

    /// `path`: `ckpt.pt` (or any torch.save file with nanoGPT's dict) or its directory.
    /// `vocabulary`: the tokenizer to use when there is no `meta.pkl` beside it.
    public init(path: String, vocabulary: Vocabulary? = nil) throws {
        let weights = Paths.isDirectory(path) ? Paths.join(path, Self.fileName) : path
        try self.init(file: TorchFile(path: weights), vocabulary: vocabulary)
    }

    init(file: TorchFile, vocabulary given: Vocabulary?) throws {
        let path = file.path
        func bad(_ msg: String, _ kind: CheckpointError.Kind = .badConfig) -> CheckpointError {
            CheckpointError(kind, file: path, msg, hint: "expected nanoGPT's checkpoint dict with model and model_args")
        }
        guard let args = file.root["model_args"], args.asDict != nil else { throw bad("no model_args dict") }
        guard let model = file.root["model"] else { throw bad("no model state dict") }
        func int(_ k: String) throws -> Int {
            guard let v = args[k]?.asInt else { throw bad("model_args[\(k)] missing or not an int") }
            return v
        }
        let stored = try int("vocab_size")
        let bias = args["bias"]?.asBool ?? true   // nanoGPT's GPTConfig default

        // Vocabulary: meta.pkl beside the checkpoint wins over the caller's.
        let metaPath = Paths.join(Paths.directory(of: path), NanoGPTMeta.fileName)
        var files = [path]
        let vocab: Vocabulary?
        if Paths.isFile(metaPath) {
            vocab = try NanoGPTMeta.load(path: metaPath)
            files.append(metaPath)
        } else if let given {
            vocab = given
        } else if stored == Self.gpt2PaddedVocabSize || stored == Self.gpt2VocabSize {
            // nanoGPT's own GPT-2 runs: its tokenizer is tiktoken's gpt2, GPT2Kit's default
            // vocabulary (nil when no default is installed; the caller can still pass one).
            vocab = try? Vocabulary.loadDefault()
        } else {
            vocab = nil
        }
        let real = vocab?.count ?? (stored == Self.gpt2PaddedVocabSize ? Self.gpt2VocabSize : stored)
        guard real <= stored else {
            throw CheckpointError(.shapeMismatch, file: path,
                                  "the tokenizer has \(real) ids but the model only \(stored) embeddings",
                                  hint: "use the tokenizer the model was trained with")
        }
        let config = GPT2Config(nLayer: try int("n_layer"), nHead: try int("n_head"), nEmbd: try int("n_embd"),
                                nCtx: try int("block_size"), vocabSize: real, paddedVocabSize: stored,
                                layerNormEpsilon: 1e-5, activation: .geluErf, bias: bias, tiedHead: true)
        try ConfigChecks.validate(config, file: path)

        let sd = try TorchStateDict(model, in: file, what: "model")
        var byName: [String: TensorSource] = [:]
        var sourceKey: [String: String] = [:]
        var wte: TorchStateDict.Item?, head: TorchStateDict.Item?
        for item in sd.items {
            var key = Substring(item.key)
            for prefix in ["_orig_mod.", "module."] where key.hasPrefix(prefix) { key = key.dropFirst(prefix.count) }
            guard let role = HFTensorNames.role(of: String(key)) else {
                throw CheckpointError(.unknownTensor, file: path, offset: file.start(of: item.tensor),
                                      "\(item.key) is not a nanoGPT GPT-2 tensor",
                                      hint: "expected keys such as _orig_mod.transformer.h.0.attn.c_attn.weight")
            }
            switch role {
            case .buffer: continue                       // the causal mask of torch < 2.0
            case .head: head = item
            case .tensor(let name, _):                    // nn.Linear: already [out, in]
                if let other = sourceKey[name] {
                    throw CheckpointError(.duplicateName, file: path, "\(item.key) and \(other) are both \(name)")
                }
                sourceKey[name] = item.key
                if name == TensorName.tokenEmbedding {
                    wte = item
                    guard item.tensor.shape == [stored, config.nEmbd] else {
                        throw CheckpointError(.shapeMismatch, file: path, offset: file.start(of: item.tensor),
                                              "\(item.key) has shape \(item.tensor.shape), model_args imply [\(stored), \(config.nEmbd)]")
                    }
                    byName[name] = try sd.source(item, canonical: name, transposed: false, keepRows: real)
                } else {
                    byName[name] = try sd.source(item, canonical: name, transposed: false)
                }
            }
        }
        // nanoGPT ties lm_head to wte (weight tying: one storage). A head with its own data
        // makes an untied model.
        var final = config
        if let head, let wte, !TorchStateDict.sameData(head.tensor, wte.tensor) {
            final.tiedHead = false
            sourceKey[TensorName.head] = head.key
            byName[TensorName.head] = try sd.source(head, canonical: TensorName.head, transposed: false, keepRows: real)
        }
        self.config = final
        vocabulary = vocab
        iterNum = file.root["iter_num"]?.asInt
        sourceTensors = sd.sourceInfos
        sourceFiles = files
        table = try TensorTable(config: final, byName: byName, file: path, sourceName: { sourceKey[$0] ?? $0 })
    }

    /// One canonical tensor in canonical layout, in the source element type.
    public func load(_ name: String) throws -> TensorData { try table.load(name) }
    /// `load(name)` with the transposes split over `threads`.
    public func load(_ name: String, threads: Int) throws -> TensorData { try table.load(name, threads: threads) }
}
