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

    /// The tokenizer; nil (the test skips) only when Vocab/ is absent outside CI. A Vocab/ that
    /// fails to load, or a missing one in CI, is a recorded failure.
    static func requireGPT2() throws -> Tokenizer? {
        switch gpt2 {
        case .success(let t)?: return t
        case .failure(let e)?:
            Issue.record("Vocab/ is present but does not load: \(e)")
            return nil
        case nil:
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("Vocab/ is missing in CI: Tools/setup should have installed it")
            }
            return nil
        }
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
