import Foundation
import Testing
import GPT2ModelFile
import GPT2Tokenizer
@testable import GPT2Checkpoints

/// An in-memory checkpoint: canonical tensors of a small config with deterministic values.
struct FakeCheckpoint: Checkpoint {
    var layout = CheckpointLayout.safetensors
    var config = GPT2Config(nLayer: 2, nHead: 2, nEmbd: 32, nCtx: 8, vocabSize: 40, paddedVocabSize: 64,
                            layerNormEpsilon: 1e-5, activation: .geluErf, bias: true, tiedHead: false)
    var vocabulary: Vocabulary? = Vocabulary(tokens: (0..<40).map { [UInt8($0 + 40)] }, specialTokens: ["<|endoftext|>": 39], eosID: 39)
    var sourceFiles: [String] = []
    var type = ElementType.f32
    var failAt: String? = nil
    var sourceTensors: [SourceTensorInfo] { tensors.map { SourceTensorInfo(name: "src." + $0.name, shape: $0.shape, type: $0.type) } }
    var tensors: [CanonicalTensorInfo] { TensorName.gpt2Tensors(config).map { CanonicalTensorInfo(name: $0.name, shape: $0.shape, type: type) } }

    func load(_ name: String) throws -> TensorData {
        if name == failAt { throw CheckpointError(.corrupt, file: "fake", "injected failure at \(name)") }
        let shape = tensors.first { $0.name == name }!.shape
        let n = shape.reduce(1, *)
        var seed = name.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) }
        let values: [Float] = (0..<n).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed) >> 40) / Float(1 << 23) * 0.05
        }
        var bytes = values.withUnsafeBytes { Array($0) }
        if type == .bf16 { bytes = values.flatMap { v -> [UInt8] in let b = v.bitPattern >> 16; return [UInt8(b & 0xFF), UInt8(b >> 8)] } }
        return TensorData(name: name, shape: shape, type: type, bytes: bytes)
    }
}

@Suite struct ConverterTests {
    @Test(arguments: [(ElementType?.none, false), (nil, true), (.f16, false), (.bf16, true), (.q8_0, false)])
    func convertThenVerify(dtype: ElementType?, compress: Bool) throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        let src = dir + "/weights.bin"
        #expect(FileManager.default.createFile(atPath: src, contents: Data("abc".utf8)))
        var ck = FakeCheckpoint()
        ck.sourceFiles = [src]
        let out = dir + "/m.gpt2kit"
        let opts = ConvertOptions(dtype: dtype, compress: compress)
        var calls = 0, last = 0
        let summary = try Converter.convert(ck, to: out, options: opts) { done, total in calls += 1; last = done; #expect(done <= total) }
        #expect(calls == ck.tensors.count && last == summary.bytesIn)
        let report = try Converter.verify(ck, modelFile: out, options: opts)
        #expect(report.count == ck.tensors.count && report.allSatisfy(\.bitExact))
        let f = try ModelFile(path: out)
        #expect(f.config == ck.config && f.vocabulary == ck.vocabulary)
        #expect(f.metadata.provenance?.sourceFiles == [.init(path: "weights.bin", size: 3,
            sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")])
        #expect(f.metadata.provenance?.sourceLayout == "safetensors")
        for t in f.tensors {
            let source = try ck.load(t.name)
            if t.shape.count == 1 || dtype == nil {
                #expect(t.type == .f32)
                #expect(try f.tensorData(t.name).bytes == source.bytes, "\(t.name) lossless")
            } else {
                #expect(t.type == dtype)
                // f16 / bf16 / q8_0 error bounds: half an ulp (2^-11, 2^-8 relative) or half a q8 step.
                let maxErr = report.first { $0.name == t.name }!.maxAbsError
                let bound: Float = dtype == .f16 ? 0.05 * 0.0005 : dtype == .bf16 ? 0.05 * 0.004 : 0.05 / 127
                #expect(maxErr > 0 && maxErr <= bound, "\(t.name) \(maxErr)")
            }
        }
        if dtype == .f16 {
            // Exactly IEEE binary16 round-to-nearest-even (Swift's Float16 conversion).
            let d = try f.tensorData("wte.weight"), s = try ck.load("wte.weight")
            let want = s.bytes.withUnsafeBytes { $0.bindMemory(to: Float.self).flatMap { v -> [UInt8] in
                let b = Float16(v).bitPattern; return [UInt8(b & 0xFF), UInt8(b >> 8)] } }
            #expect(d.bytes == want)
        }
        if compress { #expect(f.tensors.contains { $0.codec == .bytePlanesZstd }) }
    }

    @Test func bf16SourceKeepsItsBytesAndConvertsUpExactly() throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        var ck = FakeCheckpoint()
        ck.type = .bf16
        try Converter.convert(ck, to: dir + "/a", options: ConvertOptions())
        try Converter.convert(ck, to: dir + "/b", options: ConvertOptions(dtype: .f32))
        let a = try ModelFile(path: dir + "/a"), b = try ModelFile(path: dir + "/b")
        let src = try ck.load("h.0.mlp.fc.weight")
        #expect(try a.tensorData(src.name).bytes == src.bytes)
        let up = try b.tensorData(src.name)
        #expect(up.type == .f32)
        for i in 0..<(src.bytes.count / 2) {   // bf16 -> f32 is the bits shifted up: exact
            #expect(up.bytes[4 * i] == 0 && up.bytes[4 * i + 1] == 0)
            #expect(up.bytes[4 * i + 2] == src.bytes[2 * i] && up.bytes[4 * i + 3] == src.bytes[2 * i + 1])
        }
    }

    @Test func failedConversionLeavesNothing() throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        var ck = FakeCheckpoint()
        ck.failAt = "h.1.mlp.fc.weight"
        #expect(throws: CheckpointError.self) { try Converter.convert(ck, to: dir + "/m.gpt2kit", options: ConvertOptions()) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        ck.failAt = nil
        ck.sourceFiles = [dir + "/missing.bin"]   // provenance hashing fails
        #expect(throws: CheckpointError.self) { try Converter.convert(ck, to: dir + "/m.gpt2kit", options: ConvertOptions()) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func verifyFindsAFileThatDiffersFromTheSource() throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        let ck = FakeCheckpoint()
        try Converter.convert(ck, to: dir + "/m", options: ConvertOptions())
        var other = FakeCheckpoint()
        other.config.activation = .geluTanh
        #expect(throws: CheckpointError.self) { try Converter.verify(other, modelFile: dir + "/m", options: ConvertOptions()) }
        #expect(throws: CheckpointError.self) { try Converter.verify(ck, modelFile: dir + "/m", options: ConvertOptions(dtype: .f16)) }
    }
}

/// Every layout of the shared tiny GPT-2 converts to the same canonical tensors.
@Suite(.enabled(if: TestPaths.tiny != nil, "../shared/checkpoints/tiny is absent"))
struct TinyConversionTests {
    @Test func everyLayoutGivesIdenticalCanonicalTensors() throws {
        let tiny = TestPaths.tiny!
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        var files: [(String, ModelFile)] = []
        for layout in ["hf-safetensors", "hf-bin", "nanogpt", "openai-tf", "llmc"] {
            let ck: any Checkpoint
            do { ck = try CheckpointLoader.open(tiny + "/" + layout) } catch let e as CheckpointError where e.kind == .unknownLayout {
                continue   // that reader has not landed yet
            }
            let out = dir + "/\(layout).gpt2kit"
            try Converter.convert(ck, to: out, options: ConvertOptions(compress: true))
            _ = try Converter.verify(ck, modelFile: out, options: ConvertOptions(compress: true))
            let f = try ModelFile(path: out)
            #expect(f.config?.vocabSize == 50257 && f.config?.nLayer == 2)
            #expect(f.vocabulary == ck.vocabulary)
            if let v = f.vocabulary {
                #expect(v.count == 50257 && v.eosID == 50256, "\(layout) tokenizer")
                #expect(v.tokens[31373] == Array("hello".utf8), "\(layout) tokenizer")   // tiktoken: "hello" = 31373
            }
            #expect(f.metadata.provenance?.sourceFiles.allSatisfy { $0.sha256.count == 64 } == true)
            files.append((layout, f))
        }
        #expect(files.map(\.0) == ["hf-safetensors", "hf-bin", "nanogpt", "openai-tf", "llmc"])
        for (layout, f) in files {
            // The activation is carried through: nanoGPT's nn.GELU() is the erf form, the others tanh.
            #expect(f.config?.activation == (layout == "nanogpt" ? .geluErf : .geluTanh), "\(layout)")
            #expect(f.config?.paddedVocabSize == (layout == "nanogpt" || layout == "llmc" ? 50304 : 50257), "\(layout)")
            #expect(f.metadata.provenance?.sourceLayout == ["hf-safetensors": "safetensors", "hf-bin": "pytorch_bin",
                    "nanogpt": "nanogpt", "openai-tf": "tensorflow", "llmc": "llmc"][layout])
        }
        let (refName, ref) = files[0]
        for (name, f) in files.dropFirst() {
            #expect(f.tensors.map(\.name) == ref.tensors.map(\.name))
            for t in ref.tensors {
                #expect(try f.tensorData(t.name) == ref.tensorData(t.name), "\(name) vs \(refName): \(t.name)")
            }
        }
    }
}
