import Foundation
import GPT2Kernels
import GPT2ModelFile
import Testing
@testable import GPT2Runtime

/// A bigram model file run through the LanguageModel protocol: the logits after a token are
/// its row of the table in every element type; generation and perplexity work on it.
@Suite struct BigramLanguageModelTests {
    static func path(_ name: String) -> String {
        NSTemporaryDirectory() + "gpt2kit-bigram-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
    }

    static func table(_ v: Int) -> [Float] { (0..<(v * v)).map { Float(sin(Double($0) * 0.37)) * 2 } }

    /// Writes a bigram file of `table` encoded as `type`; returns the stored bytes.
    @discardableResult
    static func write(_ path: String, table: [Float], vocab v: Int, type: WeightType, nCtx: Int = 16,
                      codec: TensorCodec = .raw) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: type.byteCount(elements: table.count)!)
        table.withUnsafeBufferPointer { s in bytes.withUnsafeMutableBytes { Kernels.selected.encode(s.baseAddress!, count: s.count, as: type, into: $0.baseAddress!) } }
        let w = try ModelFileWriter(path: path, metadata: ModelMetadata(
            architecture: "bigram", config: BigramLayout.config(vocabularySize: v, contextLength: nCtx)))
        try w.add(TensorData(name: "bigram.weight", shape: [v, v], type: ElementType(rawValue: type.rawValue)!, bytes: bytes), codec: codec)
        try w.finish()
        return bytes
    }

    /// Row r of the logits is elements r·V ..< (r+1)·V of the whole table decoded at once:
    /// f32 exactly the table; q8_0 with V 32 (rows of whole blocks, decoded per row) and V 40
    /// (rows straddle blocks: the table is decoded once).
    @Test(arguments: [(WeightType.f32, 32, TensorCodec.raw), (.f16, 32, .raw), (.bf16, 32, .bytePlanesZstd),
                      (.q8_0, 32, .raw), (.q8_0, 40, .raw)])
    func logitsAreTableRows(_ type: WeightType, _ v: Int, _ codec: TensorCodec) throws {
        let p = Self.path("rows")
        defer { unlink(p) }
        let table = Self.table(v)
        let bytes = try Self.write(p, table: table, vocab: v, type: type, codec: codec)
        var whole = [Float](repeating: 0, count: v * v)
        bytes.withUnsafeBytes { b in whole.withUnsafeMutableBufferPointer { Kernels.selected.decode(b.baseAddress!, count: v * v, as: type, into: $0.baseAddress!) } }
        if type == .f32 { #expect(whole == table) }
        let m = try BigramLanguageModel(path: p)
        #expect(m.vocabularySize == v && m.contextLength == 16 && m.weightType == type)
        for r in [0, 1, v / 2, v - 1] {
            m.reset()
            let got = Array(try [5, r].withUnsafeBufferPointer { try m.appendReturningLastLogits($0) })
            #expect(got == Array(whole[(r * v)..<((r + 1) * v)]), "row \(r)")
            #expect(m.count == 2)
        }
        m.reset()
        var rows: [[Float]] = []
        try m.append([3, 0, 3]) { i, l in #expect(rows.count == i); rows.append(Array(l)) }
        #expect(rows == [3, 0, 3].map { Array(whole[($0 * v)..<(($0 + 1) * v)]) })
    }

    @Test func generationAndPerplexityThroughTheProtocol() throws {
        let v = 6, p = Self.path("gen")
        defer { unlink(p) }
        // Row i peaks at (i + 2) % 6.
        let table: [Float] = (0..<36).map { k in (k % v == (k / v + 2) % v ? 4 : 0) + Float(k % 5) * 0.1 }
        try Self.write(p, table: table, vocab: v, type: .f32, nCtx: 3)
        let m = try BigramLanguageModel(path: p)
        var s = try Sampler(options: SamplingOptions(temperature: 0))
        var out: [Int] = []
        let stats = try Generator(model: m).generate(prompt: [1], options: GenerationOptions(maxNewTokens: 7), sampler: &s) { out.append($0) }
        #expect(out == [3, 5, 1, 3, 5, 1, 3] && stats.generatedTokens == 7)   // past the 3-token window
        let ids = [0, 2, 4, 1, 1, 5, 0, 3]
        var total = 0.0
        for (a, b) in zip(ids, ids.dropFirst()) {
            let row = (0..<v).map { Double(table[a * v + $0]) }
            total += log(row.map(exp).reduce(0, +)) - row[b]
        }
        let r = try Perplexity.evaluate(model: m, tokens: ids)
        #expect(r.predictedTokens == 7 && r.windows == 3)
        #expect(abs(r.meanLoss - total / 7) <= 1e-6 * total / 7)
    }

    @Test func badUseAndBadFiles() throws {
        let p = Self.path("bad")
        defer { unlink(p) }
        try Self.write(p, table: Self.table(4), vocab: 4, type: .f32, nCtx: 3)
        let m = try BigramLanguageModel(path: p)
        #expect(throws: RuntimeError.tokenOutOfRange(id: 4, vocabSize: 4)) { try m.append([1, 4]) { _, _ in } }
        #expect(throws: RuntimeError.tokenOutOfRange(id: -1, vocabSize: 4)) {
            try [-1].withUnsafeBufferPointer { _ = try m.appendReturningLastLogits($0) }
        }
        #expect(m.count == 0)
        #expect(throws: RuntimeError.promptTooLong(tokens: 4, nCtx: 3)) {
            try [0, 1, 2, 3].withUnsafeBufferPointer { _ = try m.appendReturningLastLogits($0) }
        }
        // A GPT-2 file is not a bigram, and GPT2Weights refuses a bigram file.
        let g = Self.path("gpt")
        defer { unlink(g) }
        let c = GPT2Config(nLayer: 1, nHead: 1, nEmbd: 4, nCtx: 4, vocabSize: 4)
        let w = try ModelFileWriter(path: g, metadata: ModelMetadata(architecture: "gpt2", config: c))
        for (name, shape) in TensorName.gpt2Tensors(c) {
            try w.add(TensorData(name: name, shape: shape, type: .f32, bytes: [UInt8](repeating: 0, count: 4 * shape.reduce(1, *))))
        }
        try w.finish()
        let e = #expect(throws: ModelFileError.self) { try BigramLanguageModel(path: g) }
        #expect(e?.kind == .unsupportedArchitecture && e?.found == "\"gpt2\"")
        let e2 = #expect(throws: ModelFileError.self) { try GPT2Weights(path: p) }
        #expect(e2?.kind == .unsupportedArchitecture && e2?.found == "\"bigram\"")
    }
}
