import Foundation
import Testing
import GPT2ModelFile
import GPT2Support
@testable import GPT2Checkpoints

/// Fixtures written by `Tools/make-fixtures-hf-tf` with torch/safetensors and TensorFlow; the
/// expected canonical tensors in `expected.json` were read back through those libraries.
struct FixtureTests {
    static let expected: JSON = {
        (try? JSON.parse(fileAt: TestPaths.fixtures + "/expected.json")) ?? .null
    }()

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let fixtureNames = ["hf-sharded", "hf-f16", "hf-bf16", "llmc-bf16", "tf"]

    @Test(arguments: fixtureNames)
    func fixtureMatchesLibraryValues(_ name: String) throws {
        let spec = try #require(Self.expected["fixtures"]?[name])
        let ck = try CheckpointLoader.open(TestPaths.fixtures + "/" + name)
        let c = ck.config
        #expect(c.nLayer == spec["n_layer"]?.intValue)
        #expect(c.nHead == spec["n_head"]?.intValue)
        #expect(c.nEmbd == spec["n_embd"]?.intValue)
        #expect(c.nCtx == spec["n_ctx"]?.intValue)
        #expect(c.vocabSize == spec["vocab_size"]?.intValue)
        #expect(c.paddedVocabSize == spec["padded_vocab_size"]?.intValue)
        #expect(Double(c.layerNormEpsilon) == Double(Float(spec["layer_norm_epsilon"]?.doubleValue ?? 0)))
        #expect(c.activation.rawValue == spec["activation"]?.stringValue)
        let dtype = try #require(spec["dtype"]?.stringValue)
        let tensors = try #require(Self.expected["tensors"]?[dtype]?.objectValue)
        #expect(ck.tensors.count == tensors.count)
        for (tname, t) in tensors {
            let data = try ck.load(tname)
            #expect(data.type.rawValue == dtype)
            #expect(data.shape == t["shape"]?.arrayValue?.compactMap(\.intValue), "\(name) \(tname) shape")
            #expect(Self.hex(data.bytes) == t["hex"]?.stringValue, "\(name) \(tname) values")
        }
    }

    @Test func shardedIgnoresBuffersAndTiedHead() throws {
        let ck = try SafetensorsCheckpoint(path: TestPaths.fixtures + "/hf-sharded")
        #expect(ck.sourceTensors.contains { $0.name == "transformer.h.1.attn.bias" })
        #expect(ck.sourceTensors.contains { $0.name == "lm_head.weight" })
        #expect(!ck.tensors.contains { $0.name == "lm_head.weight" })
        #expect(Set(ck.sourceTensors.compactMap(\.file)).count == 2)
    }

    @Test func tfFixtureHasTwoShards() throws {
        let ck = try TFCheckpoint(path: TestPaths.fixtures + "/tf")
        #expect(ck.header.numShards == 2)
        #expect(Set(ck.sourceTensors.compactMap(\.file)).count == 2)
        #expect(ck.sourceFiles.count == 4)   // hparams.json, index, 2 shards
    }

    /// A training directory with several saves: the `checkpoint` state file names the one to read.
    @Test func tfCheckpointStateFile() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let src = TestPaths.fixtures + "/tf/"
        try BadInput.write(dir + "/hparams.json", try BadInput.read(src + "hparams.json"))
        try BadInput.write(dir + "/model.ckpt-5.index", try BadInput.read(src + "model.ckpt.index"))
        for k in 0..<2 {
            let data = "model.ckpt.data-0000\(k)-of-00002"
            try BadInput.write(dir + "/model.ckpt-5" + data.dropFirst(10), try BadInput.read(src + data))
        }
        try BadInput.write(dir + "/model.ckpt-1.index", [1, 2, 3])   // an older, broken save
        try BadInput.write(dir + "/checkpoint", Array("model_checkpoint_path: \"model.ckpt-5\"\nall_model_checkpoint_paths: \"model.ckpt-1\"\n".utf8))
        let ck = try CheckpointLoader.open(dir)
        #expect(ck.layout == .tensorflow)
        #expect(ck.sourceFiles.contains(dir + "/model.ckpt-5.index"))
        unlink(dir + "/checkpoint")
        BadInput.expectError([.truncated], "without the state file the first index is the broken one") {
            _ = try CheckpointLoader.open(dir)
        }
    }

    @Test func openBySingleFileOrIndex() throws {
        let a = try CheckpointLoader.open(TestPaths.fixtures + "/hf-sharded/model.safetensors.index.json")
        let b = try CheckpointLoader.open(TestPaths.fixtures + "/hf-f16/model.safetensors")
        let c = try CheckpointLoader.open(TestPaths.fixtures + "/llmc-bf16/gpt2.bin")
        let d = try CheckpointLoader.open(TestPaths.fixtures + "/tf/model.ckpt")
        let e = try CheckpointLoader.open(TestPaths.fixtures + "/tf/model.ckpt.data-00000-of-00002")
        #expect(a.layout == .safetensors && b.layout == .safetensors && c.layout == .llmc)
        #expect(d.layout == .tensorflow && e.layout == .tensorflow)
        BadInput.expectError([.io], "nothing there") { _ = try CheckpointLoader.open(TestPaths.fixtures + "/nope") }
    }
}
