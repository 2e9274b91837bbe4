import GPT2ModelFile
import GPT2Tokenizer

/// The checkpoint layouts GPT2Kit reads.
public enum CheckpointLayout: String, Sendable, Equatable, CaseIterable {
    case safetensors        // Hugging Face model.safetensors (single or sharded) + config.json
    case pytorchBin = "pytorch_bin"   // Hugging Face pytorch_model.bin / any torch.save state dict
    case tensorflow         // OpenAI's GPT-2 release: model.ckpt.{index,data-*} + hparams.json
    case nanoGPT = "nanogpt" // nanoGPT ckpt.pt (+ optional meta.pkl)
    case llmc               // llm.c gpt2_*.bin (+ gpt2_tokenizer.bin)
    case gpt2kit            // our own model file, re-encoded (ModelFileCheckpoint)
    case gguf               // llama.cpp GGUF, architecture gpt2 (GGUFCheckpoint)
}

/// A tensor as the source file stores it (for `inspect` of a source checkpoint).
public struct SourceTensorInfo: Sendable, Equatable {
    /// The source's own name, e.g. `transformer.h.0.attn.c_attn.weight`.
    public var name: String
    /// Shape as stored.
    public var shape: [Int]
    /// Element type as stored.
    public var type: ElementType
    /// Byte offset of its data in `file`, when it has one.
    public var offset: Int?
    /// File holding the data (shards, TF data files, zip members).
    public var file: String?

    /// A source tensor record.
    public init(name: String, shape: [Int], type: ElementType, offset: Int? = nil, file: String? = nil) {
        self.name = name
        self.shape = shape
        self.type = type
        self.offset = offset
        self.file = file
    }
}

/// A canonical tensor a checkpoint can produce (name and shape per `TensorName`).
public struct CanonicalTensorInfo: Sendable, Equatable {
    /// Canonical name (`TensorName`).
    public var name: String
    /// Canonical shape, `[out, in]` for matrices.
    public var shape: [Int]
    /// Element type in the source (f32, f16, bf16; q8_0 from a model file).
    public var type: ElementType

    /// A canonical tensor record.
    public init(name: String, shape: [Int], type: ElementType) {
        self.name = name
        self.shape = shape
        self.type = type
    }
}

/// An opened source checkpoint: hyperparameters, tokenizer and canonical tensors loaded one at
/// a time, so conversion holds at most one tensor in memory.
public protocol Checkpoint {
    var layout: CheckpointLayout { get }
    var config: GPT2Config { get }
    /// The tokenizer found beside the weights, if any.
    var vocabulary: Vocabulary? { get }
    /// Files the checkpoint was read from (for provenance hashes).
    var sourceFiles: [String] { get }
    /// Tensors exactly as stored in the source.
    var sourceTensors: [SourceTensorInfo] { get }
    /// Canonical tensors in file order (`TensorName.gpt2Tensors(config)`).
    var tensors: [CanonicalTensorInfo] { get }
    /// One canonical tensor in canonical layout (`[out, in]`, padding rows dropped), in the
    /// source's element type.
    func load(_ name: String) throws -> TensorData
    /// `load(name)` with the work that splits (transposing Conv1D / TF weights) on `threads`.
    func load(_ name: String, threads: Int) throws -> TensorData
}

extension Checkpoint {
    /// Readers with nothing to split just load.
    public func load(_ name: String, threads: Int) throws -> TensorData { try load(name) }
}
