import Foundation
import Testing
@testable import GPT2KitCLI

/// `Tools/install --binary` puts the built binary, its vocabulary, completions and man page under
/// a prefix; the installed binary then finds its vocabulary from any directory with no
/// environment variable, as a tool installed from a package would.
@Suite(.enabled(if: CLIProcess.hasVocab, "needs Vocab/ (Tools/setup)"))
struct InstallTests {
    static func install(into prefix: String) throws -> CLIProcess.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIProcess.packageRoot + "/Tools/install")
        p.arguments = ["--binary", CLIProcess.binary, prefix]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let bytes = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIProcess.Result(status: p.terminationStatus, stdout: [],
                                 stderr: String(decoding: bytes, as: UTF8.self))
    }

    /// Runs `binary` from `/` with only PATH in the environment.
    static func runBare(_ binary: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: "/")
        p.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func installedBinaryFindsItsVocabularyFromAnywhere() throws {
        let prefix = CLIProcess.scratch("prefix")
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let result = try Self.install(into: prefix)
        #expect(result.status == 0, "\(result.stderr)")
        for path in ["bin/gpt2kit", "share/gpt2kit/encoder.json", "share/gpt2kit/vocab.bpe",
                     "share/man/man1/gpt2kit.1", "share/bash-completion/completions/gpt2kit",
                     "share/zsh/site-functions/_gpt2kit", "share/fish/vendor_completions.d/gpt2kit.fish"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: prefix + "/" + path)[.size] as? Int) ?? 0
            #expect(size > 0, "\(path) missing or empty")
        }
        // tiktoken's ids for "hello world" (GPT-2): 31373 995.
        let run = try Self.runBare(prefix + "/bin/gpt2kit", ["tokenize", "-p", "hello world"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out == "31373 995\n")
        let bash = try String(contentsOfFile: prefix + "/share/bash-completion/completions/gpt2kit", encoding: .utf8)
        #expect(bash.contains("tokenize") && bash.contains("generate"))
        let man = try String(contentsOfFile: prefix + "/share/man/man1/gpt2kit.1", encoding: .utf8)
        #expect(man.contains(".Dt GPT2KIT 1"))
        // The installed page is docs/gpt2kit.1, which ManPageTests checks against the CLI.
        #expect(man == (try String(contentsOfFile: ManPageTests.page, encoding: .utf8)))
        for c in GPT2Kit.configuration.subcommands.compactMap({ $0.configuration.commandName }) {
            #expect(ManPageTests.sections(man)[c] != nil, "the installed man page has no `\(c)`")
        }
        #expect(FileManager.default.subpaths(atPath: prefix)!.allSatisfy { !$0.contains(".gpt2kit-install.") },
                "a temporary file was left behind")
    }

    @Test func binaryWithoutItsShareDirectorySaysWhereItLooked() throws {
        let prefix = CLIProcess.scratch("bare")
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLIProcess.binary, toPath: prefix + "/bin/gpt2kit")
        let run = try Self.runBare(prefix + "/bin/gpt2kit", ["tokenize", "-p", "hello world"])
        #expect(run.status != 0)
        #expect(run.err.contains("no GPT-2 vocabulary found"))
        #expect(run.err.contains(prefix + "/share/gpt2kit"))
        #expect(run.err.contains("HINT:"))
    }

    @Test func installRefusesAMissingBinary() throws {
        let prefix = CLIProcess.scratch("nobin")
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIProcess.packageRoot + "/Tools/install")
        p.arguments = ["--binary", prefix + "/nothing-here", prefix]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        #expect(text.contains("is not an executable"))
        #expect(!FileManager.default.fileExists(atPath: prefix + "/bin/gpt2kit"))
    }
}
