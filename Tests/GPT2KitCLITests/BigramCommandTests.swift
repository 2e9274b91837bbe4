import Foundation
import Testing
import GPT2ModelFile
import GPT2Runtime
import GPT2Tokenizer

/// `gpt2kit generate`, `perplexity` and `inspect` on a bigram model file whose table is built
/// here: greedy output is known by construction, the perplexity is computed from the table.
@Suite struct BigramCommandTests {
    /// Eight characters: the table's rows and columns.
    static let letters = Array("abcdefgh")
    static let vocabulary = Vocabulary(kind: .characters, tokens: letters.map { Array(String($0).utf8) })
    static let v = 8, nCtx = 4

    /// Row i: small varied logits (|x| <= 0.3) plus 3 at column (i+1) % 8, so token i is
    /// always followed greedily by i+1: "a" continues "bcdefghabc...".
    static let table: [Float] = (0..<(v * v)).map { k in
        let i = k / v, j = k % v
        return Float(0.3 * sin(Double(7 * i + j))) + (j == (i + 1) % v ? 3 : 0)
    }

    static func write(_ path: String, type: ElementType = .f32, shape: [Int] = [v, v]) throws {
        let meta = ModelMetadata(architecture: "bigram", config: BigramLayout.config(vocabularySize: v, contextLength: nCtx),
                                 vocabulary: vocabulary)
        let w = try ModelFileWriter(path: path, metadata: meta)
        let bytes = type == .f16 ? table.map { Float16($0) }.withUnsafeBytes { Array($0) } : table.withUnsafeBytes { Array($0) }
        try w.add(TensorData(name: "bigram.weight", shape: shape, type: type, bytes: bytes))
        try w.finish()
    }

    static func withBigram(type: ElementType = .f32, _ body: (String) throws -> Void) throws {
        let p = RuntimeCommandTests.temporaryPath("bigram-\(UInt32.random(in: 0...UInt32.max)).gpt2kit")
        defer { unlink(p) }
        try write(p, type: type)
        try body(p)
    }

    static func json(_ r: RuntimeCommandTests.Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    /// GGUF and Hugging Face exports of a bigram model: refused before anything is written,
    /// saying that the target has no bigram architecture and what it needs instead.
    @Test(arguments: [(["--to", "gguf"], "llama.cpp has no bigram architecture"),
                      ([], "llama.cpp has no bigram architecture"),              // -o X.gguf
                      (["--to", "HF"], "Hugging Face transformers has no bigram architecture")])
    func exportNeedsAGPT2Model(_ to: [String], _ reason: String) throws {
        try Self.withBigram { path in
            let out = RuntimeCommandTests.temporaryPath("bigram-export-\(UUID().uuidString)") + (to.isEmpty ? ".gguf" : "")
            let r = try RuntimeCommandTests.run(["convert", path, "-o", out] + to)
            #expect(r.status == 1 && !r.signaled, "\(r.stderr)")
            #expect(r.stderr.contains(path) && r.stderr.contains(reason), "\(r.stderr)")
            #expect(r.stderr.contains("HINT: --to \(to.last?.lowercased() ?? "gguf") needs a GPT-2 model"), "\(r.stderr)")
            #expect(!r.stderr.contains("only gpt2 model files convert"))
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// Greedy from "a" is the alphabet cycled, past the 4-token window too (the window slides).
    @Test(arguments: [ElementType.f32, .f16]) func greedyGenerationFollowsTheTable(_ type: ElementType) throws {
        try Self.withBigram(type: type) { path in
            let r = try RuntimeCommandTests.run(["generate", "-m", path, "-p", "a", "-n", "20", "--temp", "0", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let j = try Self.json(r)
            let sample = (j["samples"] as! [[String: Any]])[0]
            #expect(sample["text"] as? String == "bcdefghabcdefghabcde")
            #expect(sample["ids"] as? [Int] == (1...20).map { $0 % 8 })
            #expect(j["weights"] as? String == type.rawValue)
            #expect(j["kv_cache"] as? String == "none")
            let text = try RuntimeCommandTests.run(["generate", "-m", path, "-p", "ca", "-n", "5", "--temp", "0"])
            #expect(text.status == 0 && text.stdout == "cabcdef\n", "\(text.stdout) \(text.stderr)")
        }
    }

    /// Sampling at temperature 1 with a seed is reproducible and stays in the vocabulary.
    @Test func seededSamplingRepeats() throws {
        try Self.withBigram { path in
            let args = ["generate", "-m", path, "-p", "a", "-n", "40", "--seed", "7", "--json"]
            let a = try Self.json(try RuntimeCommandTests.run(args)), b = try Self.json(try RuntimeCommandTests.run(args))
            let ids = (a["samples"] as! [[String: Any]])[0]["ids"] as! [Int]
            #expect(ids.count == 40 && ids.allSatisfy { (0..<8).contains($0) })
            #expect(ids == (b["samples"] as! [[String: Any]])[0]["ids"] as! [Int])
        }
    }

    /// exp(mean cross-entropy), the mean taken here over every pair of the text from the table.
    @Test func perplexityIsTheTablesCrossEntropy() throws {
        let text = "abcdefghhgfedcbaacegbdfhaaab"
        let ids = text.map { Self.letters.firstIndex(of: $0)! }
        var total = 0.0
        for (a, b) in zip(ids, ids.dropFirst()) {
            let row = (0..<Self.v).map { Double(Self.table[a * Self.v + $0]) }
            total += log(row.map { exp($0) }.reduce(0, +)) - row[b]
        }
        let loss = total / Double(ids.count - 1)
        try Self.withBigram { path in
            let r = try RuntimeCommandTests.run(["perplexity", "-m", path, "--json"], stdin: text)
            #expect(r.status == 0, "\(r.stderr)")
            let j = try Self.json(r)
            let got = try #require(j["loss"] as? Double)
            #expect(abs(got - loss) <= 1e-6 * loss, "loss \(got) vs \(loss)")
            #expect(abs((j["perplexity"] as! Double) - exp(loss)) <= 1e-5 * exp(loss))
            #expect(j["predicted_tokens"] as? Int == ids.count - 1)
            #expect(j["windows"] as? Int == (ids.count - 1 + 3) / 4 && j["n_ctx"] as? Int == 4)
        }
    }

    @Test func inspectShowsTheBigram() throws {
        try Self.withBigram { path in
            let r = try RuntimeCommandTests.run(["inspect", path, "--json", "--verify"])
            #expect(r.status == 0, "\(r.stderr)")
            let j = try Self.json(r)
            #expect(j["architecture"] as? String == "bigram")
            let b = try #require(j["bigram"] as? [String: Any])
            #expect(b["vocab_size"] as? Int == 8 && b["n_ctx"] as? Int == 4 && b["table"] as? String == "bigram.weight")
            let t = (j["tensors"] as! [[String: Any]])
            #expect(t.count == 1 && t[0]["name"] as? String == "bigram.weight" && t[0]["shape"] as? [Int] == [8, 8])
            #expect((j["tokenizer"] as? [String: Any])?["kind"] as? String == "characters")
            let text = try RuntimeCommandTests.run(["inspect", path])
            #expect(text.status == 0 && text.stdout.contains("bigram: vocab 8, n_ctx 4"), "\(text.stdout)")
        }
    }

    @Test func badUseAndBadFilesAreErrors() throws {
        try Self.withBigram { path in
            let r = try RuntimeCommandTests.run(["generate", "-m", path, "-p", "a", "--kv-cache", "f16"])
            #expect(r.status != 0 && r.stderr.contains("no KV cache"), "\(r.stderr)")
            let long = try RuntimeCommandTests.run(["generate", "-m", path, "-p", "abcde", "-n", "1"])
            #expect(long.status != 0 && long.stderr.contains("longer than the model's context of 4"), "\(long.stderr)")
        }
        let p = RuntimeCommandTests.temporaryPath("bigram-bad-\(UInt32.random(in: 0...UInt32.max)).gpt2kit")
        defer { unlink(p) }
        try Self.write(p, shape: [4, 16])                    // 64 values, but not [8, 8]
        for args in [["inspect", p], ["generate", "-m", p, "-p", "a"], ["perplexity", "-m", p]] {
            let r = try RuntimeCommandTests.run(args, stdin: "abc")
            #expect(r.status != 0 && r.stderr.contains("bigram.weight") && r.stderr.contains("[8, 8]"), "\(args): \(r.stderr)")
        }
    }
}
