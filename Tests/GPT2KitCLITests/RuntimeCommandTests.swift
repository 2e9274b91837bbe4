import Foundation
import Testing
import GPT2Checkpoints
import GPT2ModelFile
import GPT2Runtime
import GPT2Tokenizer

/// `gpt2kit generate` and `gpt2kit perplexity`, run as a process on model files written here.
@Suite struct RuntimeCommandTests {
    /// The gpt2kit binary beside the test bundle (`swift build --build-tests` builds both).
    static var binary: String { CLIProcess.binary }

    struct Run { let status: Int32; let stdout: String; let stderr: String; let signaled: Bool }

    /// `CLIProcess.run` (stdin, stdout and stderr through files: no pipe can fill and block),
    /// with text output and the signal split out of the status.
    static func run(_ args: [String], stdin: String? = nil) throws -> Run {
        let r = try CLIProcess.run(args, stdin: Array((stdin ?? "").utf8))
        return Run(status: abs(r.status), stdout: r.text, stderr: r.stderr, signaled: r.status < 0)
    }

    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "gpt2kit-cli-\(getpid())-\(name)"
    }

    /// A byte-level vocabulary of just the 256 bytes + `<|endoftext|>` = 256.
    static let byteVocabulary = Vocabulary(tokens: (0..<256).map { [UInt8($0)] },
                                           specialTokens: ["<|endoftext|>": 256], eosID: 256)

    static let tinyConfig = GPT2Config(nLayer: 2, nHead: 2, nEmbd: 32, nCtx: 16, vocabSize: 257,
                                       activation: .geluErf)

    /// A random GPT-2 over the byte vocabulary (fixed seed), written as a model file.
    static func writeTinyModel(_ path: String, architecture: String = "gpt2",
                               vocabulary: Vocabulary? = byteVocabulary) throws {
        var rng = RandomSource(seed: 99)
        let w = try ModelFileWriter(path: path, metadata: ModelMetadata(
            architecture: architecture, config: tinyConfig, vocabulary: vocabulary))
        for (name, shape) in TensorName.gpt2Tensors(tinyConfig) {
            let n = shape.reduce(1, *)
            var values = (0..<n).map { _ in Float(rng.nextUnit() - 0.5) }
            if name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name == "ln_f.weight" {
                values = values.map { 1 + $0 }
            }
            let bytes = values.withUnsafeBytes { Array($0) }
            try w.add(TensorData(name: name, shape: shape, type: .f32, bytes: bytes))
        }
        try w.finish()
    }

    /// Runs `body` with a freshly written tiny model file, removed afterwards.
    static func withTinyModel(_ body: (String) throws -> Void) throws {
        let p = temporaryPath("tiny-\(UInt32.random(in: 0...UInt32.max)).gpt2")
        defer { unlink(p) }
        try writeTinyModel(p)
        try body(p)
    }

    @Test func greedyJSONMatchesTheRuntime() throws {
        try Self.withTinyModel { tinyModel in
            let r = try Self.run(["generate", "-m", tinyModel, "-p", "hello", "-n", "30", "--temp", "0",
                                  "--ignore-eos", "--json", "--threads", "1"])
            #expect(r.status == 0, "\(r.stderr)")
            let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            let samples = j["samples"] as! [[String: Any]]
            let ids = samples[0]["ids"] as! [Int]
            // the same in-process: prompt "hello" = its 5 bytes, greedy, window slides at 16
            let model = try GPT2Model(weights: try GPT2Weights(path: tinyModel))
            var s = try Sampler(options: SamplingOptions(temperature: 0))
            var expected: [Int] = []
            try Generator(model: model).generate(prompt: Array("hello".utf8).map(Int.init),
                                                 options: GenerationOptions(maxNewTokens: 30), sampler: &s) { expected.append($0) }
            #expect(ids == expected)
            #expect(j["prompt_ids"] as! [Int] == [104, 101, 108, 108, 111])
            #expect(j["generated_tokens"] as! Int == 30)
            for key in ["load_ms", "prompt_tok_per_s", "generation_tok_per_s", "time_to_first_token_ms", "prompt_ms", "generation_ms"] {
                #expect((j[key] as? Double ?? -1) >= 0, "\(key)")
            }
        }
    }

    /// --kv-cache picks the cache's element type (reported in --json); f16 gives the same ids as
    /// the runtime with an f16 cache.
    @Test func kvCacheOption() throws {
        try Self.withTinyModel { tinyModel in
            let args = ["generate", "-m", tinyModel, "-p", "hello", "-n", "8", "--temp", "0", "--ignore-eos", "--json"]
            let plain = try Self.run(args)
            let f16 = try Self.run(args + ["--kv-cache", "f16"])
            #expect(plain.status == 0 && f16.status == 0, "\(plain.stderr) \(f16.stderr)")
            let jp = try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as! [String: Any]
            let jh = try JSONSerialization.jsonObject(with: Data(f16.stdout.utf8)) as! [String: Any]
            #expect(jp["kv_cache"] as? String == "f32")          // the tiny model is f32
            #expect(jh["kv_cache"] as? String == "f16")
            let model = try GPT2Model(weights: try GPT2Weights(path: tinyModel), kvCache: .f16)
            var s = try Sampler(options: SamplingOptions(temperature: 0))
            var expected: [Int] = []
            try Generator(model: model).generate(prompt: Array("hello".utf8).map(Int.init),
                                                 options: GenerationOptions(maxNewTokens: 8), sampler: &s) { expected.append($0) }
            #expect((jh["samples"] as! [[String: Any]])[0]["ids"] as! [Int] == expected)
            let ppl = try Self.run(["perplexity", "-m", tinyModel, "--json", "--kv-cache", "f16"], stdin: "hello world")
            #expect(ppl.status == 0, "\(ppl.stderr)")
            #expect((try JSONSerialization.jsonObject(with: Data(ppl.stdout.utf8)) as! [String: Any])["kv_cache"] as? String == "f16")
            let bad = try Self.run(args + ["--kv-cache", "q8_0"])
            #expect(bad.status != 0 && !bad.signaled)
            #expect(bad.stderr.contains("kv-cache"), "\(bad.stderr)")
        }
    }

    /// `convert` re-encodes one of our own files (like llama-quantize): f32 -> q8_0, then the
    /// q8_0 file generates, and its matrices are q8_0 in `inspect`.
    @Test func convertRequantizesAModelFile() throws {
        try Self.withTinyModel { tinyModel in
            let out = Self.temporaryPath("requantized-\(UInt32.random(in: 0...UInt32.max)).gpt2")
            defer { unlink(out) }
            let c = try Self.run(["convert", tinyModel, "--dtype", "q8_0", "-o", out, "--json"])
            #expect(c.status == 0, "\(c.stderr)")
            let j = try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as! [String: Any]
            #expect(j["layout"] as? String == "gpt2kit")
            let i = try Self.run(["inspect", out, "--json"])
            #expect(i.status == 0 && i.stdout.contains("\"q8_0\""), "\(i.stderr)")
            let g = try Self.run(["generate", "-m", out, "-p", "hello", "-n", "5", "--temp", "0", "--ignore-eos", "--json"])
            #expect(g.status == 0, "\(g.stderr)")
            #expect((try JSONSerialization.jsonObject(with: Data(g.stdout.utf8)) as! [String: Any])["weights"] as? String == "q8_0")
            // Re-encoding into the source itself is refused (it is still being read).
            let same = try Self.run(["convert", out, "--dtype", "f32", "-o", out])
            #expect(same.status != 0 && !same.signaled)
        }
    }

    @Test func streamsTextAndTimings() throws {
        try Self.withTinyModel { tinyModel in
            let r = try Self.run(["generate", "-m", tinyModel, "-n", "8", "--seed", "5", "--num-samples", "2",
                                  "--ignore-eos"], stdin: "ab")
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasPrefix("ab"))
            #expect(r.stdout.contains("\n---------------\nab"))
            #expect(r.stderr.contains("tok/s"))
            // same seed, same text
            let again = try Self.run(["generate", "-m", tinyModel, "-n", "8", "--seed", "5", "--num-samples", "2",
                                      "--ignore-eos"], stdin: "ab")
            #expect(again.stdout == r.stdout)
        }
    }

    @Test(arguments: [
        (["-p", "x", "-n", "-2"], "-n must be >= 0, or -1"),
        (["-p", "x", "--min-p", "1.5"], "--min-p must be in [0, 1]"),
        (["-p", "x", "--repeat-penalty", "0"], "--repeat-penalty must be a finite number > 0"),
        (["-p", "x", "--repeat-last-n=-1"], "--repeat-last-n must be >= 0"),
        (["-p", "x", "--kv-cache", "q4"], "f32"),
        (["-p", "x<|endoftext|>"], "HINT: pass --allow-special"),
        (["-p", "x", "--allow-special", "--special-as-text"], "choose one of --allow-special and --special-as-text"),
        (["-p", "x", "--top-p", "0"], "--top-p must be in (0, 1]"),
        (["-p", "x", "--top-p", "1.5"], "--top-p must be in (0, 1]"),
        (["-p", "x", "--temp", "-1"], "--temp"),
        (["-p", ""], "tokenizes to no tokens"),
        (["-p", "0123456789abcdefg"], "longer than the model's context of 16"),
        (["-p", "x", "--threads", "0"], "--threads"),
    ])
    func badGenerateInput(_ args: [String], _ message: String) throws {
        try Self.withTinyModel { tinyModel in
            let r = try Self.run(["generate", "-m", tinyModel] + args)
            #expect(r.status != 0)
            #expect(!r.signaled)
            #expect(r.stderr.contains(message), "\(r.stderr)")
        }
    }

    @Test func badModelFiles() throws {
        try Self.withTinyModel { tinyModel in
            let text = Self.temporaryPath("text.txt")
            _ = FileManager.default.createFile(atPath: text, contents: Data(String(repeating: "not a model\n", count: 50).utf8))
            let llama = Self.temporaryPath("llama.gpt2")
            try Self.writeTinyModel(llama, architecture: "llama")
            let cut = Self.temporaryPath("cut.gpt2")
            let bytes = FileManager.default.contents(atPath: tinyModel)!
            _ = FileManager.default.createFile(atPath: cut, contents: bytes.prefix(bytes.count / 2))
            defer { for p in [text, llama, cut] { unlink(p) } }
            for (path, message) in [(text, "GPT2Kit model file"), (llama, "llama"), (cut, "trunc"),
                                    (Self.temporaryPath("missing"), "No such file")] {
                for cmd in [["generate", "-m", path, "-p", "x"], ["perplexity", "-m", path, "-f", text]] {
                    let r = try Self.run(cmd)
                    #expect(r.status != 0)
                    #expect(!r.signaled)
                    #expect(r.stderr.lowercased().contains(message.lowercased()), "\(cmd): \(r.stderr)")
                }
            }
        }
    }

    @Test func perplexityMatchesTheRuntime() throws {
        try Self.withTinyModel { tinyModel in
            let text = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 2)
            let r = try Self.run(["perplexity", "-m", tinyModel, "--json"], stdin: text)
            #expect(r.status == 0, "\(r.stderr)")
            let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            let model = try GPT2Model(weights: try GPT2Weights(path: tinyModel))
            let expected = try Perplexity.evaluate(model: model, tokens: Array(text.utf8).map(Int.init))
            #expect(j["loss"] as! Double == expected.meanLoss)
            #expect(j["windows"] as! Int == 6)                 // 89 predictions in windows of 16
            #expect(j["predicted_tokens"] as! Int == text.utf8.count - 1)
            let short = try Self.run(["perplexity", "-m", tinyModel], stdin: "a")
            #expect(short.status != 0 && short.stderr.contains("at least 2"))
        }
    }

    /// A character-level vocabulary (nanoGPT meta.pkl style) of 257 characters: a-z, then
    /// U+0100 onwards; no "!" in it.
    static let characterVocabulary: Vocabulary = {
        let scalars = Array(0x61...0x7A) + Array(0x100..<(0x100 + 257 - 26))
        return Vocabulary(kind: .characters, tokens: scalars.map { Array(String(UnicodeScalar($0)!).utf8) })
    }()

    @Test func perplexityRefusesCharactersOutsideACharacterVocabulary() throws {
        let p = Self.temporaryPath("chars-\(UInt32.random(in: 0...UInt32.max)).gpt2")
        defer { unlink(p) }
        try Self.writeTinyModel(p, vocabulary: Self.characterVocabulary)
        let ok = try Self.run(["perplexity", "-m", p, "--json"], stdin: "abcab")
        #expect(ok.status == 0, "\(ok.stderr)")
        let j = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as! [String: Any]
        #expect(j["predicted_tokens"] as? Int == 4)
        // "!" is not in the vocabulary: an error naming it, not a loss over "abab"
        let bad = try Self.run(["perplexity", "-m", p], stdin: "ab!ab")
        #expect(bad.status == 1, "\(bad.stderr)")
        #expect(bad.stderr.contains("U+21") && bad.stderr.contains("byte 2"), "\(bad.stderr)")
    }

    @Test func textInputErrorsAreFileErrorsNotUsageErrors() throws {
        try Self.withTinyModel { tinyModel in
            let missing = Self.temporaryPath("no-such-text.txt")
            for cmd in [["generate", "-m", tinyModel, "-f", missing], ["perplexity", "-m", tinyModel, "-f", missing]] {
                let r = try Self.run(cmd)
                #expect(r.status == 1, "\(cmd): \(r.stderr)")
                #expect(r.stderr.contains("cannot open '\(missing)': No such file or directory"), "\(r.stderr)")
            }
            // invalid UTF-8 is refused with its offset, not silently replaced
            for cmd in [["generate", "-m", tinyModel, "-n", "1"], ["perplexity", "-m", tinyModel]] {
                let r = try CLIProcess.run(cmd, stdin: [0x61, 0x62, 0xFF, 0x61, 0x62])
                #expect(r.status == 1, "\(cmd): \(r.stderr)")
                #expect(r.stderr.contains("<stdin>: invalid UTF-8 at byte offset 2"), "\(r.stderr)")
            }
        }
    }

    /// ../shared/checkpoints/tiny, when present.
    static let sharedTiny: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        return [root + "/../shared", root + "/../../shared"].map { $0 + "/checkpoints/tiny" }
            .first { FileManager.default.fileExists(atPath: $0 + "/reference.json") }
    }()

    /// End to end against the real libraries: `gpt2kit convert` of the shared tiny GPT-2 (HF
    /// safetensors, tanh GELU), then `gpt2kit generate --temp 0` on each reference prompt text:
    /// the prompt ids are tiktoken's and the 20 greedy tokens transformers'.
    @Test(.enabled(if: sharedTiny != nil, "../shared is absent"))
    func convertThenGenerateMatchesTransformers() throws {
        let dir = Self.sharedTiny!
        let model = Self.temporaryPath("shared-tiny.gpt2")
        defer { unlink(model) }
        let c = try Self.run(["convert", dir + "/hf-safetensors", "-o", model])
        #expect(c.status == 0, "\(c.stderr)")
        let data = FileManager.default.contents(atPath: dir + "/reference.json")!
        let ref = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for p in ref["gpt2"] as! [[String: Any]] {
            let r = try Self.run(["generate", "-m", model, "-p", p["text"] as! String, "-n", "20", "--temp", "0",
                                  "--ignore-eos", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            #expect(j["prompt_ids"] as! [Int] == p["ids"] as! [Int])
            #expect((j["samples"] as! [[String: Any]])[0]["ids"] as! [Int] == p["greedy_20"] as! [Int])
            // and perplexity of the prompt text is its loss_text
            let q = try Self.run(["perplexity", "-m", model, "--json"], stdin: (p["text"] as? String) ?? "")
            let k = try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as! [String: Any]
            #expect(abs((k["loss"] as! Double) - (p["loss_text"] as! NSNumber).doubleValue) <= 1e-5)
        }
    }
}
