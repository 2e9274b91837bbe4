import GPT2Kernels
import Foundation
import Testing
import GPT2ModelFile
@testable import GPT2Runtime

/// Weights from a model file (raw tensors in place, compressed ones decoded) give exactly the
/// logits of the same tensors handed over in memory; broken files fail with typed errors.
@Suite struct ModelFileLoadTests {
    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "gpt2kit-runtime-\(getpid())-\(name)"
    }

    /// Writes the fixture variant's tensors (matrices re-encoded to `type`) to a model file.
    static func write(_ v: FixtureModels.Variant, type: ElementType, codec: TensorCodec,
                      architecture: String = "gpt2", to path: String) throws -> [ModelTensorInfo] {
        let w = try ModelFileWriter(path: path, metadata: ModelMetadata(architecture: architecture, config: v.config))
        for (name, _) in TensorName.gpt2Tensors(v.config) {
            let t = v.tensors[name]!
            try w.add(t.shape.count == 2 && type != .f32 ? FixtureModels.encode(t, as: type) : t, codec: codec)
        }
        try w.finish()
        return w.tensors
    }

    static func logits(_ w: GPT2Weights, _ ids: [Int]) throws -> [[Float]] {
        try ForwardPassTests.allLogits(try GPT2Model(weights: w), ids)
    }

    @Test(arguments: [(ElementType.f32, TensorCodec.raw), (.f32, .bytePlanesZstd), (.bf16, .bytePlanesZstd),
                      (.f16, .raw), (.q8_0, .raw)])
    func sameLogitsAsInMemory(_ type: ElementType, _ codec: TensorCodec) throws {
        for name in FixtureModels.names {
            let v = try FixtureModels.variant(name)
            let path = Self.temporaryPath("\(name)-\(type)-\(codec).gpt2")
            defer { unlink(path) }
            let infos = try Self.write(v, type: type, codec: codec, to: path)
            if type == .bf16 { #expect(infos.contains { $0.codec == .bytePlanesZstd }) }
            let fromFile = try GPT2Weights(path: path, threads: 2)
            let inMemory = try FixtureModels.weights(v, as: type)
            #expect(try Self.logits(fromFile, v.ids) == Self.logits(inMemory, v.ids), "\(name) \(type) \(codec)")
        }
    }

    /// The bias_erf fixture written as a model file of `type`, opened, its weights built.
    static func withWrittenFixture(_ type: ElementType, _ body: (ModelFile, GPT2Weights) throws -> Void) throws {
        let v = try FixtureModels.variant("bias_erf")
        let path = Self.temporaryPath("fixture-\(type).gpt2")
        defer { unlink(path) }
        _ = try Self.write(v, type: type, codec: .raw, to: path)
        let file = try ModelFile(path: path)
        try body(file, try GPT2Weights(modelFile: file, threads: 2))
    }

    @Test func rawTensorsAreNotCopied() throws {
        try Self.withWrittenFixture(.f32) { file, w in
            let mapped = try file.withTensor("h.0.attn.qkv.weight") { $0.bytes.baseAddress! }
            #expect(w.blocks[0].qkv.base == mapped)
        }
    }

    /// On a VNNI CPU every q8_0 matrix generation reads gets a packed copy (PackedQ8Weights);
    /// the embedding lookup keeps the file's bytes. Elsewhere nothing is packed. So the q8_0
    /// logits tests above run through the packed kernel on this machine kind.
    @Test func q8_0MatricesArePackedForGeneration() throws {
        try Self.withWrittenFixture(.q8_0) { file, w in
            let mapped = try file.withTensor(TensorName.fcWeight(0)) { $0.bytes.baseAddress! }
            #expect(w.blocks[0].fc.base == mapped)
            #expect(w.tokenEmbedding.packedQ8 == nil)
            let matrices = w.blocks.flatMap { [$0.qkv, $0.attnProj, $0.fc, $0.mlpProj] } + [w.head]
            for m in matrices where m.type == .q8_0 {
                #expect((m.packedQ8 != nil) == Kernels.selected.packsQ8)
            }
            #expect(matrices.contains { $0.type == .q8_0 })
        }
    }

    @Test func notAModelFile() throws {
        let path = Self.temporaryPath("not-a-model.txt")
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(String(repeating: "hello world\n", count: 100).utf8))
        #expect(throws: ModelFileError.self) { try GPT2Weights(path: path) }
        #expect(throws: ModelFileError.self) { try GPT2Weights(path: Self.temporaryPath("does-not-exist")) }
    }

    @Test func truncatedModelFile() throws {
        let v = try FixtureModels.variant("bias_erf")
        let path = Self.temporaryPath("truncated.gpt2")
        defer { unlink(path) }
        _ = try Self.write(v, type: .f32, codec: .raw, to: path)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        for cut in [size - 1, size / 2, 100, 0] {
            #expect(truncate(path, off_t(cut)) == 0)
            #expect(throws: ModelFileError.self, "cut at \(cut)") { try GPT2Weights(path: path) }
        }
    }

    @Test func unsupportedArchitecture() throws {
        let v = try FixtureModels.variant("bias_erf")
        let path = Self.temporaryPath("llama.gpt2")
        defer { unlink(path) }
        _ = try Self.write(v, type: .f32, codec: .raw, architecture: "llama", to: path)
        do {
            _ = try GPT2Weights(path: path)
            Issue.record("a llama file was accepted")
        } catch let e as ModelFileError {
            #expect(e.kind == .unsupportedArchitecture)
            #expect(e.description.contains("llama"))
        }
    }
}
