import Foundation
import Testing
import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer
@testable import GPT2Checkpoints

/// pytorch_model.bin and nanoGPT ckpt.pt readers against the canonical tensors torch computed
/// (Fixtures/torch/*.json by Tools/make-fixtures-torch), and against the shared tiny GPT-2.
struct TorchCheckpointTests {
    static let dir = TorchFileTests.dir

    /// Every canonical tensor of `ck` equals the one in the fixture JSON, bit for bit.
    static func expectCanonical(_ ck: any Checkpoint, _ json: JSON) throws {
        guard let canonical = json["canonical"]?.objectValue else { Issue.record("no canonical"); return }
        #expect(ck.tensors.count == canonical.count)
        #expect(ck.tensors.map(\.name) == TensorName.gpt2Tensors(ck.config).map(\.name))
        for (name, want) in canonical {
            let t = try ck.load(name)
            #expect(t.shape == want["shape"]?.arrayValue?.compactMap(\.intValue), "\(name)")
            #expect(t.type.rawValue == want["dtype"]?.stringValue, "\(name)")
            #expect(t.bytes == TorchFileTests.unhex(want["hex"]?.stringValue ?? ""), "\(name) differs from torch's")
        }
    }

    @Test(arguments: ["hf-bin-f32", "hf-bin-f16", "hf-bin-bf16", "hf-bin-legacy"])
    func hfBin(_ tag: String) throws {
        let json = try TorchFileTests.json(tag + ".json")
        let ck = try CheckpointLoader.open(Self.dir + "/" + tag)
        #expect(ck.layout == .pytorchBin)
        let c = ck.config
        #expect([c.nLayer, c.nHead, c.nEmbd, c.nCtx, c.vocabSize, c.paddedVocabSize] as [Int] == [1, 2, 8, 16, 128, 128])
        #expect(c.activation == .geluTanh && c.bias && c.tiedHead)
        try Self.expectCanonical(ck, json)
        // The uint8 causal mask is not a source float tensor; masked_bias (f32) is listed; both ignored.
        #expect(!ck.sourceTensors.contains { $0.name.hasSuffix(".attn.bias") })
        #expect(ck.sourceTensors.contains { $0.name.hasSuffix("attn.masked_bias") })
        #expect(ck.sourceFiles.last == Self.dir + "/" + tag + "/pytorch_model.bin")
        // The file alone (not its directory) opens the same way.
        let direct = try CheckpointLoader.open(Self.dir + "/" + tag + "/pytorch_model.bin")
        #expect(direct.tensors == ck.tensors)
    }

    @Test func hfBinUntiedHead() throws {
        let json = try TorchFileTests.json("hf-bin-untied.json")
        let ck = try CheckpointLoader.open(Self.dir + "/hf-bin-untied")
        #expect(!ck.config.tiedHead)
        #expect(ck.tensors.last?.name == "lm_head.weight")
        try Self.expectCanonical(ck, json)
        // The same weights with a config that ties the head: the head's data is not wte's.
        let d = try TestPaths.tempDir()
        defer { TestPaths.cleanup(d) }
        try FileManager.default.copyItem(atPath: Self.dir + "/hf-bin-untied/pytorch_model.bin", toPath: d + "/pytorch_model.bin")
        try FileManager.default.copyItem(atPath: Self.dir + "/hf-bin-f32/config.json", toPath: d + "/config.json")
        #expect { _ = try CheckpointLoader.open(d) } throws: {
            ($0 as? CheckpointError)?.kind == .unsupported && ($0 as? CheckpointError)?.message.contains("lm_head") == true
        }
    }

    @Test func hfBinSharded() throws {
        let json = try TorchFileTests.json("hf-bin-sharded.json")
        let dir = Self.dir + "/hf-bin-sharded"
        for path in [dir, dir + "/pytorch_model.bin.index.json"] {
            let ck = try CheckpointLoader.open(path)
            #expect(ck.layout == .pytorchBin)
            try Self.expectCanonical(ck, json)
            #expect(ck.sourceFiles.count == 4)   // config, index, two shards
        }
        // A broken index, each with its error.
        let d = try TestPaths.tempDir()
        defer { TestPaths.cleanup(d) }
        let fm = FileManager.default
        for f in ["config.json", "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"] {
            try fm.copyItem(atPath: dir + "/" + f, toPath: d + "/" + f)
        }
        let index = try String(contentsOfFile: dir + "/pytorch_model.bin.index.json", encoding: .utf8)
        func kind(_ edit: (String) -> String) throws -> CheckpointError.Kind? {
            try edit(index).write(toFile: d + "/pytorch_model.bin.index.json", atomically: true, encoding: .utf8)
            do { _ = try CheckpointLoader.open(d); return nil } catch let e as CheckpointError { return e.kind }
        }
        #expect(try kind { $0 } == nil)
        // wte is in shard 1; say shard 2.
        #expect(try kind { $0.replacingOccurrences(of: "\"transformer.wte.weight\": \"pytorch_model-00001-of-00002.bin\"",
                                                   with: "\"transformer.wte.weight\": \"pytorch_model-00002-of-00002.bin\"") } == .duplicateName)
        // A key the shards do not have.
        #expect(try kind { $0.replacingOccurrences(of: "\"weight_map\": {", with: "\"weight_map\": {\"transformer.extra\": \"pytorch_model-00001-of-00002.bin\", ") } == .missingTensor)
        // A key the shards have but the index does not list.
        #expect(try kind { $0.replacingOccurrences(of: "\"transformer.wpe.weight\": \"pytorch_model-00001-of-00002.bin\",", with: "") } == .unknownTensor)
        // A shard name that leaves the directory.
        #expect(try kind { $0.replacingOccurrences(of: "\"transformer.wpe.weight\": \"pytorch_model-00001-of-00002.bin\"",
                                                   with: "\"transformer.wpe.weight\": \"../pytorch_model-00001-of-00002.bin\"") } == .badJSON)
        #expect(try kind { _ in "[1, 2]" } == .badJSON)
    }

    @Test func nanoGPTCharLevelWithoutBias() throws {
        let json = try TorchFileTests.json("nanogpt-char.json")
        let ck = try CheckpointLoader.open(Self.dir + "/nanogpt-char")
        #expect(ck.layout == .nanoGPT)
        let tokens = json["meta"]?["tokens"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let c = ck.config
        #expect(!c.bias)
        #expect(c.activation == .geluErf)
        #expect(c.vocabSize == tokens.count && c.paddedVocabSize == tokens.count)
        #expect(c.tiedHead)
        #expect(!ck.tensors.contains { $0.name.hasSuffix(".bias") })
        #expect(ck.vocabulary?.kind == .characters)
        #expect(ck.vocabulary?.tokens == tokens.map { Array($0.utf8) })
        #expect(ck.sourceFiles.contains(Self.dir + "/nanogpt-char/meta.pkl"))
        #expect(ck.sourceTensors.first?.name.hasPrefix("_orig_mod.") == true)
        try Self.expectCanonical(ck, json)
        #expect((ck as? NanoGPTCheckpoint)?.iterNum == 250)
    }

    @Test func nanoGPTPaddedVocabWithCallersVocabulary() throws {
        let json = try TorchFileTests.json("nanogpt-padded.json")
        // The checkpoint stores 128 rows; the caller's tokenizer has 100 ids: 28 rows are padding.
        let vocab = Vocabulary(tokens: (0..<100).map { [UInt8($0)] })
        let ck = try NanoGPTCheckpoint(path: Self.dir + "/nanogpt-padded/ckpt.pt", vocabulary: vocab)
        #expect(ck.config.vocabSize == 100 && ck.config.paddedVocabSize == 128)
        #expect(ck.config.bias)
        #expect(ck.vocabulary == vocab)
        try Self.expectCanonical(ck, json)
        // Without a tokenizer nothing says which rows are padding (only 50304 means GPT-2's 50257).
        let bare = try NanoGPTCheckpoint(path: Self.dir + "/nanogpt-padded")
        #expect(bare.config.vocabSize == 128 && bare.vocabulary == nil)
        // A tokenizer larger than the embedding cannot be right.
        #expect { _ = try NanoGPTCheckpoint(path: Self.dir + "/nanogpt-padded", vocabulary: Vocabulary(tokens: Array(repeating: [0], count: 129))) }
            throws: { ($0 as? CheckpointError)?.kind == .shapeMismatch }
    }

    @Test func stridedViews() throws {
        // views.pt: a 2-D transpose is accepted (its bytes are a contiguous matrix), a strided
        // column is refused by the checkpoint path and materialised by TorchFile.load.
        let f = try TorchFile(path: Self.dir + "/views.pt")
        let sd = try TorchStateDict(f.root, in: f, what: "views")
        let views = try TorchFileTests.json("views.json")
        let tr = sd.items.first { $0.key == "transposed" }!
        let s = try sd.source(tr, canonical: "x", transposed: false)
        #expect(try s.load().bytes == TorchFileTests.unhex(views["transposed"]?["hex"]?.stringValue ?? ""))
        // As a Conv1D weight, the transposed view is already canonical: base's bytes.
        let asConv = try sd.source(tr, canonical: "x", transposed: true)
        #expect(try asConv.load().bytes == TorchFileTests.unhex(views["base"]?["hex"]?.stringValue ?? ""))
        let col = sd.items.first { $0.key == "column" }!
        #expect { _ = try sd.source(col, canonical: "x", transposed: false) } throws: { ($0 as? CheckpointError)?.kind == .unsupported }
        let ids = sd.items.first { $0.key == "ids" }!
        #expect { _ = try sd.source(ids, canonical: "x", transposed: false) } throws: { ($0 as? CheckpointError)?.kind == .unsupportedDType }
    }

    @Test func checkpointErrors() throws {
        let d = try TestPaths.tempDir()
        defer { TestPaths.cleanup(d) }
        let fm = FileManager.default
        // pytorch_model.bin without config.json.
        try fm.copyItem(atPath: Self.dir + "/hf-bin-f32/pytorch_model.bin", toPath: d + "/pytorch_model.bin")
        #expect { _ = try CheckpointLoader.open(d) } throws: { ($0 as? CheckpointError)?.kind == .badConfig }
        // A config that disagrees with the weights (2 layers, weights have 1).
        var config = try String(contentsOfFile: Self.dir + "/hf-bin-f32/config.json", encoding: .utf8)
        config = config.replacingOccurrences(of: "\"n_layer\": 1", with: "\"n_layer\": 2")
        try config.write(toFile: d + "/config.json", atomically: true, encoding: .utf8)
        #expect { _ = try CheckpointLoader.open(d) } throws: { ($0 as? CheckpointError)?.kind == .missingTensor }
        // A nanoGPT dict opened as a state dict path: its keys are not HF tensors.
        try fm.removeItem(atPath: d + "/pytorch_model.bin")
        try fm.copyItem(atPath: Self.dir + "/nanogpt-char/ckpt.pt", toPath: d + "/pytorch_model.bin")
        #expect { _ = try PyTorchBinCheckpoint(path: d) } throws: { ($0 as? CheckpointError)?.kind == .corrupt }
        // A hostile state dict named pytorch_model.bin: the global is named, nothing runs.
        try fm.removeItem(atPath: d + "/pytorch_model.bin")
        try fm.copyItem(atPath: Self.dir + "/evil.pt", toPath: d + "/pytorch_model.bin")
        #expect { _ = try CheckpointLoader.open(d) } throws: { ($0 as? PickleError)?.reason == .refusedGlobal("posix.system") }
    }

    @Test func storageCRCIsCheckedOnLoad() throws {
        // Flip one byte inside the wte storage of a copy: opening works (the directory and
        // data.pkl are intact), loading wte reports the member's CRC-32 mismatch.
        let d = try TestPaths.tempDir()
        defer { TestPaths.cleanup(d) }
        try FileManager.default.copyItem(atPath: Self.dir + "/hf-bin-f32/config.json", toPath: d + "/config.json")
        var b = try TorchFileTests.bytes("hf-bin-f32/pytorch_model.bin")
        let f = try TorchFile(path: Self.dir + "/hf-bin-f32/pytorch_model.bin")
        let wteKey = try f.tensor(f.root["transformer.wte.weight"]!, name: "wte").storage.key
        b[f.storages[wteKey]!.lowerBound + 100] ^= 0x40
        try Data(b).write(to: URL(fileURLWithPath: d + "/pytorch_model.bin"))
        let ck = try CheckpointLoader.open(d)
        #expect { _ = try ck.load("wte.weight") } throws: { ($0 as? CheckpointError)?.kind == .checksumMismatch }
        _ = try ck.load("wpe.weight")   // other storages are intact
    }

    @Test func metaPickleErrors() throws {
        func meta(_ v: PickleValue) -> CheckpointError.Kind? {
            do { _ = try NanoGPTMeta.vocabulary(v, file: "meta.pkl"); return nil } catch let e as CheckpointError { return e.kind } catch { return nil }
        }
        func d(_ pairs: [(PickleValue, PickleValue)]) -> PickleValue { .dict(pairs.map { PickleDictEntry(key: $0.0, value: $0.1) }) }
        let itos = d([(.int(0), .string("a")), (.int(1), .string("b"))])
        #expect(meta(d([("vocab_size", .int(2)), ("itos", itos)].map { (.string($0.0), $0.1) })) == nil)
        #expect(meta(d([(.string("vocab_size"), .int(3)), (.string("itos"), itos)])) == .corrupt)
        #expect(meta(d([(.string("vocab_size"), .int(2))])) == .corrupt)
        #expect(meta(d([(.string("vocab_size"), .int(2)), (.string("itos"), d([(.int(0), .string("a")), (.int(5), .string("b"))]))])) == .corrupt)
        #expect(meta(d([(.string("vocab_size"), .int(2)), (.string("itos"), itos),
                        (.string("stoi"), d([(.string("a"), .int(1)), (.string("b"), .int(0))]))])) == .corrupt)
        #expect(meta(.list([])) == .corrupt)
    }
}

/// The same tiny GPT-2 as pytorch_model.bin and nanoGPT ckpt.pt (../shared): the canonical
/// tensors equal the safetensors ones, the configs carry the right activation and padding.
@Suite(.enabled(if: TestPaths.tiny != nil, "../shared/checkpoints/tiny is absent"))
struct TinyTorchCheckpointTests {
    let tiny = TestPaths.tiny ?? ""

    @Test func hfBinMatchesSafetensors() throws {
        let bin = try CheckpointLoader.open(tiny + "/hf-bin")
        let st = try CheckpointLoader.open(tiny + "/hf-safetensors")
        #expect(bin.layout == .pytorchBin)
        #expect(bin.config == st.config)
        #expect(bin.tensors == st.tensors)
        for t in st.tensors { #expect(try bin.load(t.name) == st.load(t.name), "\(t.name)") }
        // Buffers present in the file, ignored: 2 × (attn.bias bool, attn.masked_bias f32).
        #expect(bin.sourceTensors.contains { $0.name == "transformer.h.1.attn.masked_bias" })
        // The tokenizer beside it (vocab.json + merges.txt) is the same GPT-2 vocabulary.
        #expect(bin.vocabulary != nil)
        #expect(bin.vocabulary?.tokens == st.vocabulary?.tokens)
        // The bare file opens the same way as its directory.
        let file = try CheckpointLoader.open(tiny + "/hf-bin/pytorch_model.bin")
        #expect(file.config == bin.config && file.tensors == bin.tensors)
    }

    @Test func nanoGPTMatchesSafetensors() throws {
        let ng = try CheckpointLoader.open(tiny + "/nanogpt")
        let st = try CheckpointLoader.open(tiny + "/hf-safetensors")
        #expect(ng.layout == .nanoGPT)
        #expect(ng.config.activation == .geluErf)
        #expect(ng.config.vocabSize == 50257 && ng.config.paddedVocabSize == 50304)
        #expect(ng.config.bias && ng.config.tiedHead)
        #expect([ng.config.nLayer, ng.config.nHead, ng.config.nEmbd, ng.config.nCtx] as [Int] == [2, 4, 16, 64])
        #expect(ng.tensors == st.tensors)
        for t in st.tensors { #expect(try ng.load(t.name) == st.load(t.name), "\(t.name)") }
        let file = try CheckpointLoader.open(tiny + "/nanogpt/ckpt.pt")
        #expect(file.layout == .nanoGPT && file.config == ng.config)
        // The optimizer state was parsed (and skipped): its tensors are not source tensors.
        #expect(ng.sourceTensors.count == 29)
        #expect((ng as? NanoGPTCheckpoint)?.iterNum == 5000)
        // No meta.pkl: GPT-2's BPE, GPT2Kit's default vocabulary, when one is installed.
        if let gpt2 = try? Vocabulary.loadDefault() {
            #expect(ng.vocabulary == gpt2)
        } else {
            #expect(ng.vocabulary == nil)
        }
    }
}
