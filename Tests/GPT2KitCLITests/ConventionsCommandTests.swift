import Foundation
import Testing
import GPT2ModelFile
import GPT2Runtime
import GPT2Tokenizer
@testable import GPT2KitCLI

/// The conventions every command shares (docs/CLI.md): -t, case-insensitive enum values listed
/// in --help, tokenize -p and --vocab MODEL, one special-token rule, -n -1, random seeds,
/// completion scripts.
@Suite struct ConventionsCommandTests {
    typealias R = RuntimeCommandTests

    static func json(_ s: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any]
    }

    @Test func threadsShortFlagOnEveryThreadedCommand() throws {
        try R.withTinyModel { (m: String) throws in
            #expect(try R.run(["generate", "-m", m, "-p", "hi", "-n", "2", "-t", "1", "--json"]).status == 0)
            #expect(try R.run(["perplexity", "-m", m, "-t", "1"], stdin: "hello").status == 0)
            #expect(try R.run(["tokenize", "--vocab", m, "-t", "1", "-p", "hi"]).stdout == "104 105\n")
            #expect(try R.run(["convert", m, "--dry-run", "-t", "1"]).status == 0)
            #expect(try R.run(["inspect", m, "--verify", "-t", "1"]).status == 0)
        }
    }

    /// `inspect --verify` checks the tensors on -t threads: the same report at 1 and 2, the
    /// same checksum error for a damaged file, and the range of every other command.
    @Test func inspectVerifyTakesThreads() throws {
        try R.withTinyModel { (m: String) throws in
            let one = try R.run(["inspect", m, "--verify", "--threads", "1"])
            let two = try R.run(["inspect", m, "--verify", "-t", "2"])
            #expect(one.status == 0 && one.stdout.contains("verified: every checksum matches"), "\(one.stderr)")
            #expect(two.stdout == one.stdout, "\(two.stderr)")
            for bad in ["0", "65"] {
                let r = try R.run(["inspect", m, "--verify", "-t", bad])
                #expect(r.status == 64 && r.stderr.contains("--threads must be in 1...64, got \(bad)"), "\(r.stderr)")
            }
            // Flip a byte of the last tensor's data: both thread counts report its checksum.
            var bytes = try #require(FileManager.default.contents(atPath: m))
            let last = try #require(try ModelFile(path: m).tensors.max { $0.offset < $1.offset })
            bytes[last.offset] ^= 0x40
            try bytes.write(to: URL(fileURLWithPath: m))
            for t in ["1", "2"] {
                let r = try R.run(["inspect", m, "--verify", "-t", t])
                #expect(r.status == 1 && r.stderr.contains("checksumMismatch") && r.stderr.contains(last.name)
                        && r.stderr.contains("HINT:"), "-t \(t): \(r.stderr)")
            }
        }
        let help = try R.run(["inspect", "--help"]).stdout
        #expect(help.contains("-t, --threads <threads>"))
    }

    /// `--to GGUF` / `--to HF` write what `--to gguf` / `--to hf` write (case-insensitive, as
    /// every enum option), and --help lists the values.
    @Test func exportFormatIsCaseInsensitive() throws {
        let dir = try InteropToolTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let g = try R.run(["convert", InteropToolTests.source, "-o", dir + "/t.out", "--to", "GGUF"])
        #expect(g.status == 0, "\(g.stderr)")
        let magic = FileManager.default.contents(atPath: dir + "/t.out").map { Array($0.prefix(4)) }
        #expect(magic == Array("GGUF".utf8))
        let h = try R.run(["convert", InteropToolTests.source, "-o", dir + "/hf", "--to", "Hf"])
        #expect(h.status == 0, "\(h.stderr)")
        for f in ["model.safetensors", "config.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/hf/" + f), "\(f)")
        }
        let bad = try R.run(["convert", InteropToolTests.source, "-o", dir + "/x", "--to", "onnx"])
        #expect(bad.status == 64 && bad.stderr.contains("'gpt2kit', 'gguf' or 'hf'"), "\(bad.stderr)")
        let help = try R.run(["convert", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("(values: gpt2kit, gguf, hf)"))
    }

    /// Every enum option of every command (as --experimental-dump-help lists them: the ones
    /// with a value list) accepts each value in upper case, and says a value outside the list
    /// is invalid, so no enum option is left with ArgumentParser's case-sensitive parsing.
    @Test func everyEnumOptionIgnoresCase() throws {
        let r = try CLIProcess.run(["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any])
        let subcommands = try #require((root["command"] as? [String: Any])?["subcommands"] as? [[String: Any]])
        var checked: [String] = []
        for sub in subcommands {
            let command = sub["commandName"] as! String
            for arg in sub["arguments"] as? [[String: Any]] ?? [] {
                guard let values = arg["allValues"] as? [String], !values.isEmpty,
                      let long = (arg["names"] as? [[String: String]])?.first(where: { $0["kind"] == "long" })?["name"] else { continue }
                func parseError(_ value: String) -> String {
                    do { _ = try GPT2KitCLI.GPT2Kit.parseAsRoot([command, "--" + long, value]); return "" } catch {
                        return GPT2KitCLI.GPT2Kit.message(for: error)
                    }
                }
                #expect(parseError("no-such-value").contains("is invalid for '--\(long)"), "\(command) --\(long)")
                for v in values {
                    for spelled in [v.uppercased(), v.prefix(1).uppercased() + v.dropFirst()] {
                        let e = parseError(spelled)
                        #expect(!e.contains("is invalid"), "\(command) --\(long) \(spelled): \(e)")
                    }
                }
                checked.append("\(command) --\(long)")
            }
        }
        // The options docs/CLI.md names; a new enum option joins the loop above by itself.
        for o in ["convert --dtype", "convert --to", "generate --kv-cache", "tokenize --format", "detokenize --format", "train --model"] {
            #expect(checked.contains(o), "\(o) was not found in the dump")
        }
    }

    @Test func enumValuesAreCaseInsensitiveAndListed() throws {
        try R.withTinyModel { (m: String) throws in
            let g = try R.run(["generate", "-m", m, "-p", "hi", "-n", "2", "--kv-cache", "F16", "--json"])
            #expect(g.status == 0, "\(g.stderr)")
            #expect(try Self.json(g.stdout)["kv_cache"] as? String == "f16")
            let c = try R.run(["convert", m, "--dry-run", "--dtype", "Q8_0", "--json"])
            #expect(c.status == 0, "\(c.stderr)")
            #expect(c.stdout.contains("\"q8_0\""))
            let bad = try R.run(["convert", m, "--dry-run", "--dtype", "q4"])
            #expect(bad.status != 0 && bad.stderr.contains("q8_0"), "\(bad.stderr)")
        }
        // Help text wraps: compare with single spaces.
        func help(_ cmd: String) throws -> String {
            try R.run([cmd, "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        #expect(try help("convert").contains("(values: f32, f16, bf16, q8_0)"))
        #expect(try help("generate").contains("(values: f32, f16)"))
        #expect(try help("tokenize").contains("(values: text, u16; default: text)"))
        try R.withTinyModel { (m: String) throws in
            #expect(try R.run(["tokenize", "--vocab", m, "--format", "U16", "-p", "hi"]).stdout == "h\0i\0")
        }
    }

    /// tiktoken: gpt2 encodes "hello world" as [31373, 995].
    @Test(.enabled(if: CLIProcess.hasVocab, "needs Vocab/ (Tools/setup)"))
    func tokenizePromptAndModelVocabulary() throws {
        let r = try R.run(["tokenize", "-p", "hello world"])
        #expect(r.stdout == "31373 995\n", "\(r.stderr)")
        let both = try R.run(["tokenize", "-p", "x", "/dev/null"])
        #expect(both.status != 0 && both.stderr.contains("not both"))
        try R.withTinyModel { (m: String) throws in
            #expect(try R.run(["tokenize", "--vocab", m, "-p", "héllo"]).stdout == "104 195 169 108 108 111\n")
            #expect(try R.run(["detokenize", "--vocab", m], stdin: "104 105").stdout == "hi")
        }
        let bare = R.temporaryPath("novocab-\(UInt32.random(in: 0...UInt32.max)).gpt2")
        defer { unlink(bare) }
        try R.writeTinyModel(bare, vocabulary: nil)
        let none = try R.run(["tokenize", "--vocab", bare, "-p", "hi"])
        #expect(none.status != 0 && none.stderr.contains("without an embedded tokenizer") && none.stderr.contains("HINT:"), "\(none.stderr)")
    }

    /// One rule for tokenize, generate and perplexity: refused by default with a hint, the
    /// special token with --allow-special, text with --special-as-text.
    @Test func oneSpecialTokenRule() throws {
        try R.withTinyModel { (m: String) throws in
            let text = "ab<|endoftext|>cd"
            let refused = [
                try R.run(["tokenize", "--vocab", m, "-p", text]),
                try R.run(["generate", "-m", m, "-p", text, "-n", "1"]),
                try R.run(["perplexity", "-m", m], stdin: text),
            ]
            for r in refused {
                #expect(r.status != 0 && r.stderr.contains("HINT: pass --allow-special"), "\(r.stderr)")
            }
            #expect(try R.run(["tokenize", "--vocab", m, "-p", text, "--allow-special"]).stdout == "97 98 256 99 100\n")
            let g = try R.run(["generate", "-m", m, "-p", text, "-n", "1", "--allow-special", "--json"])
            #expect(try Self.json(g.stdout)["prompt_ids"] as? [Int] == [97, 98, 256, 99, 100], "\(g.stderr)")
            let gt = try R.run(["generate", "-m", m, "-p", "a<|endoftext|>", "-n", "1", "--special-as-text", "--json"])
            #expect(try Self.json(gt.stdout)["prompt_ids"] as? [Int] == Array("a<|endoftext|>".utf8).map(Int.init), "\(gt.stderr)")
            let p = try R.run(["perplexity", "-m", m, "--allow-special", "--json"], stdin: text)
            #expect(try Self.json(p.stdout)["tokens"] as? Int == 5, "\(p.stderr)")
            let pt = try R.run(["perplexity", "-m", m, "--special-as-text", "--json"], stdin: text)
            #expect(try Self.json(pt.stdout)["tokens"] as? Int == text.utf8.count, "\(pt.stderr)")
        }
    }

    /// -n -1 fills the context: 3 prompt tokens + 13 = n_ctx 16.
    @Test func minusOneFillsTheContext() throws {
        try R.withTinyModel { (m: String) throws in
            let r = try R.run(["generate", "-m", m, "-p", "abc", "-n", "-1", "--ignore-eos", "--json"])
            #expect(try Self.json(r.stdout)["generated_tokens"] as? Int == 13, "\(r.stderr)")
        }
    }

    /// No --seed: a random one, printed; giving it back reproduces the text.
    @Test func randomSeedIsPrintedAndReproduces() throws {
        try R.withTinyModel { (m: String) throws in
            let args = ["generate", "-m", m, "-p", "abc", "-n", "12", "--temp", "1.5", "--ignore-eos", "--json"]
            let a = try Self.json(try R.run(args).stdout), b = try Self.json(try R.run(args).stdout)
            let seedA = try #require(a["seed"] as? UInt64), seedB = try #require(b["seed"] as? UInt64)
            #expect(seedA != seedB)
            let again = try Self.json(try R.run(args + ["--seed", String(seedA)]).stdout)
            #expect(again["seed"] as? UInt64 == seedA)
            #expect((again["samples"] as! [[String: Any]])[0]["ids"] as! [Int] == (a["samples"] as! [[String: Any]])[0]["ids"] as! [Int])
        }
    }

    /// --repeat-penalty and --min-p reach the sampler: the ids equal the runtime's with the same
    /// options (the sampler's own arithmetic is checked by hand in SamplerPenaltyTests).
    @Test func penaltyAndMinPReachTheSampler() throws {
        try R.withTinyModel { (m: String) throws in
            let r = try R.run(["generate", "-m", m, "-p", "hello", "-n", "10", "--temp", "0.9", "--min-p", "0.2",
                               "--repeat-penalty", "1.3", "--repeat-last-n", "8", "--seed", "3", "--ignore-eos", "--json"])
            let ids = (try Self.json(r.stdout)["samples"] as! [[String: Any]])[0]["ids"] as! [Int]
            let model = try GPT2Model(weights: try GPT2Weights(path: m))
            var s = try Sampler(options: SamplingOptions(temperature: 0.9, topK: 200, minP: 0.2, repeatPenalty: 1.3,
                                                         repeatLastN: 8, seed: 3))
            var expected: [Int] = []
            try Generator(model: model).generate(prompt: Array("hello".utf8).map(Int.init),
                                                 options: GenerationOptions(maxNewTokens: 10), sampler: &s) { expected.append($0) }
            #expect(ids == expected)
        }
    }

    @Test(arguments: ["bash", "zsh", "fish"]) func completionScripts(_ shell: String) throws {
        let r = try R.run(["--generate-completion-script", shell])
        #expect(r.status == 0 && r.stdout.contains("gpt2kit") && r.stdout.contains("perplexity"), "\(r.stderr)")
    }
}
