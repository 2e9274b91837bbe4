import Foundation
import Testing
@testable import GPT2Kit
import GPT2ModelFile

/// The facade on a tiny random GPT-2 over a byte vocabulary, checked against the runtime's own
/// pieces (Generator, Perplexity, Tokenizer) that the facade only wires together.
@Suite struct TextModelTests {
    static let byteVocabulary = Vocabulary(tokens: (0..<256).map { [UInt8($0)] },
                                           specialTokens: ["<|endoftext|>": 256], eosID: 256)
    static let config = GPT2Config(nLayer: 2, nHead: 2, nEmbd: 32, nCtx: 16, vocabSize: 257, activation: .geluErf)

    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "gpt2kit-facade-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).gpt2kit"
    }

    /// A tiny model file (random weights, fixed seed).
    static func writeModel(_ path: String, vocabulary: Vocabulary?) throws {
        var rng = RandomSource(seed: 99)
        let w = try ModelFileWriter(path: path, metadata: ModelMetadata(architecture: "gpt2", config: config, vocabulary: vocabulary))
        for (name, shape) in TensorName.gpt2Tensors(config) {
            let values = (0..<shape.reduce(1, *)).map { _ in Float(rng.nextUnit() - 0.5) }
            try w.add(TensorData(name: name, shape: shape, type: .f32, bytes: values.withUnsafeBytes { Array($0) }))
        }
        try w.finish()
    }

    static func withModel(vocabulary: Vocabulary? = byteVocabulary, _ body: (String) throws -> Void) throws {
        let path = temporaryPath()
        defer { unlink(path) }
        try writeModel(path, vocabulary: vocabulary)
        try body(path)
    }

    static func withModelAsync(_ body: (String) async throws -> Void) async throws {
        let path = temporaryPath()
        defer { unlink(path) }
        try writeModel(path, vocabulary: byteVocabulary)
        try await body(path)
    }

    @Test func tokenizeFollowsTheSpecialTokenRule() throws {
        try Self.withModel { path in
            let m = try TextModel(path: path, options: .init(threads: 1))
            #expect(try m.tokenize("hi") == [104, 105])
            #expect(try m.tokenize("a<|endoftext|>", special: .allow) == [97, 256])
            #expect(try m.tokenize("a<|endoftext|>", special: .asText) == Array("a<|endoftext|>".utf8).map(Int.init))
            #expect(throws: TokenizerError.self) { try m.tokenize("a<|endoftext|>") }
            #expect(try m.detokenize([104, 105]) == "hi")
            #expect(m.endOfText == 256 && m.contextLength == 16 && m.source == .modelFile && m.weightType == "f32")
        }
    }

    /// The stream's text is the greedy continuation the Generator produces, decoded.
    @Test func streamEqualsTheGenerator() async throws {
        try await Self.withModelAsync { path in
            let m = try TextModel(path: path, options: .init(threads: 1))
            var pieces: [String] = []
            for try await p in m.generate("hello", maxTokens: 10, sampling: SamplingOptions(temperature: 0), stopAtEndOfText: false) {
                pieces.append(p)
            }
            let model = try GPT2Model(weights: try GPT2Weights(path: path))
            var s = try Sampler(options: SamplingOptions(temperature: 0))
            var ids: [Int] = []
            try Generator(model: model).generate(prompt: Array("hello".utf8).map(Int.init),
                                                 options: GenerationOptions(maxNewTokens: 10), sampler: &s) { ids.append($0) }
            #expect(pieces.joined() == (try m.detokenize(ids)))
            #expect(!pieces.isEmpty)
        }
    }

    /// maxTokens nil stops when prompt + continuation fill the context (16 here).
    @Test func nilMaxTokensFillsTheContext() throws {
        try Self.withModel { path in
            let m = try TextModel(path: path, options: .init(threads: 1))
            var s = try Sampler(options: SamplingOptions(temperature: 0))
            var n = 0
            let stats = try m.generate(ids: [104, 105, 106], maxTokens: nil, sampler: &s, stopAtEndOfText: false) { _ in n += 1 }
            #expect(n == 13 && stats.generatedTokens == 13)
        }
    }

    /// Errors surface from the iteration, with their hint.
    @Test func promptErrorsAreThrownByTheStream() async throws {
        try await Self.withModelAsync { path in
            let m = try TextModel(path: path, options: .init(threads: 1))
            await #expect(throws: RuntimeError.emptyPrompt) { _ = try await m.generate("").text() }
            await #expect(throws: RuntimeError.self) { _ = try await m.generate(String(repeating: "x", count: 17)).text() }
            await #expect(throws: TokenizerError.self) { _ = try await m.generate("<|endoftext|>").text() }
        }
    }

    /// Cancelling the consuming task ends the stream early (without an error) and stops the
    /// work: the next call gets the model at once instead of after ten million tokens.
    @Test(.timeLimit(.minutes(1))) func cancellationStopsGeneration() async throws {
        try await Self.withModelAsync { path in
            let m = try TextModel(path: path, options: .init(threads: 1))
            let task = Task {
                var n = 0
                for try await _ in m.generate("a", maxTokens: 10_000_000, sampling: SamplingOptions(temperature: 0), stopAtEndOfText: false) {
                    n += 1
                    withUnsafeCurrentTask { $0?.cancel() }
                }
                return n
            }
            let n = try await task.value
            #expect(n >= 1)
            let again = try await m.generate("a", maxTokens: 3, sampling: SamplingOptions(temperature: 0), stopAtEndOfText: false).text()
            #expect(again.utf8.count == 3)
        }
    }

    @Test func perplexityEqualsTheRuntimes() throws {
        try Self.withModel { path in
            let m = try TextModel(path: path, options: .init(threads: 1))
            let r = try m.perplexity(of: "hello world, hello")
            let expected = try Perplexity.evaluate(model: try GPT2Model(weights: try GPT2Weights(path: path)),
                                                   tokens: Array("hello world, hello".utf8).map(Int.init))
            #expect(r == expected)
        }
    }

    /// A checkpoint that is not a model file loads through the checkpoint readers.
    /// ../shared/checkpoints/tiny beside the package (or one level further up, from a git
    /// worktree), found from this file's path.
    static let sharedTiny: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        return [root + "/../shared", root + "/../../shared"].map { $0 + "/checkpoints/tiny" }
            .first { FileManager.default.fileExists(atPath: $0) }
    }()

    @Test(.enabled(if: sharedTiny != nil, "needs ../shared/checkpoints/tiny"))
    func loadsACheckpointDirectory() throws {
        let dir = try #require(Self.sharedTiny)
        let sub = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            .first { FileManager.default.fileExists(atPath: dir + "/" + $0 + "/model.safetensors") }
        let path = dir + "/" + (try #require(sub))
        let m = try TextModel(path: path, options: .init(threads: 1))
        #expect(m.source == .checkpoint(.safetensors))
        #expect(try m.perplexity(of: "Hello world, this is a test.").perplexity.isFinite)
    }

    @Test func badInputsAreTypedErrors() throws {
        #expect(throws: RuntimeError.invalidOption("--threads must be in 1...64, got 0")) {
            _ = try TextModel(path: "/nonexistent", options: .init(threads: 0))
        }
        #expect { _ = try TextModel(path: "/nonexistent/model") } throws: { "\($0)".contains("/nonexistent/model") }
        try Self.withModel(vocabulary: nil) { path in
            #expect(throws: TextModelError.noEmbeddedTokenizer(path: path)) { _ = try TextModel.vocabulary(at: path) }
            #expect(TextModelError.noEmbeddedTokenizer(path: path).description.contains("HINT:"))
        }
    }
}
