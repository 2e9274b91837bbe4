import Foundation
import Testing
@testable import GPT2ModelFile

/// ModelFile's checks of a bigram file (BigramLayout): config, n_embd = vocab, the table [V, V].
@Suite struct BigramLayoutTests {
    static func write(_ path: String, config: GPT2Config?, tensors: [(String, [Int])]) throws {
        let w = try ModelFileWriter(path: path, metadata: ModelMetadata(architecture: "bigram", config: config))
        for (name, shape) in tensors {
            let n = shape.reduce(1, *)
            try w.add(TensorData(name: name, shape: shape, type: .f32, bytes: floatBytes((0..<n).map { Float($0) })))
        }
        try w.finish()
    }

    @Test func validFileOpens() throws {
        let dir = makeTempDir()
        defer { cleanup(dir) }
        let c = BigramLayout.config(vocabularySize: 5, contextLength: 7)
        #expect(c.vocabSize == 5 && c.nEmbd == 5 && c.nCtx == 7 && c.nLayer == 1 && c.nHead == 1)
        try Self.write(dir + "/b", config: c, tensors: [("bigram.weight", [5, 5])])
        let f = try ModelFile(path: dir + "/b")
        #expect(f.metadata.architecture == "bigram" && f.metadata.config == c)
        #expect(f.config == nil)                    // not a GPT-2: GPT2Weights refuses it
        #expect(BigramLayout.config(vocabularySize: 3).nCtx == 1024)
    }

    @Test func badBigramFilesAreRefused() throws {
        let dir = makeTempDir()
        defer { cleanup(dir) }
        let c = BigramLayout.config(vocabularySize: 5)
        try Self.write(dir + "/noconfig", config: nil, tensors: [("bigram.weight", [5, 5])])
        let e1 = expectError(.badMetadata) { _ = try ModelFile(path: dir + "/noconfig") }
        #expect(e1?.expected?.contains("vocab_size and n_ctx") == true)
        var wide = c
        wide.nEmbd = 4
        try Self.write(dir + "/embd", config: wide, tensors: [("bigram.weight", [5, 5])])
        let e2 = expectError(.badMetadata) { _ = try ModelFile(path: dir + "/embd") }
        #expect(e2?.found == "4")
        try Self.write(dir + "/missing", config: c, tensors: [("wte.weight", [5, 5])])
        expectError(.missingTensor) { _ = try ModelFile(path: dir + "/missing") }
        try Self.write(dir + "/shape", config: c, tensors: [("bigram.weight", [5, 6])])
        let e4 = expectError(.shapeMismatch) { _ = try ModelFile(path: dir + "/shape") }
        #expect(e4?.found == "[5, 6]" && e4?.tensor == "bigram.weight")
    }
}
