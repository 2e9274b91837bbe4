import GPT2ModelFile
import GPT2Tokenizer

/// A Hugging Face GPT-2 saved with `torch.save` (`pytorch_model.bin`), or any torch.save file
/// holding a GPT-2 state dict with HF keys: `config.json` and the tokenizer files beside it.
///
/// Keys and layouts are those of `model.safetensors` (`HFTensorNames`): Conv1D weights `[in,
/// out]` are transposed to canonical `[out, in]`; the buffers `attn.bias` / `attn.masked_bias`
/// that transformers 4.x saved are ignored; `lm_head.weight` is the tied embedding (the same
/// storage) and is not stored twice. A file whose root is `{"state_dict": sd}` or
/// `{"model": sd}` (common training wrappers) is read through to `sd`.
public struct PyTorchBinCheckpoint: Checkpoint, @unchecked Sendable {
    public static let fileName = "pytorch_model.bin"

    public let layout = CheckpointLayout.pytorchBin
    public let config: GPT2Config
    public let vocabulary: Vocabulary?
    public let sourceFiles: [String]
    public let sourceTensors: [SourceTensorInfo]
    public let table: TensorTable
    public var tensors: [CanonicalTensorInfo] { table.infos }

    /// `path`: `pytorch_model.bin` (or another torch.save file) or the directory holding it.
    public init(path: String) throws {
        let weights = Paths.isDirectory(path) ? Paths.join(path, Self.fileName) : path
        let dir = Paths.directory(of: weights)
        let configPath = Paths.join(dir, "config.json")
        guard Paths.isFile(configPath) else {
            throw CheckpointError(.badConfig, file: configPath, "config.json not found beside the weights",
                                  hint: "pytorch_model.bin needs the model's config.json in the same directory")
        }
        try self.init(file: TorchFile(path: weights), config: HFConfig.load(path: configPath),
                      configPath: configPath, vocabulary: VocabularyBeside.load(dir: dir))
    }

    init(file: TorchFile, config: GPT2Config, configPath: String, vocabulary: Vocabulary?) throws {
        self.config = config
        self.vocabulary = vocabulary
        var root = file.root
        for wrapper in ["state_dict", "model"] {
            if let inner = root[wrapper], inner.asDict != nil, root.asDict?.count == 1 { root = inner }
        }
        let sd = try TorchStateDict(root, in: file, what: "the state dict")
        var byName: [String: TensorSource] = [:]
        var sourceKey: [String: String] = [:]
        var wte: TorchTensorRef?
        var head: TorchStateDict.Item?
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
                head = item
                continue
            case let .tensor(name, conv1D):
                if let other = sourceKey[name] {
                    throw CheckpointError(.duplicateName, file: file.path, "\(item.key) and \(other) are both \(name)",
                                          hint: "keep either the transformer.-prefixed keys or the bare ones")
                }
                if name == TensorName.tokenEmbedding { wte = item.tensor }
                sourceKey[name] = item.key
                byName[name] = try sd.source(item, canonical: name, transposed: conv1D)
            }
        }
        // An untied head is a tensor of its own; a tied one is wte's storage saved again.
        if let head, !config.tiedHead {
            byName[TensorName.head] = try sd.source(head, canonical: TensorName.head, transposed: false)
            sourceKey[TensorName.head] = head.key
        } else if let head, let wte, !TorchStateDict.sameData(head.tensor, wte) {
            throw CheckpointError(.unsupported, file: file.path, offset: file.start(of: head.tensor),
                                  "lm_head.weight differs from the token embedding but config.json ties them",
                                  hint: "set tie_word_embeddings to false in config.json if the head is separate")
        }
        sourceTensors = sd.sourceInfos
        sourceFiles = [configPath, file.path]
        table = try TensorTable(config: config, byName: byName, file: file.path,
                                sourceName: { sourceKey[$0] ?? $0 })
    }

    public func load(_ name: String) throws -> TensorData { try table.load(name) }
}
