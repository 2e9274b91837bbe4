import Foundation
import Testing

/// The CLI end to end on CPUs older than the build machine's, under qemu-x86_64: `-cpu max`
/// (AVX2, no AVX-512) and `-cpu Nehalem` (no AVX). Each command must not die of a signal (an
/// instruction the CPU lacks is SIGILL) and must print what the native run prints; greedy ids
/// of the f32 model are also transformers' (reference.json), tokenizer ids tiktoken's.
/// Generated text is compared exactly, losses within 1e-3 relative (kernel sets may differ in
/// the last float digits). Skips without qemu outside CI; in CI a missing qemu fails.
@Suite(.enabled(if: QEMU.hostIsX86, "qemu-x86_64 runs x86-64 binaries only; this host is not one"),
       .enabled(if: QEMU.path != nil || CLIProcess.inCI, "qemu-x86_64 is not installed (Tools/setup --test installs qemu-user)"),
       .enabled(if: RuntimeCommandTests.sharedTiny != nil, "../shared/checkpoints/tiny is absent"),
       .enabled(if: CLIProcess.hasVocab, "needs Vocab/ (Tools/setup)"))
struct QEMUPortabilityTests {
    static let vocab = CLIProcess.packageRoot + "/Vocab"
    static var tiny: String { RuntimeCommandTests.sharedTiny! }
    static var corpora: String { tiny + "/../../corpora" }

    /// The converted files: each dtype the converter writes, and a compressed one.
    static let variants: [(name: String, flags: [String])] = [
        ("f32", ["--dtype", "f32"]), ("f16", ["--dtype", "f16"]), ("q8_0", ["--dtype", "q8_0"]),
        ("f32-compressed", ["--dtype", "f32", "--compress"]),
    ]

    /// reference.json's "gpt2" prompts (transformers, tanh GELU).
    struct Prompt: Sendable {
        let text: String
        let tokens: Int
        let greedy20: [Int]
        let lossText: Double
    }

    static let prompts: [Prompt] = {
        guard let dir = RuntimeCommandTests.sharedTiny,
              let data = FileManager.default.contents(atPath: dir + "/reference.json"),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let set = root["gpt2"] as? [[String: Any]] else { return [] }
        return set.compactMap { p in
            guard let text = p["text"] as? String, let ids = p["ids"] as? [Int],
                  let greedy = p["greedy_20"] as? [Int], let loss = p["loss_text"] as? NSNumber else { return nil }
            return Prompt(text: text, tokens: ids.count, greedy20: greedy, lossText: loss.doubleValue)
        }
    }()

    func native(_ args: [String], stdin: [UInt8] = []) throws -> CLIProcess.Result {
        let r = try CLIProcess.run(args, stdin: stdin, environment: QEMU.environment(vocab: Self.vocab))
        try #require(r.status == 0, "native gpt2kit \(args.joined(separator: " ")): status \(r.status): \(r.stderr)")
        return r
    }

    /// The same command under `qemu-x86_64 -cpu cpu`; a death by signal ends the test.
    func emulated(_ args: [String], cpu: String, stdin: [UInt8] = []) throws -> CLIProcess.Result {
        let qemu = try #require(QEMU.path, "CI is set but qemu-x86_64 is missing: Tools/setup --test installs qemu-user")
        let r = try CLIProcess.run(args, stdin: stdin, launcher: [qemu, "-cpu", cpu],
                                   environment: QEMU.environment(vocab: Self.vocab))
        let what = "gpt2kit \(args.joined(separator: " ")) under -cpu \(cpu)"
        try #require(r.status >= 0, "\(what) died of signal \(-r.status)\(r.status == -SIGILL ? " (SIGILL: an instruction this CPU lacks)" : "")")
        try #require(r.status == 0, "\(what): status \(r.status): \(r.stderr)")
        return r
    }

    /// The tiny checkpoint converted natively to each variant, once for all tests (conversion
    /// of a debug build takes seconds); removed when the test process exits.
    static let nativeModels: Result<String, Error> = Result {
        let dir = RuntimeCommandTests.temporaryPath("qemu-native-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        removeAtExit = dir
        atexit { if let dir = QEMUPortabilityTests.removeAtExit { try? FileManager.default.removeItem(atPath: dir) } }
        for v in variants {
            let r = try CLIProcess.run(["convert", tiny + "/hf-safetensors", "-o", dir + "/\(v.name).gpt2"] + v.flags,
                                       environment: QEMU.environment(vocab: vocab))
            guard r.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        }
        return dir
    }
    nonisolated(unsafe) static var removeAtExit: String?

    func nativeModel(_ variant: String) throws -> String { try Self.nativeModels.get() + "/\(variant).gpt2" }

    func object(_ r: CLIProcess.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], "\(r.text)")
    }

    @Test(arguments: QEMU.cpus)
    func tokenize(_ cpu: String) throws {
        #expect(try emulated(["tokenize"], cpu: cpu, stdin: Array("hello world\n".utf8)).text == "31373 995 198\n")
        // Many scripts (every character class) in small pieces on 2 threads.
        let files = [Self.corpora + "/UTF-8-demo.txt", Self.corpora + "/taylorswift.txt"]
        let args = ["tokenize", "--threads", "2", "--chunk-size", "4096"] + files
        let n = try native(args)
        #expect(n.text.split(separator: "\n").count == 2)
        #expect(try emulated(args, cpu: cpu).stdout == n.stdout)
    }

    /// Each conversion writes the same bytes as the native one, and `inspect --verify` of it
    /// passes and prints what it prints natively.
    @Test(arguments: QEMU.cpus)
    func convertAndVerify(_ cpu: String) throws {
        let dir = RuntimeCommandTests.temporaryPath("qemu-\(cpu)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for v in Self.variants {
            let theirs = dir + "/\(v.name).gpt2"
            _ = try emulated(["convert", Self.tiny + "/hf-safetensors", "-o", theirs] + v.flags, cpu: cpu)
            #expect(FileManager.default.contents(atPath: theirs) == FileManager.default.contents(atPath: try nativeModel(v.name)),
                    "\(v.name): the file written under -cpu \(cpu) differs from the native one")
            let inspect = ["inspect", theirs, "--verify", "--json"]
            let e = try emulated(inspect, cpu: cpu)
            #expect(try object(e)["verified"] as? Bool == true, "\(v.name)")
            #expect(e.text == (try native(inspect)).text, "\(v.name)")
        }
    }

    /// Greedy generation: the same ids and text as natively; for the f32 files also
    /// transformers' 20 greedy tokens.
    @Test(arguments: QEMU.cpus)
    func greedyGenerate(_ cpu: String) throws {
        try #require(Self.prompts.count >= 2, "reference.json has no gpt2 prompts")
        for v in Self.variants {
            let model = try nativeModel(v.name)
            let isF32 = v.name.hasPrefix("f32")
            // Emulation is slow (a debug build under qemu: ~15 s per run): two prompts (ASCII;
            // CJK, emoji and accents) for f32, one for the other files; one thread (the kernels
            // are chosen once per process, and spinning pool workers crawl under qemu).
            let ascii = Self.prompts[1], mixed = Self.prompts[Self.prompts.count - 1]
            for p in isF32 ? [ascii, mixed] : [ascii] {
                let args = ["generate", "-m", model, "-p", p.text, "-n", "20", "--temp", "0",
                            "--ignore-eos", "--json", "--threads", "1"]
                let n = try object(try native(args))["samples"] as? [[String: Any]]
                let e = try object(try emulated(args, cpu: cpu))["samples"] as? [[String: Any]]
                let ids = e?.first?["ids"] as? [Int]
                #expect(ids == n?.first?["ids"] as? [Int], "\(v.name): \(p.text)")
                #expect(e?.first?["text"] as? String == n?.first?["text"] as? String, "\(v.name): \(p.text)")
                if isF32 { #expect(ids == p.greedy20, "\(v.name): \(p.text)") }
            }
        }
    }

    /// Perplexity of a reference prompt: the native loss within 1e-3 relative, and for f32
    /// files transformers' loss of that text too.
    @Test(arguments: QEMU.cpus)
    func perplexity(_ cpu: String) throws {
        let p = try #require(Self.prompts.first { $0.tokens > 20 }, "no long reference prompt")
        let text = Array(p.text.utf8)
        for v in Self.variants {
            let model = try nativeModel(v.name)
            let args = ["perplexity", "-m", model, "--json", "--threads", "1"]
            let n = try #require(try object(try native(args, stdin: text))["loss"] as? Double)
            let e = try #require(try object(try emulated(args, cpu: cpu, stdin: text))["loss"] as? Double)
            #expect(abs(e - n) <= 1e-3 * abs(n), "\(v.name): loss \(e) under -cpu \(cpu), \(n) natively")
            if v.name.hasPrefix("f32") {
                let reference = p.lossText
                #expect(abs(e - reference) <= 1e-3 * abs(reference), "\(v.name): loss \(e), transformers \(reference)")
            }
        }
    }
}
