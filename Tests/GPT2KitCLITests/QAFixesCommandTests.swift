import Foundation
import Testing
import GPT2ModelFile
import GPT2Support

/// Regression tests for the QA review's findings on `convert`, `inspect`, `tokenize` and
/// `detokenize`, run as a process. Expected values come from the shared tiny checkpoint's own
/// files (config.json, `sha256sum`) and from the arguments, never from our output.
@Suite struct QAFixesCommandTests {
    static let tinyRoot: String? = ConvertInspectCommandTests.tiny.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }

    func run(_ args: [String], stdin: String? = nil) throws -> RuntimeCommandTests.Run { try RuntimeCommandTests.run(args, stdin: stdin) }
    func json(_ s: String) throws -> JSON { try JSON.parse(Array(s.utf8)) }

    func scratchDir(_ name: String) throws -> String {
        let dir = RuntimeCommandTests.temporaryPath("qa-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `sha256sum`'s digest of a file (coreutils, not our SHA-256).
    func sha256sum(_ path: String) throws -> String {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        p.standardOutput = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: d, as: UTF8.self).prefix(64))
    }

    @Test(.enabled(if: tinyRoot != nil, "../shared/checkpoints/tiny is absent"))
    func nanoGPTWithVocabEmbedsItAndRecordsIt() throws {
        let dir = try scratchDir("vocab"); defer { try? FileManager.default.removeItem(atPath: dir) }
        let vocab = Self.tinyRoot! + "/hf-safetensors/tokenizer.json"
        let out = dir + "/n.gpt2kit"
        let r = try run(["convert", Self.tinyRoot! + "/nanogpt", "--vocab", vocab, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("warning"))
        let i = try json(try run(["inspect", out, "--json"]).stdout)
        // config.json of the same model says vocab_size 50257, eos_token_id 50256.
        #expect(i["tokenizer"]?["eos_id"]?.intValue == 50256)
        #expect(i["config"]?["vocab_size"]?.intValue == 50257)
        let files = try #require(i["provenance"]?["source_files"]?.arrayValue)
        let t = try #require(files.first { $0["path"]?.stringValue == "tokenizer.json" })
        #expect(t["sha256"]?.stringValue == (try sha256sum(vocab)))

        // Without --vocab: GPT-2's default vocabulary, named on stderr and in the provenance.
        let d = try run(["convert", Self.tinyRoot! + "/nanogpt", "-o", dir + "/d.gpt2kit"])
        if d.stderr.contains("notice: ") {
            #expect(d.status == 0 && d.stderr.contains("embedding GPT-2's from"))
            let di = try json(try run(["inspect", dir + "/d.gpt2kit", "--json"]).stdout)
            let names = di["provenance"]?["source_files"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
            #expect(names.contains("ckpt.pt") && names.count >= 2, "\(names)")
            // encoder.json's SHA-256 as tiktoken pins it (Vocab/SHA256SUMS).
            for f in di["provenance"]?["source_files"]?.arrayValue ?? [] where f["path"]?.stringValue == "encoder.json" {
                #expect(f["sha256"]?.stringValue == "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783")
            }
        } else {
            #expect(d.stderr.contains("warning: no tokenizer"), "\(d.stderr)")   // no default installed
        }

        let bad = try run(["convert", Self.tinyRoot! + "/nanogpt", "--vocab", dir + "/nonexistent.json", "-o", dir + "/x"])
        #expect(bad.status == 1 && bad.stderr.contains("No such file or directory") && bad.stderr.contains("--vocab"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x"))
    }

    @Test(.enabled(if: tinyRoot != nil, "../shared/checkpoints/tiny is absent"))
    func noTokenizerWarns() throws {
        let dir = try scratchDir("notok"); defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = dir + "/src"
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        for f in ["model.safetensors", "config.json"] {
            try FileManager.default.createSymbolicLink(atPath: src + "/" + f, withDestinationPath: Self.tinyRoot! + "/hf-safetensors/" + f)
        }
        let r = try run(["convert", src, "-o", dir + "/m.gpt2kit"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning: no tokenizer") && r.stderr.contains("--vocab"))
        let i = try json(try run(["inspect", dir + "/m.gpt2kit", "--json"]).stdout)
        #expect(i["tokenizer"] == .null)

        // generate has no --vocab: without a default vocabulary its hint names convert --vocab
        // on this very file (convert re-encodes model files).
        try FileManager.default.copyItem(atPath: RuntimeCommandTests.binary, toPath: dir + "/gpt2kit")
        let p = Process(), err = Pipe()
        p.executableURL = URL(fileURLWithPath: dir + "/gpt2kit")
        p.arguments = ["generate", "-m", dir + "/m.gpt2kit", "-p", "hello", "-n", "1"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["GPT2KIT_VOCAB"] = nil
        p.environment = env
        p.standardInput = FileHandle.nullDevice; p.standardOutput = FileHandle.nullDevice; p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1)
        #expect(text.contains("has no tokenizer") && text.contains("convert \(dir)/m.gpt2kit --vocab PATH"), "\(text)")
        // Following the hint: the re-encoded file carries the tokenizer and generates.
        let fixed = try run(["convert", dir + "/m.gpt2kit", "--vocab", Self.tinyRoot! + "/hf-safetensors", "-o", dir + "/m2.gpt2kit"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(try json(try run(["inspect", dir + "/m2.gpt2kit", "--json"]).stdout)["tokenizer"] != .null)
        #expect(try run(["generate", "-m", dir + "/m2.gpt2kit", "-p", "hello", "-n", "2"]).status == 0)
    }

    @Test(.enabled(if: tinyRoot != nil, "../shared/checkpoints/tiny is absent"))
    func outputPathsAreCheckedBeforeConverting() throws {
        let dir = try scratchDir("out"); defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = dir + "/src"
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        // A private copy of the weights, so the refusal is what keeps them intact.
        let weights = src + "/model.safetensors"
        try FileManager.default.copyItem(atPath: Self.tinyRoot! + "/hf-safetensors/model.safetensors", toPath: weights)
        try FileManager.default.copyItem(atPath: Self.tinyRoot! + "/hf-safetensors/config.json", toPath: src + "/config.json")
        let before = try sha256sum(weights)
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias", withDestinationPath: weights)
        for out in [weights, src + "/./model.safetensors", dir + "/alias"] {
            let r = try run(["convert", src, "-o", out])
            #expect(r.status == 1 && r.stderr.contains("is the source file"), "\(out): \(r.stderr)")
        }
        #expect(try sha256sum(weights) == before)
        let d = try run(["convert", src, "-o", dir])
        #expect(d.status == 1 && d.stderr.contains("is a directory") && d.stderr.contains("HINT"))
        let m = try run(["convert", src, "-o", dir + "/missing/m.gpt2kit"])
        #expect(m.status == 1 && m.stderr.contains("No such file or directory") && m.stderr.contains("create the directory"))
        // Nothing was written anywhere: no temporary files either.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["alias", "src"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: src).sorted() == ["config.json", "model.safetensors"])
    }

    @Test(.enabled(if: tinyRoot != nil, "../shared/checkpoints/tiny is absent"))
    func convertNoticesAndFlagCombinations() throws {
        let dir = try scratchDir("q8"); defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = Self.tinyRoot! + "/hf-safetensors"
        // n_embd 16 (config.json): every matrix with 16-long rows stays f32; mlp.proj rows are 4*16 = 64.
        let q = try run(["convert", src, "-o", dir + "/q.gpt2kit", "--dtype", "q8_0"])
        #expect(q.status == 0)
        #expect(q.stderr.contains("notice: kept in f32") && q.stderr.contains("h.0.attn.qkv.weight 48x16"))
        #expect(!q.stderr.contains("mlp.proj"))
        let dv = try run(["convert", src, "--dry-run", "--verify"])
        #expect(dv.status == 64 && dv.stderr.contains("--dry-run writes nothing"))
    }

    /// `convert --help` names every output format and source layout (GGUF included) and points
    /// to a document that exists and holds the compression ratios, rather than quoting figures
    /// that go stale; `inspect` says it reads GGUF.
    @Test func convertAndInspectHelpAreCurrent() throws {
        let help = try run(["convert", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("OVERVIEW: Convert a checkpoint into a GPT2Kit model file, a GGUF or a Hugging Face directory."))
        #expect(help.contains("llm.c, llama.cpp GGUF of architecture gpt2)"))
        #expect(!help.contains("0.82"))
        let pointer = try #require(help.firstMatch(of: try Regex("docs/[A-Za-z0-9_-]+\\.md")), "no docs/ pointer in convert --help")
        let doc = try String(contentsOfFile: CLIProcess.packageRoot + "/" + String(help[pointer.range]), encoding: .utf8)
        #expect(doc.contains("ratio") && doc.contains("bf16"))
        let inspect = try run(["inspect", "--help"]).stdout
        #expect(inspect.contains("GGUF"))
        // `gpt2kit help inspect` prints the same help (ArgumentParser's `help` command goes
        // through the CLI's error report untouched), exit status 0.
        let viaHelp = try run(["help", "inspect"])
        #expect(viaHelp.status == 0 && viaHelp.stdout == inspect && viaHelp.stderr.isEmpty, "\(viaHelp.stderr)")
    }

    @Test(.enabled(if: tinyRoot != nil, "../shared/checkpoints/tiny is absent"))
    func inspectVerifyAndTotals() throws {
        let s = try run(["inspect", Self.tinyRoot! + "/hf-safetensors", "--verify"])
        #expect(s.status == 0 && s.stdout.contains("nothing to verify") && !s.stdout.contains("matches"))
        let sj = try json(try run(["inspect", Self.tinyRoot! + "/hf-safetensors", "--verify", "--json"]).stdout)
        #expect(sj["checksums"] == .null && sj["verified"]?.boolValue == true)
        // pytorch_model.bin stores lm_head.weight on wte's storage: the totals count it once, i.e.
        // 4 bytes per parameter of config.json's model (n_embd 16, n_layer 2, n_positions 64, vocab 50257).
        let (v, c, l, p) = (50257, 16, 2, 64)
        let params = v * c + p * c + l * (2 * c + 2 * c + c * 3 * c + 3 * c + c * c + c + c * 4 * c + 4 * c + 4 * c * c + c) + 2 * c
        let b = try json(try run(["inspect", Self.tinyRoot! + "/hf-bin", "--json"]).stdout)
        // + transformers' scalar buffer transformer.h.N.attn.masked_bias, one f32 per layer.
        #expect(b["totals"]?["raw_bytes"]?.intValue == 4 * params + 4 * l)
    }

    @Test(.enabled(if: CLIProcess.hasVocab, "needs Vocab/ (Tools/setup)"))
    func detokenizeRejectsUnbalancedBrackets() throws {
        let open = try run(["detokenize"], stdin: "[1, 2")
        #expect(open.status == 1 && open.stderr.contains("missing ']'") && open.stderr.contains("byte offset 0"))
        let close = try run(["detokenize"], stdin: "1, 2]")
        #expect(close.status == 1 && close.stderr.contains("without an opening '['"))
    }

    @Test func errorTextIsReadable() throws {
        let dir = try scratchDir("err"); defer { try? FileManager.default.removeItem(atPath: dir) }
        let v = try run(["tokenize", "--vocab", dir + "/nonexist"], stdin: "hi")
        #expect(v.status == 1 && v.stderr.contains("No such file or directory"))
        // Magic bytes in the error are two hex digits each.
        let junk = dir + "/junk.gpt2kit"
        #expect(FileManager.default.createFile(atPath: junk, contents: Data([0xC6, 0xD7, 0x34, 0x01, 0x03, 0x00, 0x0A, 0xFF] + [UInt8](repeating: 0, count: 200))))
        let m = try run(["inspect", junk])
        #expect(m.status == 1)
        let direct = try #require(throws: ModelFileError.self) { try ModelFile(path: junk) }
        #expect(direct.found == "c6 d7 34 01 03 00 0a ff")
    }

    /// The default-vocabulary search list names each directory once, although the search
    /// from the executable and the one from the current directory both reach `/Vocab`.
    @Test func vocabularySearchListHasNoDuplicates() throws {
        let dir = try scratchDir("novocab"); defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: RuntimeCommandTests.binary, toPath: dir + "/gpt2kit")
        let p = Process(), err = Pipe()
        p.executableURL = URL(fileURLWithPath: dir + "/gpt2kit")
        p.arguments = ["tokenize"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["GPT2KIT_VOCAB"] = nil
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1)
        let list = try #require(text.split(separator: "(searched: ").last?.split(separator: ")").first)
        let entries = list.split(separator: ", ").map(String.init)
        #expect(entries.contains("/Vocab") && entries.contains(dir + "/Vocab"), "\(text)")
        #expect(Set(entries).count == entries.count, "\(entries)")
    }
}
