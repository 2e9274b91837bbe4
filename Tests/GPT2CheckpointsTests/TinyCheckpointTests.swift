import Foundation
import Testing
import GPT2ModelFile
@testable import GPT2Checkpoints

/// The shared tiny GPT-2 (n_layer 2, n_head 4, n_embd 16, n_ctx 64, vocab 50257) written by
/// the real libraries in each layout: every reader must produce the same config and the same
/// canonical tensor values.
@Suite(.enabled(if: TestPaths.tiny != nil, "../shared/checkpoints/tiny is absent"))
struct TinyCheckpointTests {
    let tiny = TestPaths.tiny ?? ""

    func expectTinyConfig(_ c: GPT2Config) {
        #expect(c.nLayer == 2)
        #expect(c.nHead == 4)
        #expect(c.nEmbd == 16)
        #expect(c.nCtx == 64)
        #expect(c.vocabSize == 50257)
        #expect(c.layerNormEpsilon == 1e-5)
        #expect(c.activation == .geluTanh)
        #expect(c.bias)
        #expect(c.tiedHead)
    }

    @Test func safetensorsConfigAndTensors() throws {
        let ck = try CheckpointLoader.open(tiny + "/hf-safetensors")
        #expect(ck.layout == .safetensors)
        expectTinyConfig(ck.config)
        #expect(ck.tensors.map(\.name) == TensorName.gpt2Tensors(ck.config).map(\.name))
        // 2 layers × 12 + wte, wpe, ln_f.{weight,bias}: attn.bias buffers and lm_head are not stored.
        #expect(ck.sourceTensors.count == 28)
        let qkv = try ck.load("h.0.attn.qkv.weight")
        #expect(qkv.shape == [48, 16])
        #expect(qkv.type == .f32)
    }

    @Test func llmcConfig() throws {
        let ck = try CheckpointLoader.open(tiny + "/llmc")
        #expect(ck.layout == .llmc)
        expectTinyConfig(ck.config)
        #expect(ck.config.paddedVocabSize == 50304)
        let wte = try ck.load("wte.weight")
        #expect(wte.shape == [50257, 16])
        #expect(wte.bytes.count == 50257 * 16 * 4)
    }

    @Test func tensorflowConfigAndTensors() throws {
        let ck = try CheckpointLoader.open(tiny + "/openai-tf")
        #expect(ck.layout == .tensorflow)
        expectTinyConfig(ck.config)
        #expect(ck.sourceTensors.count == 28)
        #expect(ck.sourceTensors.first { $0.name == "model/h0/attn/c_attn/w" }?.shape == [1, 16, 48])
        #expect(try ck.load("h.1.mlp.proj.weight").shape == [16, 64])
    }

    /// The tokenizer beside each layout is GPT-2's: 50257 ids, `<|endoftext|>` = 50256, and the
    /// same token bytes whichever file it came from (tokenizer.json, encoder.json + vocab.bpe,
    /// gpt2_tokenizer.bin).
    @Test(arguments: ["hf-safetensors", "openai-tf", "llmc"])
    func tokenizerBesideWeights(_ layout: String) throws {
        let ck = try CheckpointLoader.open(tiny + "/" + layout)
        let v = try #require(ck.vocabulary)
        #expect(v.count == 50257)
        #expect(v.tokens.count >= 50256)
        #expect(v.tokens[0] == Array("!".utf8))            // id 0 is "!" (bytes_to_unicode order)
        #expect(v.tokens[31373] == Array("hello".utf8))    // tiktoken: "hello world" -> [31373, 995]
        #expect(v.tokens[995] == Array(" world".utf8))
        #expect(ck.sourceFiles.allSatisfy { !$0.isEmpty })
    }

    /// Without tokenizer.json the safetensors reader falls back to vocab.json + merges.txt, and
    /// gets the same vocabulary.
    @Test func vocabJSONAndMergesFallback() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        for f in ["model.safetensors", "config.json", "vocab.json", "merges.txt"] {
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + f, withDestinationPath: tiny + "/hf-safetensors/" + f)
        }
        let merges = try #require(try CheckpointLoader.open(dir).vocabulary)
        let full = try #require(try CheckpointLoader.open(tiny + "/hf-safetensors").vocabulary)
        #expect(merges.tokens == full.tokens)
        #expect(merges.count == 50257)
    }

    @Test func sameTensorsAcrossLayouts() throws {
        let hf = try CheckpointLoader.open(tiny + "/hf-safetensors")
        // hf-bin and nanogpt are the torch readers' (they hold the same weights).
        let others = try ["llmc", "openai-tf", "hf-bin", "nanogpt"].map { try CheckpointLoader.open(tiny + "/" + $0) }
        for other in others {
            #expect(other.tensors == hf.tensors)
            for t in hf.tensors {
                let a = try hf.load(t.name), b = try other.load(t.name)
                #expect(a == b, "\(t.name) differs between \(hf.layout) and \(other.layout)")
            }
        }
    }
}
