import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// A Hugging Face GPT-2 saved with `torch.save` (`pytorch_model.bin`, or shards
/// `pytorch_model-0000N-of-0000M.bin` listed by `pytorch_model.bin.index.json`), or any
/// torch.save file holding a GPT-2 state dict with HF keys: `config.json` and the tokenizer
/// files beside it.
///
/// Keys and layouts are those of `model.safetensors` (`HFTensorNames`): Conv1D weights `[in,
/// out]` are transposed to canonical `[out, in]`; the buffers `attn.bias` / `attn.masked_bias`
/// that transformers 4.x saved are ignored; `lm_head.weight` is the tied embedding (the same
/// storage) and is not stored twice. A file whose root is `{"state_dict": sd}` or
/// `{"model": sd}` (common training wrappers) is read through to `sd`.
public struct PyTorchBinCheckpoint: Checkpoint, @unchecked Sendable {
    /// Hugging Face's single-file weights name.
    public static let fileName = "pytorch_model.bin"
    /// Hugging Face's shard index name.
    public static let indexFile = "pytorch_model.bin.index.json"

    /// Always `.pytorchBin`.
    public let layout = CheckpointLayout.pytorchBin
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

    /// `path`: `pytorch_model.bin` (or another torch.save file), `pytorch_model.bin.index.json`,
    /// or the directory holding either.
    public init(path: String) throws {
        var weights = path
        if Paths.isDirectory(path) {
            let index = Paths.join(path, Self.indexFile)
            weights = Paths.isFile(index) ? index : Paths.join(path, Self.fileName)
        }
        let dir = Paths.directory(of: weights)
        let configPath = Paths.join(dir, "config.json")
        guard Paths.isFile(configPath) else {
            throw CheckpointError(.badConfig, file: configPath, "config.json not found beside the weights",
                                  hint: "pytorch_model.bin needs the model's config.json in the same directory")
        }
        let files = weights.hasSuffix(".index.json") ? try Self.openShards(index: weights, dir: dir)
                                                     : [try TorchFile(path: weights)]
        try self.init(files: files, config: HFConfig.load(path: configPath), configPath: configPath,
                      index: weights.hasSuffix(".index.json") ? weights : nil,
                      vocabulary: VocabularyBeside.load(dir: dir))
    }

    init(files: [TorchFile], config: GPT2Config, configPath: String, index: String? = nil,
         vocabulary: Vocabulary?) throws {
        self.config = config
        self.vocabulary = vocabulary
        let mainFile = index ?? files[0].path
        var byName: [String: TensorSource] = [:]
        var sourceKey: [String: String] = [:]
        var wte: (tensor: TorchTensorRef, file: String)?
        var head: (TorchStateDict, TorchStateDict.Item)?
        var infos: [SourceTensorInfo] = []
        for file in files {
            let sd = try TorchStateDict(Self.stateDict(file.root), in: file, what: "the state dict")
            infos += sd.sourceInfos
            for item in sd.items {
                guard let role = HFTensorNames.role(of: item.key) else {
                    throw CheckpointError(.unknownTensor, file: file.path, offset: file.start(of: item.tensor),
                                          "\(item.key) is not a GPT-2 tensor",
                                          hint: "expected GPT2LMHeadModel keys such as transformer.h.0.attn.c_attn.weight")
                }
                switch role {
                case .buffer:
                    continue
                case .head:
                    head = (sd, item)
                case let .tensor(name, conv1D):
                    if let other = sourceKey[name] {
                        throw CheckpointError(.duplicateName, file: file.path, "\(item.key) and \(other) are both \(name)",
                                              hint: "keep either the transformer.-prefixed keys or the bare ones")
                    }
                    if name == TensorName.tokenEmbedding { wte = (item.tensor, file.path) }
                    sourceKey[name] = item.key
                    byName[name] = try sd.source(item, canonical: name, transposed: conv1D)
                }
            }
        }
        // An untied head is a tensor of its own; a tied one is wte's storage saved again.
        if let (sd, item) = head, !config.tiedHead {
            byName[TensorName.head] = try sd.source(item, canonical: TensorName.head, transposed: false)
            sourceKey[TensorName.head] = item.key
        } else if let (sd, item) = head, let wte, sd.file.path != wte.file || !TorchStateDict.sameData(item.tensor, wte.tensor) {
            throw CheckpointError(.unsupported, file: sd.file.path, offset: sd.file.start(of: item.tensor),
                                  "lm_head.weight differs from the token embedding but config.json ties them",
                                  hint: "set tie_word_embeddings to false in config.json if the head is separate")
        }
        sourceTensors = infos
        sourceFiles = [configPath] + (index.map { [$0] } ?? []) + files.map(\.path)
        table = try TensorTable(config: config, byName: byName, file: mainFile,
                                sourceName: { sourceKey[$0] ?? $0 })
    }

    /// One canonical tensor in canonical layout, in the source element type.
    public func load(_ name: String) throws -> TensorData { try table.load(name) }
    /// `load(name)` with the transposes split over `threads`.
    public func load(_ name: String, threads: Int) throws -> TensorData { try table.load(name, threads: threads) }

    /// The state dict in a file's root, looking through a one-entry `{"state_dict": sd}` or
    /// `{"model": sd}` wrapper.
    static func stateDict(_ root: PickleValue) -> PickleValue {
        for wrapper in ["state_dict", "model"] {
            if let inner = root[wrapper], inner.asDict != nil, root.asDict?.count == 1 { return inner }
        }
        return root
    }

    /// Opens the shards the index names (`{"weight_map": {key: shard file}}`), checking that
    /// each key is in the shard the index says and that every listed key exists.
    static func openShards(index: String, dir: String) throws -> [TorchFile] {
        // Non-string keys are skipped here: TorchStateDict reports them.
        try ShardIndex.openShards(index: index, dir: dir, open: { try TorchFile(path: $0) }, path: { $0.path },
                                  entries: { f in (stateDict(f.root).asDict ?? []).compactMap { e in
                                      e.key.asString.map { ShardIndex.Entry(name: $0, offset: nil) } } })
    }
}
