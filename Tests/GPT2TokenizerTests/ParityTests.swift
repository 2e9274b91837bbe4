import Foundation
import Testing
@testable import GPT2Tokenizer

/// Ids identical to tiktoken's GPT-2 encoding.
@Suite struct ParityTests {
    /// Committed fixture (Tools/tokenizer-parity --fixtures): generated inputs with tiktoken's
    /// ids, so parity is checked even without Python.
    @Test func committedFixturesMatchTiktoken() throws {
        guard let tok = try TestSupport.requireGPT2() else { return }
        let cases = try ParityCases.read(TestSupport.fixtures + "/tiktoken-parity.bin")
        #expect(cases.count > 2000)
        try ParityCases.check(cases, with: tok, source: "Fixtures/tiktoken-parity.bin")
    }

    /// The full harness: runs tiktoken (from .build/venv, made by `Tools/setup --test`) on all of
    /// ../shared/corpora and ../shared/vectors and on generated text (every Unicode scalar in
    /// three contexts, every general category, whitespace runs, contractions, long pieces,
    /// random bytes as text), then compares. Skips without the venv, except in CI (CI set),
    /// where the venv must exist.
    @Test func liveTiktokenHarness() throws {
        let python = TestSupport.packageRoot + "/.build/venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("CI is set but \(python) is missing: Tools/setup --test should have made it")
            }
            return
        }
        guard let tok = try TestSupport.requireGPT2() else { return }
        let dir = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/parity.bin"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        var args = [TestSupport.packageRoot + "/Tools/tokenizer-parity", "--out", out]
        if let shared = TestSupport.sharedDir { args += ["--shared", shared] }
        process.arguments = args
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "Tools/tokenizer-parity failed")
        let cases = try ParityCases.read(out)
        if TestSupport.sharedDir != nil {
            #expect(cases.contains { $0.name == "corpus tinyshakespeare.txt" })
        }
        #expect(cases.contains { $0.name.hasPrefix("scalars a+c+a U+10") })
        try ParityCases.check(cases, with: tok, source: "Tools/tokenizer-parity")
    }
}
