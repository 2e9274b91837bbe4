import Foundation
import Testing
import GPT2Tokenizer

/// `gpt2kit tokenize` on stretches with no cut point (no ASCII whitespace after a
/// non-whitespace character), longer than the chunks it reads: the stretch is held whole and
/// handed to the encoder without copies; the ids must be the library's for the whole input.
@Suite(.enabled(if: CLIProcess.hasVocab, "needs Vocab/ (Tools/setup)"))
struct TokenizeNoSplitPointTests {
    /// The library on the whole input at once: the oracle for the streamed CLI.
    static let tokenizer: Result<Tokenizer, Error> = Result {
        let dir = CLIProcess.packageRoot + "/Vocab"
        return try Tokenizer(vocabulary: Vocabulary.load(encoderJSON: dir + "/encoder.json", vocabBPE: dir + "/vocab.bpe"))
    }

    static func idsLine(_ bytes: [UInt8]) throws -> String {
        try tokenizer.get().encodeOrdinary(bytes: bytes).map(String.init).joined(separator: " ") + "\n"
    }

    /// Inputs: one pre-token only; long stretches between ordinary text; a stretch of letters
    /// then digits then punctuation (several pre-tokens, still no cut); non-ASCII letters.
    static let inputs: [(name: String, bytes: [UInt8])] = [
        ("a x 600 kB", Array(repeating: UInt8(ascii: "a"), count: 600_000)),
        ("text around 300 kB of xy", Array(("hello world " + String(repeating: "xy", count: 150_000) + " tail\n").utf8)),
        ("letters digits punctuation", Array((String(repeating: "abc", count: 40_000) + String(repeating: "7", count: 50_000)
                                              + String(repeating: "!?", count: 30_000) + "\n").utf8)),
        ("é x 100 k", Array(String(repeating: "é", count: 100_000).utf8)),
    ]

    @Test(arguments: inputs.indices)
    func idsAreTheLibrarysForTheWholeInput(_ index: Int) throws {
        let (name, bytes) = Self.inputs[index]
        let expected = try Self.idsLine(bytes)
        let file = CLIProcess.scratch("nosplit")
        CLIProcess.write(bytes, to: file)
        defer { try? FileManager.default.removeItem(atPath: file) }
        // A file (whose size is known), standard input from a file, and a pipe; small chunks
        // (the stretch spans many) and the default 256 KiB; one and two threads.
        for (args, stdin) in [(["tokenize", file], [UInt8]()), (["tokenize", "--chunk-size", "4096", file], []),
                              (["tokenize", "--threads", "1", "--chunk-size", "1000"], bytes)] {
            let r = try CLIProcess.run(args, stdin: stdin)
            #expect(r.status == 0, "\(name) \(args): \(r.stderr)")
            #expect(r.text == expected, "\(name) \(args)")
        }
        let piped = try CLIProcess.run(["tokenize", "--chunk-size", "4096"], stdin: bytes,
                                       launcher: ["/bin/sh", "-c", #"cat | "$0" "$@""#])
        #expect(piped.status == 0, "\(name) through a pipe: \(piped.stderr)")
        #expect(piped.text == expected, "\(name) through a pipe")
    }

    /// tiktoken's ids for 1,000,000 `a` (encode_ordinary, checked with tiktoken 0.14): 250,000
    /// times `aaaa`, id 24794.
    @Test func millionAsAreTiktokensIDs() throws {
        let r = try CLIProcess.run(["tokenize"], stdin: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text == Array(repeating: "24794", count: 250_000).joined(separator: " ") + "\n")
    }
}
