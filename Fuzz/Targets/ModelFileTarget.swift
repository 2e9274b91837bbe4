@testable import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer
@testable import GPT2Checkpoints

let modelFileTargets: [FuzzTarget] = [
    FuzzTarget(name: "modelfile", about: "a GPT2Kit model file: open, every tensor, checksums, byteplanes-zstd") { bytes in
        let path = Scratch.write(bytes, "m.gpt2kit")
        let file = try ModelFile(path: path)
        try file.decodeAll(threads: 1)
        try file.verifyAll(threads: 1)
        for t in file.tensors { _ = try file.tensorData(t.name) }
        if file.config != nil { try drain(ModelFileCheckpoint(path: path)) }
    },
    // The header CRC stops mutated metadata in `modelfile`; here the bytes are the metadata
    // itself. Differential: the token-list path (MetadataTokenList) must read every document as
    // json-c's parse of the whole of it does, or fail where it fails.
    FuzzTarget(name: "modelfile-metadata", about: "a model file's JSON metadata: the token-list path against json-c's whole parse") { bytes in
        let fast = bytes.withUnsafeBytes { b in
            Result { () throws(FileLayout.MetadataParseError) in try FileLayout.parseMetadata(b) }
        }
        let whole = bytes.withUnsafeBytes { b in
            Result { () throws(FileLayout.MetadataParseError) in try FileLayout.parseJSON(b) }
        }
        switch (fast, whole) {
        case (.success(let (json, tokens)), .success(let full)):
            let a = Result { () throws(ModelFileError) in try ModelMetadata(json: json, tokens: tokens, file: "m", at: 0) }
            let b = Result { () throws(ModelFileError) in try ModelMetadata(json: full, file: "m", at: 0) }
            switch (a, b) {
            case (.success(let x), .success(let y)): precondition(x == y, "the token-list path read other metadata")
            case (.failure(let x), .failure(let y)): precondition(x.kind == y.kind, "the paths fail differently")
            default: preconditionFailure("one path accepted what the other refused")
            }
        case (.failure(let x), .failure(let y)):
            precondition(x.offset == y.offset, "the paths report different offsets")
        default: preconditionFailure("one parse accepted what the other refused")
        }
    },
]

/// Model files for the seed corpus, written by our own writer (`Tools/fuzz --seeds`): small
/// alignment so that every region fits in a few kB, compressible payloads so that the zstd
/// path is taken, and a tiny GPT-2 so the checkpoint reader runs too.
func writeModelFileSeeds(to dir: String) throws {
    let vocabulary = Companions.vocabulary
    // Small values: the exponent plane compresses, so byteplanes-zstd keeps zstd frames.
    func floats(_ n: Int, _ type: ElementType) -> [UInt8] {
        let f = (0..<n).map { Float(($0 % 7) - 3) * 0.125 }
        switch type {
        case .f32: return f.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        default: return f.flatMap { withUnsafeBytes(of: UInt16($0.bitPattern >> 16).littleEndian, Array.init) }
        }
    }
    let plain = "\(dir)/container.gpt2kit"
    let w = try ModelFileWriter(path: plain, metadata: ModelMetadata(architecture: "fuzz", vocabulary: vocabulary), alignment: 64)
    _ = try w.add(TensorData(name: "a", shape: [4, 8], type: .f32, bytes: floats(32, .f32)))
    _ = try w.add(TensorData(name: "b", shape: [256], type: .bf16, bytes: floats(256, .bf16)), codec: .bytePlanesZstd, threads: 1)
    _ = try w.add(TensorData(name: "c", shape: [64], type: .f32, bytes: floats(64, .f32)), codec: .bytePlanesZstd, threads: 1)
    _ = try w.add(TensorData(name: "s", shape: [], type: .f32, bytes: floats(1, .f32)))
    try w.finish()

    let config = GPT2Config(nLayer: 1, nHead: 1, nEmbd: 4, nCtx: 2, vocabSize: vocabulary.count,
                            paddedVocabSize: vocabulary.count, layerNormEpsilon: 1e-5,
                            activation: .geluTanh, bias: true, tiedHead: true)
    let w2 = try ModelFileWriter(path: "\(dir)/gpt2.gpt2kit", metadata: nil, alignment: 64)
    for t in TensorName.gpt2Tensors(config) {
        let n = t.shape.reduce(1, *)
        _ = try w2.add(TensorData(name: t.name, shape: t.shape, type: .f32, bytes: floats(n, .f32)),
                       codec: n >= 64 ? .bytePlanesZstd : .raw, threads: 1)
    }
    try w2.finish(metadata: ModelMetadata(config: config, vocabulary: vocabulary))

    // A bigram model file (BigramLayout: config, n_embd = vocab_size, the [V, V] table).
    let w3 = try ModelFileWriter(path: "\(dir)/bigram.gpt2kit", metadata: ModelMetadata(
        architecture: BigramLayout.architecture, config: BigramLayout.config(vocabularySize: 4, contextLength: 8)), alignment: 64)
    _ = try w3.add(TensorData(name: BigramLayout.tableName, shape: [4, 4], type: .f32, bytes: floats(16, .f32)))
    try w3.finish()
}

/// The metadata documents of the model-file seeds, for `modelfile-metadata`.
func writeMetadataSeeds(to dir: String) {
    let v = Companions.vocabulary
    let config = GPT2Config(nLayer: 1, nHead: 1, nEmbd: 4, nCtx: 2, vocabSize: v.count, paddedVocabSize: v.count,
                            layerNormEpsilon: 1e-5, activation: .geluTanh, bias: true, tiedHead: true)
    Scratch.write(ModelMetadata(config: config, vocabulary: v).json.serialized(), "gpt2.json", in: dir)
    Scratch.write(ModelMetadata(architecture: "fuzz", vocabulary: v).json.serialized(), "container.json", in: dir)
    Scratch.write(ModelMetadata(architecture: BigramLayout.architecture,
                                config: BigramLayout.config(vocabularySize: 4, contextLength: 8)).json.serialized(), "bigram.json", in: dir)
}
