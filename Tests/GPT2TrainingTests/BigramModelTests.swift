import Foundation
import GPT2Kernels
import GPT2ModelFile
import Testing
@testable import GPT2Training

/// Writes a bigram model file the way TrainedModelFile lays it out: architecture "bigram", the
/// config of `BigramLayout`, one `bigram.weight` [V, V] tensor.
func writeBigramFile(_ path: String, table: [Float], vocab v: Int, type: ElementType = .f32,
                     architecture: String = "bigram") throws {
    let meta = ModelMetadata(architecture: architecture, config: BigramLayout.config(vocabularySize: v))
    let w = try ModelFileWriter(path: path, metadata: meta)
    var bytes = [UInt8](repeating: 0, count: type.byteCount(elements: table.count)!)
    table.withUnsafeBufferPointer { src in
        bytes.withUnsafeMutableBytes { dst in
            Kernels.selected.encode(src.baseAddress!, count: table.count, as: WeightType(rawValue: type.rawValue)!,
                                    into: dst.baseAddress!)
        }
    }
    try w.add(TensorData(name: BigramLayout.tableName, shape: [v, v], type: type, bytes: bytes))
    try w.finish()
}

@Suite struct BigramModelTests {
    static func model(_ table: [Float], vocab v: Int) throws -> BigramModel {
        let m = try BigramModel(vocabularySize: v, seed: 0)
        m.parameters[0].values.update(from: table, count: table.count)
        return m
    }

    /// V 3 worked by hand: row 0 all zeros (softmax 1/3 each), row 1 = log [1, 2, 5] (softmax
    /// [1/8, 2/8, 5/8]). Positions (0→1), (1→2), (1→0): losses ln 3, ln 8/5, ln 8; the gradient
    /// is (softmax - onehot)/3 per position, rows of token 1 summed.
    @Test func lossAndGradientByHand() throws {
        let m = try Self.model([0, 0, 0, 0, Float(log(2.0)), Float(log(5.0)), 7, -7, 3], vocab: 3)
        let batch = TrainingBatch(batch: 1, length: 3, inputs: [0, 1, 1], targets: [1, 2, 0])
        let loss = try m.forwardBackward(batch, gradientScale: 1, training: true)
        let expected = (log(3.0) + log(8.0 / 5) + log(8.0)) / 3
        #expect(abs(Double(loss) - expected) <= 1e-6 * expected)
        let want: [Double] = [1.0 / 9, -2.0 / 9, 1.0 / 9, -1.0 / 4, 1.0 / 6, 1.0 / 12, 0, 0, 0]
        let g = m.parameters[0].gradients
        for i in 0..<9 { #expect(abs(Double(g[i]) - want[i]) <= 1e-6, "gradient[\(i)] \(g[i]) vs \(want[i])") }
        // loss() agrees and leaves the gradients alone.
        let before = Array(UnsafeBufferPointer(start: g, count: 9))
        #expect(try m.loss(batch) == loss)
        #expect(Array(UnsafeBufferPointer(start: g, count: 9)) == before)
    }

    /// PyTorch's nn.Embedding + F.cross_entropy (Tools/make-bigram-fixtures): loss and gradient
    /// within 1e-5 relative, also with logits of ±100 (log-sum-exp needed).
    @Test(arguments: ["embedding", "large"]) func matchesPyTorch(_ name: String) throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/bigram", withExtension: "json"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let v = doc["vocab"] as! Int, b = doc["batch"] as! Int, t = doc["length"] as! Int
        let c = (doc["cases"] as! [String: [String: Any]])[name]!
        let floats = { (k: String) in (c[k] as! [NSNumber]).map(\.floatValue) }
        let ids = { (k: String) in (c[k] as! [Int]).map(Int32.init) }
        let m = try Self.model(floats("table"), vocab: v)
        let batch = TrainingBatch(batch: b, length: t, inputs: ids("inputs"), targets: ids("targets"))
        let want = (c["loss"] as! NSNumber).doubleValue
        let loss = try m.forwardBackward(batch, gradientScale: 1, training: true)
        #expect(abs(Double(loss) - want) <= 1e-5 * abs(want), "loss \(loss) vs PyTorch \(want)")
        let grad = floats("gradient")
        #expect(relativeError(m.parameters[0].gradients, grad) <= 1e-5)
        // Accumulation: a second pass at scale 0.5 adds half of it again.
        _ = try m.forwardBackward(batch, gradientScale: 0.5, training: true)
        #expect(relativeError(m.parameters[0].gradients, grad.map { $0 * 1.5 }) <= 1e-5)
        m.zeroGradients()
        #expect(m.parameters[0].gradients[0] == 0)
    }

    /// The lecture's loop (torch.optim.AdamW defaults, lr 0.1, four steps) on the same table
    /// and batches: every step's loss and the table after them within 1e-5 relative.
    @Test func adamWStepsMatchPyTorch() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/bigram", withExtension: "json"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let v = doc["vocab"] as! Int, b = doc["batch"] as! Int, t = doc["length"] as! Int
        let c = doc["training"] as! [String: Any]
        let f = { (k: String) in Float((c[k] as! NSNumber).doubleValue) }
        let m = try Self.model((c["table"] as! [NSNumber]).map(\.floatValue), vocab: v)
        let opt = AdamW(parameters: m.parameters, beta1: f("beta1"), beta2: f("beta2"), epsilon: f("epsilon"),
                        weightDecay: f("weight_decay"))
        let want = (c["losses"] as! [NSNumber]).map(\.doubleValue)
        for (i, batch) in (c["batches"] as! [[String: [Int]]]).enumerated() {
            m.zeroGradients()
            let loss = try m.forwardBackward(TrainingBatch(batch: b, length: t, inputs: batch["inputs"]!.map(Int32.init),
                                                           targets: batch["targets"]!.map(Int32.init)),
                                             gradientScale: 1, training: true)
            opt.step(learningRate: f("lr"))
            #expect(abs(Double(loss) - want[i]) <= 1e-5 * want[i], "step \(i): \(loss) vs \(want[i])")
        }
        #expect(relativeError(m.parameters[0].values, (c["after"] as! [NSNumber]).map(\.floatValue)) <= 1e-5)
    }

    /// nn.Embedding's init: normal(0, 1), a function of the seed only.
    @Test func initialisation() throws {
        let a = try BigramModel(vocabularySize: 64, seed: 42), b = try BigramModel(vocabularySize: 64, seed: 42)
        let c = try BigramModel(vocabularySize: 64, seed: 43)
        #expect(Array(a.table) == Array(b.table))
        #expect(Array(a.table) != Array(c.table))
        let n = Double(a.table.count)
        let mean = a.table.reduce(0.0) { $0 + Double($1) } / n
        let variance = a.table.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        #expect(abs(mean) < 0.06)                         // 4096 samples: sd of the mean 1/64
        #expect(abs(variance.squareRoot() - 1) < 0.05)
        #expect(a.parameters.map(\.name) == ["bigram.weight"])
        #expect(a.parameters[0].shape == [64, 64] && a.parameters[0].decays)
        #expect(a.architecture == "bigram")
        #expect(a.config.vocabSize == 64 && a.config.nCtx == BigramLayout.defaultContextLength)
        #expect(try BigramModel(vocabularySize: 5, seed: 1, contextLength: 8).config.nCtx == 8)
    }

    @Test func badSizesAndBatches() throws {
        #expect(throws: TrainingModelError.self) { try BigramModel(vocabularySize: 0, seed: 1) }
        #expect(throws: TrainingModelError.self) { try BigramModel(vocabularySize: 65537, seed: 1) }
        #expect(throws: TrainingModelError.self) { try BigramModel(vocabularySize: 5, seed: 1, contextLength: 0) }
        let big = #expect(throws: TrainingModelError.self) {
            try BigramModel(vocabularySize: 1000, contextLength: 8, physicalMemory: 7_999_999)
        }
        #expect(big?.message.contains("needs 7 MiB") == true)
        #expect(BigramModel.memoryBytes(vocabularySize: 50257) == 20_206_128_392)
        let m = try BigramModel(vocabularySize: 5, seed: 1)
        let e1 = #expect(throws: TrainingModelError.self) {
            try m.forwardBackward(TrainingBatch(batch: 1, length: 2, inputs: [1, 5], targets: [0, 0]), gradientScale: 1, training: true)
        }
        #expect(e1?.message.contains("input token 5 at position 1") == true)
        let e2 = #expect(throws: TrainingModelError.self) {
            try m.loss(TrainingBatch(batch: 1, length: 2, inputs: [1, 2], targets: [0, -1]))
        }
        #expect(e2?.message.contains("target token -1") == true)
        #expect(throws: TrainingModelError.self) { try m.loss(TrainingBatch(batch: 0, length: 0, inputs: [], targets: [])) }
    }

    /// A bigram model file reads back into the table, f32 exactly, f16 to its rounding.
    @Test(arguments: [ElementType.f32, .f16]) func initialisingFromFile(_ type: ElementType) throws {
        let dir = NSTemporaryDirectory() + "gpt2kit-bigram-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = try BigramModel(vocabularySize: 7, seed: 9)
        let path = dir + "/b.gpt2kit"
        try writeBigramFile(path, table: Array(src.table), vocab: 7, type: type)
        let m = try BigramModel(initializingFrom: try ModelFile(path: path), seed: 1)
        #expect(m.config == src.config)
        let want = type == .f32 ? Array(src.table) : src.table.map { Float(Float16($0)) }
        #expect(Array(m.table) == want)
        // A GPT-2 file is refused with the architecture named.
        let gpt = dir + "/g.gpt2kit"
        try writeBigramFile(gpt, table: Array(src.table), vocab: 7, architecture: "other")
        let e = #expect(throws: TrainingModelError.self) { try BigramModel(initializingFrom: try ModelFile(path: gpt), seed: 1) }
        #expect(e?.message.contains("\"other\" is not a bigram model") == true)
    }
}
