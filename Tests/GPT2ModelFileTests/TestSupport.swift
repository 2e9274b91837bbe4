import Foundation
import Testing
@testable import GPT2ModelFile
import GPT2Tokenizer

/// Deterministic pseudo-random numbers for test data (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Roughly normal floats with std `scale` (sum of uniforms), like trained weights.
    mutating func weight(_ scale: Float) -> Float {
        var s: Float = 0
        for _ in 0..<4 { s += Float(next() >> 40) / Float(1 << 24) - 0.5 }
        return s * scale * 1.7
    }
}

/// A fresh empty directory, removed by the caller with `cleanup`.
func makeTempDir() -> String {
    let p = NSTemporaryDirectory() + "gpt2kit-mf-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
    return p
}

func cleanup(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

func floatBytes(_ v: [Float]) -> [UInt8] { v.withUnsafeBytes { Array($0) } }

/// vocabSize 11: the ten tokens plus `<|endoftext|>` = 10, which must have an embedding row.
let tinyConfig = GPT2Config(nLayer: 1, nHead: 2, nEmbd: 8, nCtx: 4, vocabSize: 11, paddedVocabSize: 16,
                            layerNormEpsilon: 1e-5, activation: .geluErf, bias: true, tiedHead: true)

let tinyVocabulary = Vocabulary(kind: .byteLevelBPE, tokens: (0..<9).map { [UInt8($0 + 65)] } + [[0xE2, 0x82]],
                                ranks: nil, specialTokens: ["<|endoftext|>": 10], eosID: 10)

func tinyMetadata() -> ModelMetadata {
    ModelMetadata(config: tinyConfig, vocabulary: tinyVocabulary,
                  provenance: Provenance(sourceLayout: "test", sourceFiles: [.init(path: "x.bin", size: 3, sha256: "ab")],
                                         tool: ModelMetadata.toolVersion))
}

/// The canonical tensors of `tinyConfig` with deterministic values, in f32.
func tinyTensors(seed: UInt64 = 1) -> [TensorData] {
    var g = SplitMix(seed: seed)
    return TensorName.gpt2Tensors(tinyConfig).map { t in
        let n = t.shape.reduce(1, *)
        return TensorData(name: t.name, shape: t.shape, type: .f32, bytes: floatBytes((0..<n).map { _ in g.weight(0.02) }))
    }
}

/// Writes the tiny model to `dir/name` and returns its path.
@discardableResult
func writeTinyModel(_ dir: String, name: String = "m.gpt2kit", codec: TensorCodec = .raw,
                    tensors: [TensorData] = tinyTensors()) throws -> String {
    let path = dir + "/" + name
    let w = try ModelFileWriter(path: path, metadata: tinyMetadata())
    for t in tensors { try w.add(t, codec: codec) }
    try w.finish()
    return path
}

func readFile(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path)!) }
func writeFile(_ path: String, _ bytes: [UInt8]) { #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes))) }

/// Expects `body` to throw a ModelFileError of `kind`, and returns it.
@discardableResult
func expectError(_ kind: ModelFileError.Kind, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Void) -> ModelFileError? {
    do {
        try body()
        Issue.record("expected \(kind), nothing thrown", sourceLocation: sourceLocation)
    } catch let e as ModelFileError {
        if e.kind != kind { Issue.record("expected \(kind), got \(e)", sourceLocation: sourceLocation) }
        #expect(!e.hint.isEmpty, sourceLocation: sourceLocation)
        return e
    } catch {
        Issue.record("expected ModelFileError.\(kind), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
