import GPT2ModelFile
import GPT2Tokenizer
import GPT2Support

/// A GPT2Kit model file read back as a conversion source, so `gpt2kit convert` can re-encode
/// one: another `--dtype` (f32 -> q8_0 without the original checkpoint, as `llama-quantize`
/// does for GGUF; q8_0 -> f32 dequantizes), `--compress` or not, or a tokenizer embedded with
/// `--vocab`. The file is opened with the model-file reader (every header and table check of
/// FORMAT.md), each tensor's CRC32C is checked before its bytes are handed on (a corrupted
/// file is not silently re-encoded), and only architecture "gpt2" files whose tensors are
/// exactly the canonical set are accepted: nothing in the source is dropped.
public struct ModelFileCheckpoint: Checkpoint, @unchecked Sendable {
    /// Always `.gpt2kit`.
    public let layout = CheckpointLayout.gpt2kit
    /// Hyperparameters read from the checkpoint.
    public let config: GPT2Config
    /// The tokenizer found with the weights, if any.
    public let vocabulary: Vocabulary?
    /// Files the checkpoint was read from (for provenance hashes).
    public let sourceFiles: [String]
    /// Tensors exactly as stored in the source.
    public let sourceTensors: [SourceTensorInfo]
    /// Canonical tensors in file order.
    public let tensors: [CanonicalTensorInfo]
    private let file: ModelFile

    /// Opens and validates the checkpoint at `path`; throws `CheckpointError`.
    public init(path: String) throws {
        let file = try ModelFile(path: path)
        guard let config = file.config else {
            throw CheckpointError(.unsupported, file: path,
                                  "architecture \"\(file.metadata.architecture)\": only gpt2 model files convert",
                                  hint: "this GPT2Kit converts GPT-2 models only")
        }
        let canonical = TensorName.gpt2Tensors(config)
        var infos: [CanonicalTensorInfo] = []
        for (name, shape) in canonical {
            guard let t = file.info(name) else {
                throw CheckpointError(.missingTensor, file: path, "no tensor '\(name)' in a gpt2 model file",
                                      hint: "`gpt2kit inspect \(path)` lists its tensors")
            }
            guard t.shape == shape else {
                throw CheckpointError(.shapeMismatch, file: path, "\(name): shape \(t.shape), the config needs \(shape)")
            }
            infos.append(CanonicalTensorInfo(name: name, shape: shape, type: t.type))
        }
        let known = Set(canonical.map(\.name))
        if let extra = file.tensors.first(where: { !known.contains($0.name) }) {
            throw CheckpointError(.unknownTensor, file: path, "tensor '\(extra.name)' is not part of a gpt2 model",
                                  hint: "converting would drop it; inspect the file with `gpt2kit inspect`")
        }
        self.file = file
        self.config = config
        vocabulary = file.vocabulary
        sourceFiles = [path]
        sourceTensors = file.tensors.map { SourceTensorInfo(name: $0.name, shape: $0.shape, type: $0.type, offset: $0.offset, file: path) }
        tensors = infos
    }

    /// One canonical tensor in canonical layout, in the source element type.
    public func load(_ name: String) throws -> TensorData {
        try file.verify(name)
        return try file.tensorData(name)
    }
}
