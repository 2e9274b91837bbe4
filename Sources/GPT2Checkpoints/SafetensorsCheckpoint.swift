import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// A Hugging Face GPT-2 in safetensors: `model.safetensors`, or shards
/// `model-0000N-of-0000M.safetensors` listed by `model.safetensors.index.json`
/// (`{"metadata": {...}, "weight_map": {tensor: shard file}}`), with `config.json` and the
/// tokenizer (`vocab.json` + `merges.txt` or `tokenizer.json`) in the same directory.
public struct SafetensorsCheckpoint: Checkpoint, @unchecked Sendable {
    /// Hugging Face's single-file weights name.
    public static let singleFile = "model.safetensors"
    /// Hugging Face's shard index name.
    public static let indexFile = "model.safetensors.index.json"

    /// Always `.safetensors`.
    public let layout = CheckpointLayout.safetensors
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

    /// `path`: a directory, a `.safetensors` file, or a `.safetensors.index.json` file.
    public init(path: String) throws {
        var weights = path
        let dir: String
        if Paths.isDirectory(path) {
            dir = path
            let index = Paths.join(dir, Self.indexFile)
            weights = Paths.isFile(index) ? index : Paths.join(dir, Self.singleFile)
        } else {
            dir = Paths.directory(of: path)
        }
        let configPath = Paths.join(dir, "config.json")
        guard Paths.isFile(configPath) else {
            throw CheckpointError(.badConfig, file: configPath, "config.json not found beside the weights",
                                  hint: "safetensors weights need the model's config.json in the same directory")
        }
        config = try HFConfig.load(path: configPath)

        let files: [SafetensorsFile]
        if weights.hasSuffix(".index.json") {
            files = try Self.openShards(index: weights, dir: dir)
            sourceFiles = [configPath, weights] + files.map(\.file.path)
        } else {
            files = [try SafetensorsFile(path: weights)]
            sourceFiles = [configPath, weights]
        }
        var infos: [SourceTensorInfo] = []
        var byName: [String: TensorSource] = [:]
        var sourceKey: [String: String] = [:]
        for f in files {
            for e in f.entries {
                // Buffers of other dtypes (a BOOL attn.bias mask) have no ElementType to list.
                if let type = e.type {
                    infos.append(SourceTensorInfo(name: e.name, shape: e.shape, type: type,
                                                  offset: e.range.lowerBound, file: f.file.path))
                }
                guard let source = try Self.source(e, file: f.file, config: config) else { continue }
                let name = source.info.name
                if let other = sourceKey[name] {
                    throw CheckpointError(.duplicateName, file: f.file.path, offset: e.range.lowerBound,
                                          "\(e.name) and \(other) are both \(name)",
                                          hint: "keep either the transformer.-prefixed keys or the bare ones")
                }
                sourceKey[name] = e.name
                byName[name] = source
            }
        }
        sourceTensors = infos
        table = try TensorTable(config: config, byName: byName, file: weights,
                                sourceName: { sourceKey[$0] ?? $0 })
        vocabulary = try VocabularyBeside.load(dir: dir, config: config)
    }

    /// One canonical tensor in canonical layout, in the source element type.
    public func load(_ name: String) throws -> TensorData { try table.load(name) }
    /// `load(name)` with the transposes split over `threads`.
    public func load(_ name: String, threads: Int) throws -> TensorData { try table.load(name, threads: threads) }

    /// The canonical tensor an entry provides (nil for ignored buffers and a tied head).
    static func source(_ e: SafetensorsFile.Entry, file: MappedFile, config: GPT2Config) throws -> TensorSource? {
        guard let role = HFTensorNames.role(of: e.name) else {
            throw CheckpointError(.unknownTensor, file: file.path, offset: e.range.lowerBound,
                                  "\(e.name) is not a GPT-2 tensor",
                                  hint: "expected GPT2LMHeadModel keys such as transformer.h.0.attn.c_attn.weight")
        }
        if role == .buffer { return nil }
        guard let type = e.type else {
            throw CheckpointError(.unsupportedDType, file: file.path, offset: e.range.lowerBound,
                                  "\(e.name) has dtype \(e.dtype)", hint: "weights must be F32, F16 or BF16")
        }
        switch role {
        case .buffer:
            return nil
        case .head:
            if config.tiedHead { return nil }
            return TensorSource(info: CanonicalTensorInfo(name: TensorName.head, shape: e.shape, type: type),
                                file: file, range: e.range)
        case let .tensor(name, conv1D):
            if conv1D {
                guard e.shape.count == 2 else {
                    throw CheckpointError(.shapeMismatch, file: file.path, offset: e.range.lowerBound,
                                          "\(e.name): Conv1D weight has shape \(e.shape), expected [in, out]")
                }
                return TensorSource(info: CanonicalTensorInfo(name: name, shape: [e.shape[1], e.shape[0]], type: type),
                                    file: file, range: e.range,
                                    transform: .transpose(rows: e.shape[0], cols: e.shape[1]))
            }
            return TensorSource(info: CanonicalTensorInfo(name: name, shape: e.shape, type: type),
                                file: file, range: e.range)
        }
    }

    /// Opens the shards an index names, checking that each tensor is where the index says.
    static func openShards(index: String, dir: String) throws -> [SafetensorsFile] {
        try ShardIndex.openShards(index: index, dir: dir, open: { try SafetensorsFile(path: $0) },
                                  path: { $0.file.path },
                                  entries: { $0.entries.map { ShardIndex.Entry(name: $0.name, offset: $0.range.lowerBound) } })
    }
}
