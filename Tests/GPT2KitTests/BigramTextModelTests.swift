import Foundation
import Testing
@testable import GPT2Kit
import GPT2ModelFile

/// TextModel on a bigram model file: its tokenizer, greedy text known from the table, the
/// perplexity computed from the table here.
@Suite struct BigramTextModelTests {
    static let letters = Array("xyz")
    /// Row i: 2 at column (i+1) % 3, small other values.
    static let table: [Float] = [0.1, 2, -0.2, 0.3, 0, 2.5, 1.5, 0.2, 0.4]

    static func withBigram(_ body: (String) async throws -> Void) async throws {
        let path = NSTemporaryDirectory() + "gpt2kit-facade-bigram-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).gpt2kit"
        defer { unlink(path) }
        let vocabulary = Vocabulary(kind: .characters, tokens: letters.map { Array(String($0).utf8) })
        let w = try ModelFileWriter(path: path, metadata: ModelMetadata(
            architecture: "bigram", config: BigramLayout.config(vocabularySize: 3, contextLength: 8), vocabulary: vocabulary))
        try w.add(TensorData(name: "bigram.weight", shape: [3, 3], type: .f32, bytes: table.withUnsafeBytes { Array($0) }))
        try w.finish()
        try await body(path)
    }

    @Test func loadsGeneratesAndMeasures() async throws {
        try await Self.withBigram { path in
            let m = try TextModel(path: path, options: .init(threads: 1))
            #expect(m.architecture == "bigram" && m.gpt2 == nil && m.kvCacheType == nil)
            #expect(m.contextLength == 8 && m.weightType == "f32" && m.source == .modelFile)
            #expect(m.languageModel is BigramLanguageModel)
            #expect(try m.tokenize("xzy") == [0, 2, 1])
            let text = try await m.generate("x", maxTokens: 10, sampling: SamplingOptions(temperature: 0)).text()
            #expect(text == "yzxyzxyzxy")
            let ids = [0, 0, 1, 2, 2, 1, 0]
            var total = 0.0
            for (a, b) in zip(ids, ids.dropFirst()) {
                let row = (0..<3).map { Double(Self.table[a * 3 + $0]) }
                total += log(row.map(exp).reduce(0, +)) - row[b]
            }
            let r = try m.perplexity(of: "xxyzzyx")
            #expect(abs(r.meanLoss - total / 6) <= 1e-6 * total / 6 && r.predictedTokens == 6)
            #expect(throws: RuntimeError.self) { try TextModel(path: path, options: .init(threads: 1, kvCache: .f16)) }
        }
    }
}
