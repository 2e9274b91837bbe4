import Foundation
@testable import GPT2Tokenizer

/// What the loader tests add to `TestSupport`: the GPT-2 oracle from ../shared and helpers to
/// write hand-made bad files.
enum LoaderTestSupport {
    static var sharedDir: String? { TestSupport.sharedDir }
    static func shared(_ relative: String) -> String { TestSupport.sharedDir! + "/" + relative }
    static var fixtures: String { TestSupport.fixtures }
    static func scratchDirectory() -> String { TestSupport.tempDir() }
    static func write(_ text: String, to path: String) { TestSupport.write(text, to: path) }
    static func write(_ bytes: [UInt8], to path: String) { _ = FileManager.default.createFile(atPath: path, contents: Data(bytes)) }

    /// OpenAI's GPT-2 vocabulary as tiktoken ships it (`gpt2.tiktoken`: base64 token bytes and
    /// rank per line): the oracle every loader is compared with. Rank == id in GPT-2.
    static let gpt2Tiktoken: [[UInt8]]? = {
        guard sharedDir != nil, let text = try? String(contentsOfFile: shared("vocab/gpt2.tiktoken"), encoding: .utf8)
        else { return nil }
        var tokens: [[UInt8]] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let rank = Int(parts[1]), rank == tokens.count,
                  let bytes = Data(base64Encoded: String(parts[0])) else { return nil }
            tokens.append([UInt8](bytes))
        }
        return tokens
    }()

    /// Ranks with `nil` spelled out (rank == id), so files that store ranks differently compare.
    static func effectiveRanks(_ v: Vocabulary) -> [UInt32] { v.ranks ?? v.tokens.indices.map { UInt32($0) } }

    /// True when a loaded vocabulary is exactly GPT-2's: the bytes and rank of every token, and
    /// the one special token.
    static func isGPT2(_ v: Vocabulary) -> Bool {
        guard let expected = gpt2Tiktoken else { return false }
        return v.kind == .byteLevelBPE && v.tokens == expected
            && effectiveRanks(v) == expected.indices.map { UInt32($0) }
            && v.specialTokens == ["<|endoftext|>": 50256] && v.eosID == 50256
    }
}
