import Foundation
import GPT2ModelFile
import Testing

/// `gpt2kit train` end to end, as a process: tiny configurations that run in seconds in a
/// debug build.
@Suite struct TrainCommandTests {
    static let shakespeare = CLIProcess.packageRoot + "/../shared/corpora/tinyshakespeare.txt"

    /// The first 20 KB of Tiny Shakespeare when ../shared is there, else generated text.
    static let text: [UInt8] = {
        if let d = FileManager.default.contents(atPath: shakespeare) { return Array(d.prefix(20_000)) }
        let words = ["the", "king", "is", "dead", "long", "live", "queen", "and", "all", "her", "men", ",", ".\n"]
        var g: UInt64 = 42, s: [UInt8] = []
        while s.count < 20_000 {
            g = g &* 6364136223846793005 &+ 1442695040888963407
            s += Array((words[Int(g >> 33) % words.count] + " ").utf8)
        }
        return s
    }()

    static func dir() -> String {
        let d = RuntimeCommandTests.temporaryPath("train-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func textFile(_ bytes: [UInt8] = text, in d: String) -> String {
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        let p = d + "/input.txt"
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    static let tiny = ["--tokenizer", "char", "--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--block-size", "32",
                       "--batch-size", "8", "--lr", "1e-2", "--min-lr", "1e-3", "--warmup-iters", "5", "--lr-decay-iters", "60",
                       "--eval-interval", "20", "--eval-iters", "5", "-t", "1"]

    static func objects(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func trainsACharModelThatTheOtherCommandsRead() throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let model = d + "/char.gpt2"
        let r = try RuntimeCommandTests.run(["train", Self.textFile(in: d), "-o", model, "--max-iters", "60", "--json"] + Self.tiny)
        #expect(r.status == 0, "\(r.stderr)")
        let events = try Self.objects(r.stdout)
        let evals = events.filter { $0["event"] as? String == "eval" }
        #expect(evals.map { $0["step"] as! Int } == [0, 20, 40, 60])
        let vals = evals.map { $0["val_loss"] as! Double }
        let chars = Set(String(decoding: Self.text, as: UTF8.self).unicodeScalars).count
        #expect(abs(vals[0] - log(Double(chars))) < 0.3, "\(vals)")
        #expect(vals.last! < vals[0] - 0.8, "\(vals)")
        // Progress and memory on stderr.
        #expect(r.stderr.contains("memory: parameters") && r.stderr.contains("ms/step") && r.stderr.contains("tok/s"), "\(r.stderr)")
        for suffix in ["", ".resume", ".loss.svg"] { #expect(FileManager.default.fileExists(atPath: model + suffix), "\(suffix)") }

        let inspect = try RuntimeCommandTests.run(["inspect", model])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("characters"), "\(inspect.stdout)")
        let gen = try RuntimeCommandTests.run(["generate", "-m", model, "-p", "the", "-n", "40", "--seed", "1"])
        #expect(gen.status == 0, "\(gen.stderr)")
        let alphabet = Set(String(decoding: Self.text, as: UTF8.self).unicodeScalars)
        #expect(gen.stdout.unicodeScalars.allSatisfy { alphabet.contains($0) || $0 == "\n" }, "\(gen.stdout)")
        // The last 10% of the text is the validation split: its perplexity is near the run's val loss.
        let valText = String(decoding: Self.text, as: UTF8.self)
        let scalars = Array(valText.unicodeScalars)
        var tail = ""; tail.unicodeScalars.append(contentsOf: scalars[Int(Double(scalars.count) * 0.9)...])
        let ppl = try RuntimeCommandTests.run(["perplexity", "-m", model, "--json"], stdin: tail)
        #expect(ppl.status == 0, "\(ppl.stderr)")
        let loss = try JSONSerialization.jsonObject(with: Data(ppl.stdout.utf8)) as! [String: Any]
        #expect(abs((loss["loss"] as! Double) - vals.min()!) < 0.5, "\(loss) \(vals)")
    }

    @Test func jsonOutputShape() throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let r = try RuntimeCommandTests.run(["train", Self.textFile(in: d), "-o", d + "/m.gpt2", "--max-iters", "3", "--json"] + Self.tiny)
        #expect(r.status == 0, "\(r.stderr)")
        let events = try Self.objects(r.stdout)
        #expect(events.map { $0["event"] as! String } == ["eval", "step", "step", "step", "eval", "done"])
        let step = events[1]
        #expect(Set(step.keys) == ["event", "step", "loss", "lr", "grad_norm", "ms", "tokens_per_s", "seconds_left"])
        #expect(step["step"] as? Int == 0)
        // Warmup: lr · (it + 1) / (warmup + 1) at it = 0 (nanoGPT's get_lr).
        #expect(abs((step["lr"] as! Double) - 1e-2 / 6) < 1e-9)
        #expect(Set(events[0].keys) == ["event", "step", "train_loss", "val_loss", "saved"])
        #expect(events[0]["saved"] as? Bool == true)
        #expect(events.last?["status"] as? String == "finished")
    }

    /// N steps, --resume, N more == 2N steps: the resume states and model files are the same bytes.
    @Test func resumeIsBitExact() throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let input = Self.textFile(in: d)
        let opts = Self.tiny + ["--dropout", "0.1", "--eval-interval", "10"]
        let a = try RuntimeCommandTests.run(["train", input, "-o", d + "/a.gpt2", "--max-iters", "20"] + opts)
        #expect(a.status == 0, "\(a.stderr)")
        let b1 = try RuntimeCommandTests.run(["train", input, "-o", d + "/b.gpt2", "--max-iters", "10"] + opts)
        #expect(b1.status == 0, "\(b1.stderr)")
        let b2 = try RuntimeCommandTests.run(["train", input, "-o", d + "/b.gpt2", "--max-iters", "20", "--resume", "-t", "1"])
        #expect(b2.status == 0, "\(b2.stderr)")
        #expect(b2.stderr.contains("resuming at step 10"))
        let ra = FileManager.default.contents(atPath: d + "/a.gpt2.resume"), rb = FileManager.default.contents(atPath: d + "/b.gpt2.resume")
        #expect(ra != nil && ra == rb)
        let ma = try ModelFile(path: d + "/a.gpt2"), mb = try ModelFile(path: d + "/b.gpt2")
        #expect(ma.tensors.map(\.name) == mb.tensors.map(\.name))
        for t in ma.tensors {
            let x = try ma.withTensor(t.name) { Array($0.bytes) }, y = try mb.withTensor(t.name) { Array($0.bytes) }
            #expect(x.elementsEqual(y), "\(t.name) differs")
        }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func signalFinishesTheStepAndWritesState(_ sig: Int32) throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let model = d + "/s.gpt2", out = d + "/out.jsonl"
        FileManager.default.createFile(atPath: out, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIProcess.binary)
        p.arguments = ["train", Self.textFile(in: d), "-o", model, "--max-iters", "100000", "--json"] + Self.tiny
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        func steps() -> Int {
            (String(data: FileManager.default.contents(atPath: out) ?? Data(), encoding: .utf8) ?? "")
                .components(separatedBy: "\"event\":\"step\"").count - 1
        }
        while p.isRunning, Date() < deadline, steps() < 3 { usleep(10_000) }
        let wasRunning = p.isRunning
        if wasRunning { kill(p.processIdentifier, sig) }
        p.waitUntilExit()
        #expect(wasRunning)
        #expect(p.terminationReason == .exit && p.terminationStatus == 128 + sig)
        let lines = String(data: FileManager.default.contents(atPath: out) ?? Data(), encoding: .utf8) ?? ""
        let done = try Self.objects(lines).last!
        #expect(done["status"] as? String == "interrupted")
        let step = done["step"] as! Int
        #expect(step >= 3)
        let resume = try RuntimeCommandTests.run(["train", d + "/input.txt", "-o", model, "--resume", "--max-iters", "\(step + 2)"])
        #expect(resume.status == 0, "\(resume.stderr)")
        #expect(resume.stderr.contains("resuming at step \(step)"), "\(resume.stderr)")
        #expect(try ModelFile(path: model).metadata.architecture == "gpt2")
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: d)).contains { $0.contains(".tmp-") })
    }

    func refuses(_ args: [String], _ fragments: [String], status: Int32 = 1) throws {
        let r = try RuntimeCommandTests.run(["train"] + args)
        #expect(r.status == status, "\(args): \(r.stderr)")
        for f in fragments { #expect(r.stderr.contains(f), "\(args): wanted \(f) in \(r.stderr)") }
    }

    @Test func badInputIsRefusedWithAHint() throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let input = Self.textFile(in: d)
        let empty = d + "/empty.txt"
        FileManager.default.createFile(atPath: empty, contents: Data())
        try refuses([empty, "-o", d + "/m.gpt2"] + Self.tiny, ["empty", "HINT:"])
        let short = d + "/short.txt"
        FileManager.default.createFile(atPath: short, contents: Data(String(repeating: "abcd", count: 50).utf8))
        try refuses([short, "-o", d + "/m.gpt2"] + Self.tiny, ["validation split has 20 tokens", "block size + 1 = 33", "HINT:"])
        try refuses([input, "-o", d + "/m.gpt2"] + Self.tiny + ["--n-embd", "30", "--n-head", "4"], ["not divisible", "HINT:"])
        // Far beyond any machine's RAM: refused before anything is allocated.
        try refuses([input, "-o", d + "/m.gpt2"] + Self.tiny + ["--n-layer", "4096", "--n-embd", "16384", "--n-head", "16"],
                    ["memory: parameters", "more than the machine's", "HINT:"])
        // Options given twice: the last one counts.
        try refuses([input, "-o", d + "/m.gpt2"] + Self.tiny + ["--lr", "1e30", "--min-lr", "1e30", "--warmup-iters", "0",
                                                               "--grad-clip", "0", "--max-iters", "50"],
                    ["at step ", "keeps the last good checkpoint", "HINT:"])
        #expect(FileManager.default.fileExists(atPath: d + "/m.gpt2"))
        try refuses([input, "-o", d + "/none.gpt2", "--resume"], ["none.gpt2.resume", "HINT:"])
        try refuses([input, "-o", d + "/no/such/dir/m.gpt2"] + Self.tiny, ["directory", "HINT:"])
        try refuses([input, "-o", input] + Self.tiny, ["is the source file", "HINT:"])
        try refuses([input, "-o", d + "/m.gpt2", "--resume", "--n-layer", "2"], ["--n-layer cannot change on --resume"], status: 64)
    }

    @Test func initFromChecksContextAndVocabulary() throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let input = Self.textFile(in: d), base = d + "/base.gpt2"
        let r = try RuntimeCommandTests.run(["train", input, "-o", base, "--max-iters", "2"] + Self.tiny)
        #expect(r.status == 0, "\(r.stderr)")
        // Fine-tune on the same text: works, starts from the base model's loss, not ln(vocab).
        let ft = try RuntimeCommandTests.run(["train", input, "-o", d + "/ft.gpt2", "--init-from", base, "--max-iters", "2", "--json"]
                                             + Self.tiny)
        #expect(ft.status == 0, "\(ft.stderr)")
        try refuses([input, "-o", d + "/ft2.gpt2", "--init-from", base, "--max-iters", "2"] + Self.tiny + ["--block-size", "64"],
                    ["--block-size 64 is above the model's context 32", "HINT:"])
        // Another alphabet: the text gains a character the model never saw.
        let other = Self.textFile(Self.text + Array("~".utf8), in: d + "/o")
        try refuses([other, "-o", d + "/ft3.gpt2", "--init-from", base, "--max-iters", "2"] + Self.tiny,
                    ["vocabulary", "differs", "\"~\"", "HINT:"])
    }
}

extension TrainCommandTests {
    /// The lecture's bigram model: trained by the same loop, written as architecture "bigram"
    /// with its one table, read by inspect, generate and perplexity.
    @Test func trainsABigramModel() throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let model = d + "/bigram.gpt2"
        let r = try RuntimeCommandTests.run(["train", Self.textFile(in: d), "-o", model, "--model", "bigram", "--tokenizer", "char",
                                             "--max-iters", "60", "--eval-interval", "30", "--eval-iters", "5", "--lr", "0.1",
                                             "--block-size", "8", "--batch-size", "32", "--json", "-t", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let vals = try Self.objects(r.stdout).filter { $0["event"] as? String == "eval" }.map { $0["val_loss"] as! Double }
        #expect(vals.count == 3)
        #expect(vals.last! < vals[0] - 0.5, "\(vals)")
        let file = try ModelFile(path: model)
        #expect(file.metadata.architecture == "bigram")
        let chars = Set(String(decoding: Self.text, as: UTF8.self).unicodeScalars).count
        #expect(file.tensors.map(\.name) == ["bigram.weight"])
        #expect(file.tensors.first?.shape == [chars, chars])
        #expect(try RuntimeCommandTests.run(["inspect", model]).status == 0)
        let gen = try RuntimeCommandTests.run(["generate", "-m", model, "-p", "the", "-n", "20", "--seed", "1"])
        #expect(gen.status == 0, "\(gen.stderr)")
        let ppl = try RuntimeCommandTests.run(["perplexity", "-m", model, "--json"], stdin: "the king is here")
        #expect(ppl.status == 0, "\(ppl.stderr)")
        // Resume works for the bigram too.
        let more = try RuntimeCommandTests.run(["train", d + "/input.txt", "-o", model, "--resume", "--max-iters", "70"])
        #expect(more.status == 0, "\(more.stderr)")
    }
}

extension TrainCommandTests {
    static let sharedVocab = CLIProcess.packageRoot + "/../shared/vocab"
    static var vocabArgs: [String] { CLIProcess.hasVocab ? [] : ["--vocab", sharedVocab] }

    /// --tokenizer gpt2 (the default): the BPE vocabulary is embedded and the file generates.
    /// Zero steps (a 50257-row head is slow in a debug build): the step-0 evaluation writes it.
    @Test(.enabled(if: CLIProcess.hasVocab || FileManager.default.fileExists(atPath: TrainCommandTests.sharedVocab + "/encoder.json"),
                   "needs Vocab/ (Tools/setup) or ../shared/vocab"))
    func gpt2TokenizerEmbedsTheBPEVocabulary() throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let model = d + "/bpe.gpt2"
        let r = try RuntimeCommandTests.run(["train", Self.textFile(in: d), "-o", model, "--max-iters", "0", "--n-layer", "1",
                                             "--n-head", "1", "--n-embd", "8", "--block-size", "8", "--batch-size", "1",
                                             "--eval-iters", "1", "-t", "1"] + Self.vocabArgs)
        #expect(r.status == 0, "\(r.stderr)")
        let file = try ModelFile(path: model)
        #expect(file.metadata.vocabulary?.kind == .byteLevelBPE)
        #expect(file.metadata.vocabulary?.count == 50257)
        #expect(file.config?.vocabSize == 50257)
        let gen = try RuntimeCommandTests.run(["generate", "-m", model, "-p", "ROMEO:", "-n", "3", "--seed", "1"])
        #expect(gen.status == 0, "\(gen.stderr)")
        #expect(gen.stdout.hasPrefix("ROMEO:"), "\(gen.stdout)")
    }
}

extension TrainCommandTests {
    /// nanoGPT's finetune_shakespeare in small: `--init-from` a GPT-2 converted from a Hugging
    /// Face checkpoint (the tiny one in ../shared, GPT-2's BPE vocabulary) trains on text with
    /// the GPT-2 tokenizer; its loss falls and the result generates.
    @Test(.enabled(if: ConvertInspectCommandTests.tiny != nil
                   && (CLIProcess.hasVocab || FileManager.default.fileExists(atPath: TrainCommandTests.sharedVocab + "/encoder.json")),
                   "needs ../shared/checkpoints/tiny and a GPT-2 vocabulary"))
    func initFromAConvertedCheckpointFineTunes() throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let base = d + "/tiny.gpt2kit", tuned = d + "/tuned.gpt2kit"
        let c = try RuntimeCommandTests.run(["convert", ConvertInspectCommandTests.tiny!, "-o", base])
        #expect(c.status == 0, "\(c.stderr)")
        let r = try RuntimeCommandTests.run(["train", Self.textFile(in: d), "-o", tuned, "--init-from", base,
                                             "--block-size", "16", "--batch-size", "2", "--lr", "1e-2", "--min-lr", "1e-3",
                                             "--warmup-iters", "0", "--lr-decay-iters", "10", "--max-iters", "10",
                                             "--eval-interval", "10", "--eval-iters", "4", "-t", "2", "--json"] + Self.vocabArgs)
        #expect(r.status == 0, "\(r.stderr)")
        let vals = try Self.objects(r.stdout).filter { $0["event"] as? String == "eval" }.map { $0["val_loss"] as! Double }
        #expect(vals.count == 2, "\(r.stdout)")
        if vals.count == 2 { #expect(vals[1] < vals[0] - 0.1, "\(vals)") }
        let file = try ModelFile(path: tuned)
        #expect(file.config?.nEmbd == 16 && file.config?.vocabSize == 50257)
        #expect(file.config?.activation == .geluErf)     // nanoGPT fine-tunes with nn.GELU (erf)
        let gen = try RuntimeCommandTests.run(["generate", "-m", tuned, "-p", "ROMEO:", "-n", "3", "--seed", "1"])
        #expect(gen.status == 0 && gen.stdout.hasPrefix("ROMEO:"), "\(gen.stderr)")
    }

    /// A directory of nanoGPT's train.bin/val.bin with the meta.pkl that made them (the one
    /// Python wrote for the nanogpt-char checkpoint fixture: 31 characters): the model embeds
    /// that character vocabulary, in meta.pkl's order.
    @Test func binDirectoryWithMetaPickle() throws {
        let d = Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let meta = CLIProcess.packageRoot + "/Tests/GPT2CheckpointsTests/Fixtures/torch/nanogpt-char/meta.pkl"
        try FileManager.default.copyItem(atPath: meta, toPath: d + "/meta.pkl")
        func ids(_ n: Int, _ seed: UInt64) -> Data {
            var g = seed, out: [UInt8] = []
            for _ in 0..<n {
                g = g &* 6364136223846793005 &+ 1442695040888963407
                let id = UInt16((g >> 33) % 31)
                out += [UInt8(id & 0xFF), UInt8(id >> 8)]
            }
            return Data(out)
        }
        FileManager.default.createFile(atPath: d + "/train.bin", contents: ids(2000, 1))
        FileManager.default.createFile(atPath: d + "/val.bin", contents: ids(300, 2))
        let model = d + "/bin.gpt2kit"
        let r = try RuntimeCommandTests.run(["train", d, "-o", model, "--max-iters", "2"] + Self.tiny.filter { $0 != "char" && $0 != "--tokenizer" })
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("2000 train / 300 val tokens (char)"), "\(r.stderr)")
        let v = try #require(try ModelFile(path: model).metadata.vocabulary)
        #expect(v.kind == .characters)
        #expect(v.tokens.map { String(decoding: $0, as: UTF8.self) }.joined() == "\n ,.:BCFacdefhikmnoprstuvwyzéï🙂")
    }
}
