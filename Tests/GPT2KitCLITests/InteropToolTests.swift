import Foundation
import Testing
import GPT2Checkpoints
import GPT2ModelFile
import GPT2Support
import GPT2Runtime
import GPT2Tokenizer

/// GGUF and Hugging Face exports checked by the other tools themselves: llama.cpp's
/// `llama-completion` continues our GGUF files greedily with the same text as `gpt2kit generate`,
/// and transformers' `GPT2LMHeadModel.from_pretrained` gives our logits on our HF directory.
/// Also `gpt2kit convert/inspect` on GGUF files written by gguf-py and llama-quantize (the
/// committed fixtures). The tool tests skip with a reason when llama.cpp or torch is absent.
@Suite struct InteropToolTests {
    static let root = CLIProcess.packageRoot
    static let fixtures = root + "/Tests/GPT2CheckpointsTests/Fixtures/gguf"
    static let source = fixtures + "/source"
    /// `GPT2KIT_LLAMA_CPP_BIN`, default .build/bench/llama.cpp/build/bin (Tools/build-llama-cpp).
    static let llamaBin = ProcessInfo.processInfo.environment["GPT2KIT_LLAMA_CPP_BIN"]
        ?? root + "/.build/bench/llama.cpp/build/bin"
    static var hasLlama: Bool { FileManager.default.isExecutableFile(atPath: llamaBin + "/llama-completion") }
    static let torchPython: String? = {
        let p = root + "/.build/venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: p) else { return nil }
        return (try? exec(p, ["-c", "import torch, transformers"]))?.status == 0 ? p : nil
    }()
    static let sharedTiny: String? = {
        for s in [root + "/../shared", root + "/../../shared"] where FileManager.default.fileExists(atPath: s + "/checkpoints/tiny/reference.json") {
            return s + "/checkpoints/tiny/hf-safetensors"
        }
        return nil
    }()

    static func exec(_ tool: String, _ args: [String]) throws -> (status: Int32, stdout: [UInt8], stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = CLIProcess.scratch("out"), err = CLIProcess.scratch("err")
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        defer { for f in [out, err] { try? FileManager.default.removeItem(atPath: f) } }
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle(forWritingAtPath: err)
        // An open /dev/null: FileHandle.nullDevice can leave the child without an fd 0 on Linux.
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, [UInt8](FileManager.default.contents(atPath: out) ?? Data()),
                String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self))
    }

    static func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "gpt2kit-interop-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// `gpt2kit generate` greedy on `model` (a model file), as the continuation's bytes.
    static func gpt2kitGreedy(_ model: String, prompt: String, n: Int) throws -> [UInt8] {
        let r = try CLIProcess.run(["generate", "-m", model, "-p", prompt, "-n", "\(n)", "--temp", "0", "--ignore-eos", "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        let j = try JSON.parse(r.stdout)
        let sample = j["samples"]?.arrayValue?.first?["ids"]?.arrayValue
        let ids = try #require(sample).compactMap { $0.intValue }
        let v = try #require(try ModelFile(path: model).vocabulary)
        return ids.flatMap { v.tokens[$0] }
    }

    /// llama.cpp's greedy continuation (raw bytes). A complete run ends its output with a
    /// newline; this llama.cpp build loses its asynchronously logged output now and then (about
    /// one run in five here printed nothing, or a partial text, with exit status 0), so a run
    /// without the final newline (or with nothing before it) is repeated, up to 8 times.
    static func llamaGreedy(_ gguf: String, prompt: String, n: Int, ctx: Int) throws -> [UInt8] {
        for _ in 0..<8 {
            let r = try exec(llamaBin + "/llama-completion", ["-m", gguf, "-p", prompt, "-n", "\(n)", "--temp", "0", "--ignore-eos",
                                                              "-t", "1", "-c", "\(ctx)", "--no-warmup", "-no-cnv", "--no-display-prompt"])
            try #require(r.status == 0, "\(r.stderr)")
            guard r.stdout.last == 10 else { continue }
            var out = r.stdout
            while out.last == 10 { out.removeLast() }
            if !out.isEmpty { return out }
        }
        Issue.record("llama-completion never printed a complete continuation in 8 runs")
        return []
    }

    /// (source checkpoint, prompts, tokens to generate, context, dtypes). The fixture's rows are
    /// 32 wide, so its q8_0 file quantizes every matrix; the shared tiny GPT-2 has the real
    /// GPT-2 tokenizer, but its near-uniform logits (all within ~0.01) make f16/q8_0 argmax
    /// ties, so it runs in f32 only.
    static var cases: [(String, [String], Int, Int, [ElementType])] {
        var c: [(String, [String], Int, Int, [ElementType])] = [(source, ["the cat sat", "on the mat", "that"], 10, 16, [.f32, .f16, .q8_0])]
        if let t = sharedTiny { c.append((t, ["Hello, my name is", "The quick brown fox"], 20, 64, [.f32])) }
        return c
    }

    @Test(.enabled(if: hasLlama, "llama.cpp is not built (Tools/build-llama-cpp, or set GPT2KIT_LLAMA_CPP_BIN)"))
    func llamaCppContinuesOurGGUFAsGenerateDoes() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (src, prompts, n, ctx, types) in Self.cases {
            for t in types {
                let gguf = dir + "/m-\(t.rawValue).gguf", back = dir + "/m-\(t.rawValue).gpt2kit"
                let w = try CLIProcess.run(["convert", src, "-o", gguf, "--dtype", t.rawValue, "--verify"])
                try #require(w.status == 0, "\(w.stderr)")
                // gpt2kit runs the same file: converted back (bit-exact) to a model file.
                let b = try CLIProcess.run(["convert", gguf, "-o", back])
                try #require(b.status == 0, "\(b.stderr)")
                for p in prompts {
                    let ours = try Self.gpt2kitGreedy(back, prompt: p, n: n)
                    let theirs = try Self.llamaGreedy(gguf, prompt: p, n: n, ctx: ctx)
                    #expect(!ours.isEmpty && ours == theirs,
                            "\(src) \(t) '\(p)': gpt2kit \(String(decoding: ours, as: UTF8.self)) llama.cpp \(String(decoding: theirs, as: UTF8.self))")
                }
            }
        }
    }

    static let hfScript = """
    import json, sys, torch
    from transformers import GPT2LMHeadModel, GPT2Tokenizer
    d, text = sys.argv[1], sys.argv[2]
    m = GPT2LMHeadModel.from_pretrained(d).eval()
    tok = GPT2Tokenizer.from_pretrained(d)
    ids = tok.encode(text)
    with torch.no_grad():
        logits = m(torch.tensor([ids])).logits[0].float()
    print(json.dumps({"ids": ids, "logits": logits.tolist(), "dtype": str(next(m.parameters()).dtype)}))
    """

    @Test(.enabled(if: torchPython != nil, "needs torch + transformers in the project venv (Tools/bench-venv transformers)"))
    func transformersLoadsOurHFExport() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var sources = [(Self.source, "the cat sat on the mat")]
        if let t = Self.sharedTiny { sources.append((t, "Hello, my name is GPT2Kit.")) }
        for (src, text) in sources {
            let out = dir + "/hf-\(sources.firstIndex { $0.0 == src }!)"
            let r = try CLIProcess.run(["convert", src, "-o", out, "--to", "hf", "--verify"])
            try #require(r.status == 0, "\(r.stderr)")
            let py = try Self.exec(Self.torchPython!, ["-c", Self.hfScript, out, text])
            try #require(py.status == 0, "\(py.stderr)")
            let j = try JSON.parse(py.stdout)
            let ckpt = try CheckpointLoader.open(src)
            let ids = try Tokenizer(vocabulary: try #require(ckpt.vocabulary)).encodeOrdinary(text)
            #expect(j["ids"]?.arrayValue?.compactMap(\.intValue) == ids, "tokenizer of \(src)")
            #expect(j["dtype"]?.stringValue == "torch.float32")
            let model = try GPT2Model(weights: try GPT2Weights(config: ckpt.config, load: ckpt.load))
            var worst: Float = 0
            try model.append(ids) { i, logits in
                let want = j["logits"]!.arrayValue![i].arrayValue!.map { Float($0.doubleValue!) }
                worst = max(worst, zip(logits, want).map { abs($0 - $1) }.max()!)
            }
            #expect(worst <= 1e-4, "\(src): max |Δlogit| \(worst)")
        }
    }

    /// `convert model.gguf`: a model file whose logits are those of the original checkpoint with
    /// each tensor in the GGUF's type (f32: the original itself).
    @Test(arguments: ["tiny-f32.gguf", "tiny-f16.gguf", "tiny-q8_0.gguf", "tiny-llama-quantize-q8_0.gguf"])
    func convertedGGUFGivesTheOriginalsLogits(_ name: String) throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLIProcess.run(["convert", Self.fixtures + "/" + name, "-o", dir + "/m.gpt2kit", "--verify"])
        try #require(r.status == 0, "\(r.stderr)")
        let file = try ModelFile(path: dir + "/m.gpt2kit")
        let source = try CheckpointLoader.open(Self.source)
        let fromGGUF = try GPT2Model(weights: try GPT2Weights(modelFile: file))
        let fromSource = try GPT2Model(weights: try GPT2Weights(config: source.config) { n in
            ConverterDType.convert(try source.load(n), to: file.info(n)!.type)
        })
        #expect(file.vocabulary == source.vocabulary)
        let ids = try Tokenizer(vocabulary: try #require(file.vocabulary)).encodeOrdinary("the cat sat on the hat")
        #expect(try fromGGUF.append(ids) == fromSource.append(ids))
        if name == "tiny-f32.gguf" {
            let plain = try GPT2Model(weights: try GPT2Weights(config: source.config, load: source.load))
            fromGGUF.reset()
            #expect(try fromGGUF.append(ids) == plain.append(ids))
        }
    }

    @Test func inspectGGUF() throws {
        let r = try CLIProcess.run(["inspect", Self.fixtures + "/tiny-llama-quantize-q8_0.gguf", "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        let j = try JSON.parse(r.stdout)
        #expect(j["layout"]?.stringValue == "gguf")
        #expect(j["config"]?["n_embd"]?.intValue == 32 && j["config"]?["n_layer"]?.intValue == 2)
        #expect(j["tokenizer"]?["eos_id"]?.intValue == 280)
        let t = j["tensors"]?.arrayValue ?? []
        #expect(t.count == 28)
        #expect(t.contains { $0["name"]?.stringValue == "blk.1.ffn_up.weight" && $0["dtype"]?.stringValue == "q8_0"
                             && $0["shape"]?.arrayValue?.compactMap(\.intValue) == [32, 128] })
        let text = try CLIProcess.run(["inspect", Self.fixtures + "/tiny-f16.gguf"])
        #expect(text.status == 0 && text.text.contains("checkpoint (gguf)") && text.text.contains("token_embd.weight"))
    }

    @Test func exportErrorsAreClear() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A character-level model file (the byte vocabulary of RuntimeCommandTests is BPE: use characters).
        let chars = dir + "/chars.gpt2kit"
        try RuntimeCommandTests.writeTinyModel(chars, vocabulary: Vocabulary(kind: .characters, tokens: (0..<257).map { [UInt8(truncatingIfNeeded: $0 % 95 + 32)] }))
        let r = try CLIProcess.run(["convert", chars, "-o", dir + "/x.gguf"])
        #expect(r.status != 0 && r.stderr.contains("BPE") && r.stderr.contains("HINT"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.gguf"))
        let c = try CLIProcess.run(["convert", Self.source, "-o", dir + "/y.gguf", "--compress"])
        #expect(c.status != 0 && c.stderr.contains("--compress"))
        let q = try CLIProcess.run(["convert", Self.source, "-o", dir + "/hf", "--to", "hf", "--dtype", "q8_0"])
        #expect(q.status != 0 && q.stderr.contains("q8_0"))
    }
}
