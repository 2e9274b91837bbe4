import Foundation
import Testing
@testable import GPT2Checkpoints
import GPT2Support
import GPT2ModelFile
import GPT2Tokenizer

/// GGUF and Hugging Face exports, checked without llama.cpp or transformers: a GGUF export of
/// the fixture source equals what gguf-py (Tools/make-gguf) wrote from the same checkpoint,
/// tensor for tensor and key for key; gguf-py reads our file back (when a venv has it); an HF
/// export reads back through the safetensors reader bit-exact. (llama.cpp's and transformers'
/// own runs are in GPT2KitCLITests/InteropToolTests.)
@Suite struct ExportTests {
    static func source() throws -> any Checkpoint { try CheckpointLoader.open(GGUFFixtures.source) }

    @Test(arguments: [ElementType.f32, .f16, .q8_0])
    func ggufEqualsGGUFPyExport(_ type: ElementType) throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let out = dir + "/x.gguf"
        try GGUFExport.write(try Self.source(), to: out, dtype: type)
        let ours = try GGUFFile(path: out)
        let theirs = try GGUFFile(path: GGUFFixtures.dir + "/tiny-\(type.rawValue).gguf")
        #expect(ours.tensors.map(\.name).sorted() == theirs.tensors.map(\.name).sorted())
        for t in theirs.tensors {
            let o = try #require(ours.tensors.first { $0.name == t.name })
            #expect(o.ne == t.ne && o.ggmlType == t.ggmlType, "\(t.name)")
            #expect(try ours.file.bytes(at: o.range.lowerBound, count: o.range.count)
                    == theirs.file.bytes(at: t.range.lowerBound, count: t.range.count), "\(t.name)")
        }
        // Same keys and values (tokens, merges, token types included), except the name.
        let skip: Set<String> = ["general.name"]
        #expect(Set(ours.metadata.map(\.key)) == Set(theirs.metadata.map(\.key)))
        for (k, v) in theirs.metadata where !skip.contains(k) { #expect(ours[k] == v, "\(k)") }
        // And back through the GGUF reader: the source's tensors, config and tokenizer.
        try ExportVerify.compare(source: try Self.source(), written: try GGUFCheckpoint(path: out))
    }

    @Test(.enabled(if: GGUFFixtures.python != nil, "needs a venv with gguf-py (Tools/setup --test or Tools/bench-venv)"),
          arguments: [ElementType.f32, .f16, .q8_0])
    func ggufPyReadsOurExport(_ type: ElementType) throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let out = dir + "/x.gguf"
        try GGUFExport.write(try Self.source(), to: out, dtype: type)
        let py = try GGUFFixtures.describeWithGGUFPy(out)
        let g = try GGUFFile(path: out)
        #expect(py.version == 3 && py.alignment == g.alignment && py.data_offset == g.dataOffset)
        #expect(py.metadata.map(\.key) == g.metadata.map(\.key))
        #expect(py.tensors.map(\.name) == g.tensors.map(\.name))
        for (p, t) in zip(py.tensors, g.tensors) {
            #expect(p.ggml_type == t.ggmlType && p.ne == t.ne && p.offset == t.range.lowerBound, "\(t.name)")
            #expect(p.sha256 == FileSHA256.hexDigest(of: try g.file.bytes(at: t.range.lowerBound, count: t.range.count)), "\(t.name)")
        }
    }

    @Test func ggufPadsTheTokenListToTheEmbedding() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        var c = AlteredCheckpoint(base: try Self.source())
        c.vocabulary!.specialTokens = [:]            // 280 tokens for 281 rows
        c.vocabulary!.eosID = nil
        try GGUFExport.write(c, to: dir + "/p.gguf")
        let g = try GGUFFile(path: dir + "/p.gguf")
        #expect(g["tokenizer.ggml.tokens"]?.arrayValue?.last == .string("[PAD280]"))
        #expect(g["tokenizer.ggml.token_type"]?.arrayValue?.last == .i32(5))
        #expect(try GGUFCheckpoint(path: dir + "/p.gguf").vocabulary == c.vocabulary)
    }

    @Test func ggufRefusesWhatLlamaCppCannotRun() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let base = try Self.source()
        var chars = AlteredCheckpoint(base: base)
        chars.vocabulary = Vocabulary(kind: .characters, tokens: (0..<65).map { [UInt8(32 + $0)] })
        var none = AlteredCheckpoint(base: base)
        none.vocabulary = nil
        var erf = AlteredCheckpoint(base: base)
        erf.config.activation = .geluErf
        var noBias = AlteredCheckpoint(base: base)
        noBias.config.bias = false
        for (c, says) in [(chars, "BPE"), (none, "no tokenizer"), (erf, "GELU"), (noBias, "bias")] {
            let e = BadInput.expectError([.unsupported], says) { try GGUFExport.write(c, to: dir + "/x.gguf") }
            #expect(e?.description.contains(says) == true && e?.hint != nil, "\(e?.description ?? "")")
            #expect(!FileManager.default.fileExists(atPath: dir + "/x.gguf"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)   // no temporary file left
    }

    @Test(arguments: [ElementType.f32, .f16, .bf16])
    func hfReadsBackBitExact(_ type: ElementType) throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let out = dir + "/hf"
        let source = try Self.source()
        let r = try HFExport.write(source, to: out, dtype: type)
        #expect(r.notes.isEmpty)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == [
            "model.safetensors", "config.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"])
        let back = try SafetensorsCheckpoint(path: out)
        #expect(back.sourceTensors.allSatisfy { $0.type == type && $0.name.hasPrefix("transformer.") })
        try ExportVerify.compare(source: source, written: back)
        // The files are the source's own (vocab.json ids, merges.txt lines).
        let merges = try String(contentsOfFile: out + "/merges.txt", encoding: .utf8)
        #expect(merges == (try String(contentsOfFile: GGUFFixtures.source + "/merges.txt", encoding: .utf8)))
    }

    @Test func hfErrorsAndNotes() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let base = try Self.source()
        BadInput.expectError([.unsupported], "q8_0") { try HFExport.write(base, to: dir + "/q", dtype: .q8_0) }
        var noBias = AlteredCheckpoint(base: base)
        noBias.config.bias = false
        BadInput.expectError([.unsupported], "no bias") { try HFExport.write(noBias, to: dir + "/b") }
        try FileManager.default.createDirectory(atPath: dir + "/full", withIntermediateDirectories: false)
        FileManager.default.createFile(atPath: dir + "/full/keep.txt", contents: Data([1]))
        BadInput.expectError([.io], "non-empty directory") { try HFExport.write(base, to: dir + "/full") }
        BadInput.expectError([.io], "missing parent") { try HFExport.write(base, to: dir + "/no/such/dir") }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir)) == ["full"])   // nothing half-written
        var chars = AlteredCheckpoint(base: base)
        chars.vocabulary = Vocabulary(kind: .characters, tokens: (0..<65).map { [UInt8(32 + $0)] })
        chars.config.activation = .geluErf
        let r = try HFExport.write(chars, to: dir + "/chars")
        #expect(r.notes.count == 1 && r.notes[0].contains("characters"))
        let back = try SafetensorsCheckpoint(path: dir + "/chars")
        #expect(back.config.activation == .geluErf && back.vocabulary == nil)
    }
}

/// A checkpoint with another config or vocabulary over the fixture's tensors.
struct AlteredCheckpoint: Checkpoint {
    let base: any Checkpoint
    var config: GPT2Config
    var vocabulary: Vocabulary?
    init(base: any Checkpoint) {
        self.base = base
        config = base.config
        vocabulary = base.vocabulary
    }
    var layout: CheckpointLayout { base.layout }
    var sourceFiles: [String] { base.sourceFiles }
    var sourceTensors: [SourceTensorInfo] { base.sourceTensors }
    var tensors: [CanonicalTensorInfo] { base.tensors }
    func load(_ name: String) throws -> TensorData { try base.load(name) }
}
