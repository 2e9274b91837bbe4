import Foundation
import Testing
import GPT2ModelFile
@testable import GPT2Checkpoints
import GPT2Support

/// `convert` with one of our own model files as the source (ModelFileCheckpoint): re-encoding
/// gives the same bytes as converting the original checkpoint directly, and bad model files are
/// refused before anything is written.
@Suite struct ModelFileCheckpointTests {
    /// All tensors of the model file at `path`, by name.
    static func tensors(_ path: String) throws -> [String: TensorData] {
        let f = try ModelFile(path: path)
        return Dictionary(uniqueKeysWithValues: try f.tensors.map { ($0.name, try f.tensorData($0.name)) })
    }

    @Test(arguments: [ElementType.q8_0, .f16, .bf16])
    func reencodingEqualsConvertingTheSource(dtype: ElementType) throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        let ck = FakeCheckpoint()
        let f32 = dir + "/f32.gpt2kit", direct = dir + "/direct.gpt2kit", again = dir + "/again.gpt2kit"
        try Converter.convert(ck, to: f32, options: ConvertOptions())
        try Converter.convert(ck, to: direct, options: ConvertOptions(dtype: dtype))
        let source = try CheckpointLoader.open(f32)
        #expect(source.layout == .gpt2kit)
        #expect(source.config == ck.config && source.vocabulary == ck.vocabulary)
        #expect(source.tensors == ck.tensors)
        try Converter.convert(source, to: again, options: ConvertOptions(dtype: dtype))
        let a = try Self.tensors(direct), b = try Self.tensors(again)
        #expect(a.count == ck.tensors.count && a == b)
        #expect(a.values.contains { $0.type == dtype })
        // And the written file is what verify expects from this source.
        _ = try Converter.verify(source, modelFile: again, options: ConvertOptions(dtype: dtype))
    }

    /// q8_0 back to f32 is the dequantized values (Kernels.decode), every tensor; compressed
    /// sources decode losslessly.
    @Test func dequantizeAndDecompress() throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        let ck = FakeCheckpoint()
        let q8 = dir + "/q8.gpt2kit", back = dir + "/back.gpt2kit"
        try Converter.convert(ck, to: q8, options: ConvertOptions(dtype: .q8_0, compress: true))
        try Converter.convert(try ModelFileCheckpoint(path: q8), to: back, options: ConvertOptions(dtype: .f32))
        let quantized = try Self.tensors(q8), restored = try Self.tensors(back)
        for (name, t) in quantized {
            let r = try #require(restored[name])
            #expect(r.type == .f32)
            #expect(r.bytes == ConverterDType.convert(t, to: .f32).bytes, "\(name)")
        }
        #expect(quantized.values.contains { $0.type == .q8_0 })
        #expect(try ModelFile(path: q8).tensors.contains { $0.codec != .raw })
    }

    @Test func corruptedTensorIsRefusedAndNothingIsWritten() throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        let src = dir + "/m.gpt2kit", out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Converter.convert(FakeCheckpoint(), to: src, options: ConvertOptions())
        // Flip one byte inside the last tensor's data: the file still opens (tables are fine)
        // but that tensor's CRC32C no longer matches.
        let f = try ModelFile(path: src)
        let last = f.tensors.last!
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: src)))
        bytes[last.offset + 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: src))
        let source = try ModelFileCheckpoint(path: src)
        #expect(throws: ModelFileError.self) { try Converter.convert(source, to: out + "/x.gpt2kit", options: ConvertOptions()) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test func otherArchitecturesAndStrayTensorsAreRefused() throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        let bytes = (0..<6).flatMap { i in withUnsafeBytes(of: Float(i)) { Array($0) } }
        // Another architecture: the container reads, the converter says it cannot.
        let rnn = dir + "/rnn.gpt2kit"
        let w = try ModelFileWriter(path: rnn, metadata: ModelMetadata(architecture: "my-rnn"))
        _ = try w.add(TensorData(name: "cell.kernel", shape: [2, 3], type: .f32, bytes: bytes))
        try w.finish()
        #expect { try ModelFileCheckpoint(path: rnn) } throws: { ($0 as? CheckpointError)?.kind == .unsupported }
        // A gpt2 file with one tensor more than the config's: converting would drop it.
        let ck = FakeCheckpoint()
        let extra = dir + "/extra.gpt2kit"
        let x = try ModelFileWriter(path: extra, metadata: ModelMetadata(config: ck.config, vocabulary: ck.vocabulary))
        for t in ck.tensors { _ = try x.add(try ck.load(t.name)) }
        _ = try x.add(TensorData(name: "h.0.attn.rotary", shape: [6], type: .f32, bytes: bytes))
        try x.finish()
        #expect { try ModelFileCheckpoint(path: extra) } throws: { ($0 as? CheckpointError)?.kind == .unknownTensor }
        // And one tensor fewer.
        let fewer = dir + "/fewer.gpt2kit"
        let y = try ModelFileWriter(path: fewer, metadata: ModelMetadata(config: ck.config, vocabulary: ck.vocabulary))
        for t in ck.tensors.dropLast() { _ = try y.add(try ck.load(t.name)) }
        try y.finish()
        #expect { try ModelFileCheckpoint(path: fewer) } throws: { ($0 as? CheckpointError)?.kind == .missingTensor }
        // And a canonical name with a shape the config does not give it.
        let shaped = dir + "/shaped.gpt2kit"
        let z = try ModelFileWriter(path: shaped, metadata: ModelMetadata(config: ck.config, vocabulary: ck.vocabulary))
        for t in ck.tensors {
            var d = try ck.load(t.name)
            if t.name == TensorName.finalNormWeight { d = TensorData(name: d.name, shape: [d.shape[0] / 2], type: .f32, bytes: Array(d.bytes.prefix(d.bytes.count / 2))) }
            _ = try z.add(d)
        }
        try z.finish()
        // (The container does not check GPT-2 shapes; this reader does.)
        #expect { try ModelFileCheckpoint(path: shaped) } throws: { e in
            guard let c = e as? CheckpointError else { return false }
            return c.kind == .shapeMismatch && c.message.contains("\(TensorName.finalNormWeight): shape [16], the config needs [32]")
        }
    }
}
