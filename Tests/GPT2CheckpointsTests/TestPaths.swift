import Foundation

/// Locations of test data: the shared reference data beside the repo (may be absent) and the
/// committed fixtures.
enum TestPaths {
    /// Package root, from this file's path (Tests/GPT2CheckpointsTests/TestPaths.swift).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `../shared/checkpoints/tiny`, nil when shared data is absent. (`../../shared` too: a git
    /// worktree under `wt/` sits one level deeper than the main checkout.)
    static let tiny: String? = {
        for shared in [packageRoot + "/../shared", packageRoot + "/../../shared"] {
            let p = shared + "/checkpoints/tiny"
            if FileManager.default.fileExists(atPath: p + "/reference.json") { return p }
        }
        return nil
    }()

    static let fixtures = packageRoot + "/Tests/GPT2CheckpointsTests/Fixtures"

    /// A fresh temporary directory, removed by the caller with `cleanup`.
    static func tempDir() throws -> String {
        let p = NSTemporaryDirectory() + "gpt2ckpt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    static func cleanup(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }
}
