import Foundation
import Testing

/// `tokenize -o` / `detokenize -o` interrupted by a signal leave nothing beside OUT: the
/// temporary file is registered with `TemporaryFiles`, whose handler unlinks it.
@Suite(.serialized, .enabled(if: CLIProcess.hasVocab, "needs Vocab/ (Tools/setup)")) struct TokenizeSignalTests {
    /// Starts `gpt2kit args` on a large input, waits until its temporary file exists, sends
    /// `sig` while it is still working, and returns the directory's listing afterwards.
    func interrupt(_ args: (String, String) -> [String], input: [UInt8], signal sig: Int32) throws -> (listing: [String], signaled: Bool, wasRunning: Bool) {
        let dir = RuntimeCommandTests.temporaryPath("sig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inPath = dir + "/in", outPath = dir + "/out"
        #expect(FileManager.default.createFile(atPath: inPath, contents: Data(input)))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: RuntimeCommandTests.binary)
        p.arguments = args(inPath, outPath)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Its temporary file appears as soon as the output is opened, before the input is read.
        let deadline = Date().addingTimeInterval(20)
        while p.isRunning, Date() < deadline,
              !((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains(where: { $0.contains(".tmp-") }) {
            usleep(2000)
        }
        usleep(30_000)
        let wasRunning = p.isRunning
        // Only a child not yet reaped still owns its pid: a signal to an exited one would hit
        // whatever process got the pid next (pid_max is 32768 here, and the other suites spawn
        // gpt2kit processes in parallel).
        if wasRunning { kill(p.processIdentifier, sig) }
        p.waitUntilExit()
        let listing = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        return (listing, p.terminationReason == .uncaughtSignal && p.terminationStatus == sig, wasRunning)
    }

    /// ~8 MB of varied text: long enough that tokenizing it takes well over the 30 ms wait.
    static let bigText: [UInt8] = {
        var g: UInt64 = 0x9E3779B97F4A7C15
        let words = ["the", "model", "runs", "in", "place", "Zürich", "東京", "42", "don't", "—", "\n"]
        var out: [UInt8] = []
        out.reserveCapacity(8 << 20)
        while out.count < 8 << 20 {
            g = g &* 6364136223846793005 &+ 1442695040888963407
            out += Array(words[Int(g >> 33) % words.count].utf8) + [UInt8(ascii: " ")]
            if g & 0xF000 == 0 { out += Array(String(g >> 40).utf8) }
        }
        return out
    }()

    @Test(arguments: [SIGINT, SIGTERM])
    func tokenizeLeavesNoTemporaryFile(_ sig: Int32) throws {
        let r = try interrupt({ ["tokenize", $0, "-o", $1] }, input: Self.bigText, signal: sig)
        #expect(r.wasRunning, "the input was tokenized before the signal; make it larger")
        #expect(r.signaled)
        #expect(r.listing == ["in"])
    }

    @Test func detokenizeLeavesNoTemporaryFile() throws {
        // 2M ids as text, ~12 MB.
        var text: [UInt8] = []
        text.reserveCapacity(12 << 20)
        for i in 0..<(2 << 20) { text += Array(String((i &* 7919) % 50000).utf8) + [UInt8(ascii: " ")] }
        let r = try interrupt({ ["detokenize", $0, "-o", $1] }, input: text, signal: SIGINT)
        #expect(r.wasRunning, "the input was decoded before the signal; make it larger")
        #expect(r.signaled)
        #expect(r.listing == ["in"])
    }
}
