import Foundation
import Testing
@testable import GPT2Tokenizer

/// Paths and shared objects for the tokenizer tests.
enum TestSupport {
    /// The package root, from this file's path (Tests/GPT2TokenizerTests/TestSupport.swift).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `../shared` beside the checkout (CI), or two levels up for a worktree under `wt/`, if
    /// present; tests that need it skip otherwise.
    static let sharedDir: String? = {
        for path in [packageRoot + "/../shared", packageRoot + "/../../shared"]
        where FileManager.default.fileExists(atPath: path + "/README.md") {
            return URL(fileURLWithPath: path).standardizedFileURL.path
        }
        return nil
    }()

    static let vocabDir = packageRoot + "/Vocab"
    static var hasVocab: Bool { FileManager.default.fileExists(atPath: vocabDir + "/encoder.json") }

    static var fixtures: String {
        Bundle.module.resourcePath! + "/Fixtures"
    }

    /// The GPT-2 tokenizer from Vocab/ (installed by Tools/setup), loaded once.
    static let gpt2: Result<Tokenizer, Error>? = {
        guard hasVocab else { return nil }
        return Result {
            try Tokenizer(vocabulary: Vocabulary.load(encoderJSON: vocabDir + "/encoder.json",
                                                      vocabBPE: vocabDir + "/vocab.bpe"))
        }
    }()

    /// CI (CI set) must have every reference: there a test whose file or tool is missing runs
    /// and fails instead of being skipped.
    static let inCI = ProcessInfo.processInfo.environment["CI"] != nil

    static let python = packageRoot + "/.build/venv/bin/python"
    static var hasVenv: Bool { FileManager.default.isExecutableFile(atPath: python) }

    /// Traits of tests that need Vocab/, ../shared or the reference venv: skipped with the
    /// reason when it is missing (never passed after an early return), except in CI for Vocab/
    /// and the venv, which Tools/setup installs: there the test runs and its require fails.
    static let needsVocab: ConditionTrait = .enabled(if: hasVocab || inCI, "needs Vocab/ (Tools/setup)")
    static let needsShared: ConditionTrait = .enabled(if: sharedDir != nil, "needs ../shared")
    static let needsVenv: ConditionTrait = .enabled(if: hasVenv || inCI, "needs the reference venv .build/venv (Tools/setup --test)")

    static func requireVocab() throws {
        try #require(hasVocab, "Vocab/ is missing in CI: Tools/setup should have installed it")
    }

    static func requireVenv() throws {
        try #require(hasVenv, "CI is set but \(python) is missing: Tools/setup --test should have made it")
    }

    /// The GPT-2 tokenizer, for tests marked `needsVocab`; a Vocab/ that fails to load fails.
    static func tokenizer() throws -> Tokenizer {
        try requireVocab()
        return try #require(gpt2).get()
    }

    static func readBytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    static func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "gpt2tok-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ text: String, to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }
}
