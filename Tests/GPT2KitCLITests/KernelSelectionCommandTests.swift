import Foundation
import Testing
import GPT2Kernels

/// The kernel set as the command line sees it: `--version`, GPT2KIT_KERNELS forcing a set,
/// `--json` reporting it, and the errors for a set that does not exist or that the CPU lacks.
@Suite struct KernelSelectionCommandTests {
    static func json(_ r: CLIProcess.Result) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any])
    }

    /// This process's environment plus `extra` (CLIProcess.run replaces the environment).
    static func env(_ extra: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(extra) { $1 }
    }

    @Test func versionNamesTheKernelSet() throws {
        let r = try CLIProcess.run(["--version"])
        #expect(r.status == 0)
        let lines = r.text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("gpt2kit ") == true, "\(r.text)")
        #expect(lines.contains { $0.hasPrefix("kernels: \(Kernels.best.description) (CPU: ") }, "\(r.text)")
        let forced = try CLIProcess.run(["--version"], environment: Self.env(["GPT2KIT_KERNELS": "portable"]))
        #expect(forced.text.contains("kernels: portable (CPU: "), "\(forced.text)")
    }

    /// Every set the CPU has, forced through the environment: reported in --json, and the same
    /// greedy text from each (the tiny model's logits are far apart at every step).
    @Test func eachSetRunsAndIsReported() throws {
        try RuntimeCommandTests.withTinyModel { model in
            var texts: [String] = []
            for set in KernelSet.supported {
                let env = Self.env(["GPT2KIT_KERNELS": set.rawValue])
                let g = try CLIProcess.run(["generate", "-m", model, "-p", "hello", "-n", "12", "--temp", "0",
                                            "--ignore-eos", "--json"], environment: env)
                #expect(g.status == 0, "\(set): \(g.stderr)")
                let j = try Self.json(g)
                #expect((j["kernels"] as? String)?.hasPrefix(set.rawValue) == true, "\(set): \(j["kernels"] ?? "none")")
                let samples = try #require(j["samples"] as? [[String: Any]])
                texts.append(try #require(samples.first?["text"] as? String))
                let p = try CLIProcess.run(["perplexity", "-m", model, "--json"], stdin: Array("hello world".utf8), environment: env)
                #expect(p.status == 0, "\(set): \(p.stderr)")
                #expect((try Self.json(p)["kernels"] as? String)?.hasPrefix(set.rawValue) == true)
            }
            #expect(Set(texts).count == 1, "greedy text differs between kernel sets: \(texts)")
        }
    }

    @Test func unknownSetIsAClearError() throws {
        try RuntimeCommandTests.withTinyModel { model in
            let r = try CLIProcess.run(["generate", "-m", model, "-p", "hi", "-n", "2"], environment: Self.env(["GPT2KIT_KERNELS": "sse9"]))
            #expect(r.status == 1 && r.stdout.isEmpty)
            #expect(r.stderr.contains("unknown kernel set 'sse9' in GPT2KIT_KERNELS"), "\(r.stderr)")
            #expect(r.stderr.contains("HINT: use one of portable, avx2, avx512"), "\(r.stderr)")
            let c = try CLIProcess.run(["convert", model, "-o", model + ".out"], environment: Self.env(["GPT2KIT_KERNELS": "sse9"]))
            #expect(c.status == 1 && !FileManager.default.fileExists(atPath: model + ".out"), "\(c.stderr)")
            #expect(c.stderr.contains("unknown kernel set"), "\(c.stderr)")
        }
    }

    /// A set the CPU lacks names what the CPU has. qemu's `-cpu max` (AVX2, no AVX-512) is a CPU
    /// without the avx512 set on any host.
    @Test(.enabled(if: QEMU.path != nil && QEMU.hostIsX86, "qemu-x86_64 is not installed (Tools/setup --test installs it) or the host is not x86-64"))
    func unsupportedSetNamesWhatTheCPUHas() throws {
        try RuntimeCommandTests.withTinyModel { model in
            let r = try CLIProcess.run(["generate", "-m", model, "-p", "hi", "-n", "2"],
                                       launcher: [QEMU.path!, "-cpu", "max"], environment: Self.env(["GPT2KIT_KERNELS": "avx512"]))
            #expect(r.status == 1, "\(r.status) \(r.stderr)")
            #expect(r.stderr.contains("this CPU cannot run the avx512 kernel set: it needs AVX-512 F, BW, VL and DQ"), "\(r.stderr)")
            #expect(r.stderr.contains("the CPU has SSE4.2 AVX AVX2 FMA F16C"), "\(r.stderr)")
            #expect(r.stderr.contains("HINT: this CPU runs portable, avx2"), "\(r.stderr)")
            let v = try CLIProcess.run(["--version"], launcher: [QEMU.path!, "-cpu", "Nehalem"])
            #expect(v.text.contains("kernels: portable (CPU: SSE4.2)"), "\(v.text)")
        }
    }
}
