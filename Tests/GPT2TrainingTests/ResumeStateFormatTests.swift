import Foundation
import GPT2ModelFile
import GPT2Support
import Testing
@testable import GPT2Training

/// The resume file and the "training" metadata against files `gpt2kit train` wrote when both
/// were encoded with Foundation's JSONEncoder (Fixtures/main-resume/README.md): they still
/// read, and what is written now holds the same JSON values (the metadata the same bytes).
@Suite struct ResumeStateFormatTests {
    static func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures/main-resume/\(name)", withExtension: nil)).path
    }

    /// The header and payload of a resume file: (header JSON bytes, floats after the padding).
    static func parts(_ bytes: [UInt8]) -> (header: [UInt8], payload: [UInt8]) {
        let n = Int(bytes[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let start = (16 + n + 3) / 4 * 4
        return (Array(bytes[16..<(16 + n)]), Array(bytes[start..<(bytes.count - 4)]))
    }

    @Test func stateWrittenByJSONEncoderReads() throws {
        let h = try ResumeState(path: Self.fixture("b.gpt2kit.resume")).header
        // The values as the file's text has them (see the README's command lines).
        #expect(h.architecture == "gpt2" && h.tokenizer == "char" && h.vocabularySize == 14)
        #expect(h.step == 3 && h.optimizerSteps == 3 && h.samplerDrawn == 6 && h.dropoutState == 7681369315911521845)
        #expect(h.initFrom == "base/a.gpt2kit" && h.bestValidationLoss == 2.592824)
        #expect(h.history == [EvalRecord(step: 0, trainLoss: 2.6188207, validationLoss: 2.6237345),
                              EvalRecord(step: 3, trainLoss: 2.5877686, validationLoss: 2.592824)])
        #expect(h.config == GPT2Config(nLayer: 1, nHead: 2, nEmbd: 8, nCtx: 8, vocabSize: 14, layerNormEpsilon: 1e-5,
                                       activation: .geluErf, bias: false, tiedHead: true))
        var o = TrainingOptions()
        o.batchSize = 2; o.blockSize = 8; o.maxIters = 3; o.evalInterval = 3; o.evalIters = 2
        o.learningRate = 3e-3; o.minLearningRate = 3e-4; o.warmupIters = 1; o.lrDecayIters = 3; o.dropout = 0.1
        #expect(h.options == o)
        #expect(h.parameters.map(\.name) == ["wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.attn.qkv.weight",
                                             "h.0.attn.proj.weight", "h.0.ln_2.weight", "h.0.mlp.fc.weight",
                                             "h.0.mlp.proj.weight", "ln_f.weight"])
        #expect(h.parameters.map(\.count) == [112, 64, 8, 192, 64, 8, 256, 256, 8])
    }

    /// Restored into a model and written again: the same floats, and a header with the same
    /// JSON values. The bytes differ only where JSONEncoder escaped "/" as "\/".
    @Test func rewrittenStateHoldsTheSameValues() throws {
        let path = try Self.fixture("b.gpt2kit.resume")
        let state = try ResumeState(path: path)
        let h = state.header
        let model = try TrainableGPT(config: h.config, dropout: h.options.dropout, seed: 1, threads: 1)
        let adam = AdamW(parameters: model.parameters, beta1: h.options.beta1, beta2: h.options.beta2,
                         epsilon: h.options.epsilon, weightDecay: h.options.weightDecay)
        try state.restore(into: model, optimizer: adam)
        let out = TrainingScratch.path("again.resume")
        try ResumeState.write(h, model: model, optimizer: adam, to: out)
        let old = Self.parts(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let new = Self.parts(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(old.payload == new.payload)
        #expect(try JSON.parse(old.header) == JSON.parse(new.header))
        let unescaped = String(decoding: old.header, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
        #expect(String(decoding: new.header, as: UTF8.self) == unescaped)
        #expect(try ResumeState(path: out).header == h)
    }

    @Test func trainingMetadataIsTheSameBytes() throws {
        let h = try ResumeState(path: Self.fixture("b.gpt2kit.resume")).header
        let meta = try TrainedModelFile.trainingMetadata(options: h.options, step: h.step, tokenizer: h.tokenizer, data: "text.txt",
                                                         history: h.history, initFrom: h.initFrom)
        let want = Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixture("training.json"))))
        #expect(meta.serialized() == want)
        let none = try TrainedModelFile.trainingMetadata(options: h.options, step: 0, tokenizer: "char", data: "d", history: [], initFrom: nil)
        #expect(none["init_from"] == nil && none["evaluations"] == .array([]))
    }

    /// A 64-bit seed and dropout state above Int64.max (half of all generator states) survive.
    @Test func unsignedStatesAboveInt64RoundTrip() throws {
        var h = try ResumeState(path: Self.fixture("b.gpt2kit.resume")).header
        h.dropoutState = UInt64.max - 5
        h.samplerDrawn = 1 << 63
        h.options.seed = UInt64.max
        h.initFrom = nil
        h.bestValidationLoss = nil
        let json = h.json
        #expect(json["initFrom"] == nil && json["bestValidationLoss"] == nil)
        #expect(try ResumeState.Header(json: JSON.parse(json.serialized())) == h)
    }

    /// A header that parses but lacks a key or holds the wrong type, and tensor counts whose sum
    /// overflows, are refused as a damaged state naming the problem (CRC-32C valid, so only the
    /// header checks can catch them).
    @Test func badHeadersAreRefusedWithTheKey() throws {
        let good = Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixture("b.gpt2kit.resume"))))
        let header = try JSON.parse(Self.parts(good).header)
        func file(_ edit: (inout [String: JSON]) -> Void, payload: Int = 0) -> String {
            var o = header.dictionaryValue!
            edit(&o)
            let json = JSON.object(o).serialized()
            var w = ByteWriter()
            w.raw(ResumeState.magic); w.u64(UInt64(json.count)); w.raw(json)
            w.raw(repeatElement(0, count: (4 - w.bytes.count % 4) % 4 + payload))
            w.u32(CRC32C.checksum(w.bytes))
            return TrainingScratch.file(w.bytes, "edited.resume")
        }
        func message(_ path: String) -> String? {
            let e = #expect(throws: TrainingError.self) { try ResumeState(path: path) }
            #expect(e?.kind == .badResumeState)
            return e?.message
        }
        #expect(message(file { $0["step"] = nil })?.contains("step: expected an integer, found missing") == true)
        #expect(message(file { o in
            var opts = o["options"]!.dictionaryValue!
            opts["learningRate"] = .string("fast")
            o["options"] = .object(opts)
        })?.contains("options.learningRate: expected a number, found string") == true)
        #expect(message(file { $0["dropoutState"] = .int(-1) })?.contains("dropoutState: expected an unsigned 64-bit integer") == true)
        #expect(message(file { $0["parameters"] = .array([.object(["name": .string("a"), "count": .int(Int64.max)]),
                                                          .object(["name": .string("b"), "count": .int(Int64.max)])]) })?
            .contains("expected more than fits in memory for 2 tensors") == true)
        #expect(message(file({ $0["parameters"] = .array([.object(["name": .string("a"), "count": .int(2)])]) }, payload: 12))?
            .contains("expected") == true)
    }
}
