import GPT2Support
import GPT2Tokenizer
@testable import GPT2Checkpoints

/// The fixtures the multi-file targets put beside the fuzzed file.
enum Companions {
    static let hfConfig = Scratch.read("Tests/GPT2CheckpointsTests/Fixtures/hf-f16/config.json")
    static let torchConfig = Scratch.read("Tests/GPT2CheckpointsTests/Fixtures/torch/hf-bin-f32/config.json")
    static let shardDir = "Tests/GPT2CheckpointsTests/Fixtures/hf-sharded"
    static let tfDir = "Tests/GPT2CheckpointsTests/Fixtures/tf"
    /// A small byte-level vocabulary for nanoGPT checkpoints without meta.pkl.
    static let vocabulary = try! Vocabulary.load(
        encoderJSON: "\(Scratch.root)/Tests/GPT2TokenizerTests/Fixtures/tiny-gpt2/encoder.json",
        vocabBPE: "\(Scratch.root)/Tests/GPT2TokenizerTests/Fixtures/tiny-gpt2/vocab.bpe")
}

let safetensorsTargets: [FuzzTarget] = [
    FuzzTarget(name: "safetensors", about: "model.safetensors beside a fixed config.json: header, every tensor") { bytes in
        let dir = Scratch.subdirectory("st")
        Scratch.write(Companions.hfConfig, "config.json", in: dir)
        let path = Scratch.write(bytes, "model.safetensors", in: dir)
        let file = try SafetensorsFile(path: path)
        for e in file.entries { _ = try file.file.bytes(at: e.range.lowerBound, count: e.range.count) }
        try drain(SafetensorsCheckpoint(path: dir))
    },
    FuzzTarget(name: "safetensors-index", about: "model.safetensors.index.json over the fixture's two shards") { bytes in
        let dir = Scratch.subdirectory("sti")
        for f in ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
            Scratch.write(Shards.files[f]!, f, in: dir)
        }
        Scratch.write(bytes, "model.safetensors.index.json", in: dir)
        try drain(SafetensorsCheckpoint(path: dir))
    },
]

private enum Shards {
    static let files: [String: [UInt8]] = Dictionary(uniqueKeysWithValues:
        ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"].map {
            ($0, Scratch.read("\(Companions.shardDir)/\($0)"))
        })
}

let tfTargets: [FuzzTarget] = [
    FuzzTarget(name: "tf-index", about: "model.ckpt.index (LevelDB table) beside the fixture's data shards: every tensor") { bytes in
        let dir = Scratch.subdirectory("tf")
        for (name, data) in TFFixture.files { Scratch.write(data, name, in: dir) }
        let path = Scratch.write(bytes, "model.ckpt.index", in: dir)
        let table = try TFTable(file: MappedFile.checkpoint(path))
        for e in table.entries where !e.key.isEmpty {
            _ = try TFBundleEntry(ByteReader(bytes: e.value, file: path, origin: e.valueOffset), name: "t")
        }
        try drain(TFCheckpoint(path: dir))
    },
    FuzzTarget(name: "tf-entry", about: "one BundleEntryProto (protobuf) value") { bytes in
        _ = try TFBundleEntry(ByteReader(bytes: bytes, file: "entry"), name: "t")
    },
    FuzzTarget(name: "tf-data", about: "data shard 0 of the fixture's TF checkpoint: reads and crc32c") { bytes in
        let dir = Scratch.subdirectory("tfd")
        for (name, data) in TFFixture.files { Scratch.write(data, name, in: dir) }
        Scratch.write(TFFixture.index, "model.ckpt.index", in: dir)
        Scratch.write(bytes, "model.ckpt.data-00000-of-00002", in: dir)
        try drain(TFCheckpoint(path: dir))
    },
]

private enum TFFixture {
    static let files: [String: [UInt8]] = Dictionary(uniqueKeysWithValues:
        ["hparams.json", "model.ckpt.data-00000-of-00002", "model.ckpt.data-00001-of-00002"].map {
            ($0, Scratch.read("\(Companions.tfDir)/\($0)"))
        })
    static let index = Scratch.read("\(Companions.tfDir)/model.ckpt.index")
}

let llmcTargets: [FuzzTarget] = [
    FuzzTarget(name: "llmc-model", about: "llm.c gpt2_124M.bin: header and every tensor") { bytes in
        try drain(LLMCCheckpoint(path: Scratch.write(bytes, "model.bin")))
    },
    FuzzTarget(name: "llmc-tokenizer", about: "llm.c gpt2_tokenizer.bin, then a tokenizer on it") { bytes in
        try useVocabulary(Vocabulary.load(llmcTokenizer: Scratch.write(bytes, "gpt2_tokenizer.bin")))
    },
]
