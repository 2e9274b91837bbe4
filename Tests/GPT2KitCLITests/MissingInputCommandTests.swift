import Foundation
import Testing

/// Every command that reads an input file, given one that does not exist: the error names the
/// file, a HINT line follows, the exit status is 1 and the process ends normally (no signal, no
/// Swift struct dump). The tiny model supplies the other inputs, so each case fails on the
/// missing file only.
@Suite struct MissingInputCommandTests {
    typealias R = RuntimeCommandTests

    /// `%` stands for the missing file, `MODEL` for an existing tiny model file.
    static let cases: [[String]] = [
        ["generate", "-m", "%", "-p", "hi", "-n", "1"],
        ["inspect", "%"],
        ["inspect", "%", "--verify"],
        ["convert", "%", "-o", "OUT"],
        ["convert", "%", "-o", "OUT.gguf"],
        ["tokenize", "--vocab", "MODEL", "%"],
        ["tokenize", "--vocab", "%", "-p", "hi"],
        ["detokenize", "--vocab", "MODEL", "%"],
        ["perplexity", "-m", "MODEL", "-f", "%"],
        ["perplexity", "-m", "%"],
        ["train", "%", "-o", "OUT", "--tokenizer", "char", "--max-iters", "1"],
        ["train", "DATA", "-o", "OUT", "--tokenizer", "char", "--max-iters", "1", "--init-from", "%"],
    ]

    @Test(arguments: cases) func missingFileIsNamedWithAHint(_ template: [String]) throws {
        let missing = R.temporaryPath("no-such-input-\(UUID().uuidString).txt")
        let out = R.temporaryPath("missing-out-\(UUID().uuidString)")
        let data = R.temporaryPath("data-\(UUID().uuidString).txt")
        try String(repeating: "to be or not to be, that is the question. ", count: 40).write(toFile: data, atomically: true, encoding: .utf8)
        defer { for p in [out, out + ".gguf", out + ".resume", data] { try? FileManager.default.removeItem(atPath: p) } }
        try R.withTinyModel { model in
            let args = template.map { a -> String in
                switch a {
                case "%": missing
                case "MODEL": model
                case "OUT": out
                case "OUT.gguf": out + ".gguf"
                case "DATA": data
                default: a
                }
            }
            let r = try R.run(args, stdin: "hello")
            #expect(!r.signaled && r.status == 1, "\(args): status \(r.status)\n\(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.first?.hasPrefix("Error: ") == true && lines.first?.contains(missing) == true,
                    "\(args): the first line should name the file:\n\(r.stderr)")
            #expect(lines.contains { $0.hasPrefix("HINT: ") }, "\(args): no HINT line:\n\(r.stderr)")
            #expect(r.stderr.contains("nothing exists at \(missing)") || r.stderr.contains("No such file"),
                    "\(args): the reason is missing:\n\(r.stderr)")
            for dump in ["MappedFileError(", "Step.", "GPT2Support."] {
                #expect(!r.stderr.contains(dump), "\(args): a Swift value dump reached the user:\n\(r.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".gguf"))
        }
    }

    /// A relative path: the hint says which directory it was looked for in.
    @Test func relativePathHintNamesTheDirectory() throws {
        let name = "no-such-model-\(UUID().uuidString).gpt2kit"
        let r = try InstallTests.runBare(CLIProcess.binary, ["inspect", name])
        #expect(r.status == 1)
        #expect(r.err.contains("Error: \(name)") && r.err.contains("HINT: check the path: nothing exists at \(name) (relative to /)"), "\(r.err)")
    }
}
