import Foundation
import Testing
@testable import GPT2Tokenizer

/// Ids identical to tiktoken's GPT-2 encoding.
@Suite struct ParityTests {
    /// Committed fixture (Tools/tokenizer-parity --fixtures): generated inputs with tiktoken's
    /// ids, so parity is checked even without Python.
    @Test(TestSupport.needsVocab) func committedFixturesMatchTiktoken() throws {
        let tok = try TestSupport.tokenizer()
        let cases = try ParityCases.read(TestSupport.fixtures + "/tiktoken-parity.bin")
        #expect(cases.count > 2000)
        try ParityCases.check(cases, with: tok, source: "Fixtures/tiktoken-parity.bin")
    }

    /// The full harness: runs tiktoken (from .build/venv, made by `Tools/setup --test`) on all of
    /// ../shared/corpora and ../shared/vectors and on generated text (every Unicode scalar in
    /// three contexts, every general category, whitespace runs, contractions, long pieces,
    /// random bytes as text), then compares. Skips without the venv, except in CI (CI set),
    /// where the venv must exist.
    @Test(TestSupport.needsVocab, TestSupport.needsVenv) func liveTiktokenHarness() throws {
        try TestSupport.requireVenv()
        let python = TestSupport.python
        let tok = try TestSupport.tokenizer()
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

    /// The committed Unicode class table is what tiktoken's regex engine says today
    /// (`Tools/unicode-tables --check` regenerates it from tiktoken and compares).
    @Test(TestSupport.needsVenv) func unicodeClassTableIsCurrent() throws {
        try TestSupport.requireVenv()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [TestSupport.packageRoot + "/Tools/unicode-tables", "--check"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "Sources/GPT2Tokenizer/UnicodeClassTable.swift differs from tiktoken's classes")
    }

    /// Spot checks of the classes the issue names, straight from the table.
    @Test func namedWhitespaceClasses() {
        let t = CharacterClassTable.shared
        for cp: UInt32 in [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x3000, 0x2028, 0x2029, 0x1680] {
            #expect(t.classOf(cp) == CharacterClass.space, "U+\(String(cp, radix: 16))")
        }
        for cp: UInt32 in [0x1C, 0x1D, 0x1E, 0x1F, 0x200B, 0xFEFF, 0x180E] {
            #expect(t.classOf(cp) == CharacterClass.other, "U+\(String(cp, radix: 16))")
        }
        #expect(t.classOf(0x4E2D) == CharacterClass.letter)   // 中
        #expect(t.classOf(0x0661) == CharacterClass.number)   // Arabic-Indic one
        #expect(t.classOf(0x0301) == CharacterClass.other)    // combining acute: \p{M}, not \p{L}
    }
}
