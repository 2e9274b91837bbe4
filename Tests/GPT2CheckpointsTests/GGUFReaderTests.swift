import Foundation
import Testing
@testable import GPT2Checkpoints
import GPT2Support
import GPT2ModelFile
import GPT2Tokenizer

/// The GGUF reader against files written by llama.cpp's own tools (gguf-py through
/// Tools/make-gguf, and llama-quantize): the container as gguf-py reads it, and the canonical
/// tensors bit-exact against the source checkpoint they were made from (f32), or against
/// GPT2Kit's own conversion of it (f16, q8_0: ggml's Q8_0 is the model file's q8_0).
@Suite struct GGUFReaderTests {
    @Test(arguments: GGUFFixtures.files.map(\.name))
    func containerAsGGUFPyReadsIt(_ name: String) throws {
        let want = try #require(try GGUFFixtures.expected()[name])
        let g = try GGUFFile(path: GGUFFixtures.dir + "/" + name)
        #expect(g.version == want.version)
        #expect(g.alignment == want.alignment)
        #expect(g.dataOffset == want.data_offset)
        #expect(g.metadata.map(\.key) == want.metadata.map(\.key))
        for (kv, w) in zip(g.metadata, want.metadata) {
            #expect(kv.value.type.rawValue == w.type, "\(kv.key)")
            if case .array(let t, let a) = kv.value {
                #expect(t.rawValue == w.element_type && a.count == w.count, "\(kv.key)")
            }
        }
        #expect(g.tensors.map(\.name) == want.tensors.map(\.name))
        for (t, w) in zip(g.tensors, want.tensors) {
            #expect(t.ggmlType == w.ggml_type && t.ne == w.ne && t.range.lowerBound == w.offset, "\(t.name)")
            let bytes = try g.file.bytes(at: t.range.lowerBound, count: t.range.count)
            #expect(FileSHA256.hexDigest(of: bytes) == w.sha256, "\(t.name)")
        }
    }

    @Test(arguments: GGUFFixtures.files)
    func tensorsEqualTheSourceConverted(_ file: (name: String, type: ElementType)) throws {
        let source = try CheckpointLoader.open(GGUFFixtures.source)
        let c = try CheckpointLoader.open(GGUFFixtures.dir + "/" + file.name)
        #expect(c.layout == .gguf)
        #expect(c.config == source.config)
        #expect(c.vocabulary == source.vocabulary)
        #expect(c.vocabulary?.eosID == 280)
        #expect(c.tensors.map(\.name) == source.tensors.map(\.name))
        var quantized = 0
        for t in c.tensors {
            let got = try c.load(t.name)
            // gguf-py / llama-quantize keep vectors and position_embd f32.
            let type: ElementType = t.shape.count == 1 || t.name == TensorName.positionEmbedding ? .f32 : file.type
            #expect(got.type == type, "\(t.name)")
            if type != .f32 { quantized += 1 }
            let want = ConverterDType.convert(try source.load(t.name), to: got.type)
            #expect(got.shape == want.shape && got.bytes == want.bytes, "\(file.name) \(t.name) \(got.type)")
        }
        #expect(file.type == .f32 || quantized == 1 + 4 * source.config.nLayer)
    }

    /// The shared tiny GPT-2 (full GPT-2 vocabulary) through Tools/make-gguf: same tensors and
    /// the same 50,257-token tokenizer as the safetensors original.
    @Test(.enabled(if: TestPaths.tiny != nil && GGUFFixtures.python != nil,
                   "needs ../shared/checkpoints/tiny and the project venv with gguf (Tools/bench-venv)"))
    func sharedTinyThroughMakeGGUF() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let out = dir + "/tiny.gguf"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(GGUFFixtures.python))
        p.arguments = [TestPaths.packageRoot + "/Tools/make-gguf", TestPaths.tiny! + "/hf-safetensors", out, "--dtype", "f32"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0)
        let source = try CheckpointLoader.open(TestPaths.tiny! + "/hf-safetensors")
        let c = try CheckpointLoader.open(out)
        #expect(c.config == source.config)
        #expect(c.vocabulary == source.vocabulary)
        #expect(c.vocabulary?.tokens.count == 50256)
        for t in source.tensors { #expect(try c.load(t.name) == source.load(t.name), "\(t.name)") }
    }

    @Test func inspectShowsGGMLOrder() throws {
        let c = try CheckpointLoader.open(GGUFFixtures.dir + "/tiny-q8_0.gguf")
        let qkv = try #require(c.sourceTensors.first { $0.name == "blk.0.attn_qkv.weight" })
        #expect(qkv.shape == [32, 96] && qkv.type == .q8_0)
        #expect(c.tensors.first { $0.name == TensorName.qkvWeight(0) }?.shape == [96, 32])
        #expect(CheckpointLoader.detect(GGUFFixtures.dir + "/tiny-f32.gguf")?.contains("GGUF") == true)
    }

    @Test func mergeListRebuildsGPT2Merges() throws {
        // vocab.json + merges.txt of the fixture: the merges recovered from ranks are the file's.
        let v = try Vocabulary.load(vocabJSON: GGUFFixtures.source + "/vocab.json", mergesTXT: GGUFFixtures.source + "/merges.txt")
        let lines = try String(contentsOfFile: GGUFFixtures.source + "/merges.txt", encoding: .utf8)
            .split(separator: "\n").dropFirst().map(String.init)
        #expect(try v.mergeList().map { ByteLevelAlphabet.text($0.left) + " " + ByteLevelAlphabet.text($0.right) } == lines)
        let chars = Vocabulary(kind: .characters, tokens: [[97], [98]])
        #expect(throws: TokenizerError.self) { try chars.mergeList() }
    }
}
