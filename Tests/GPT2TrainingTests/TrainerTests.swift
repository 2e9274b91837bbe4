import Foundation
import GPT2ModelFile
import GPT2Tokenizer
import Testing
@testable import GPT2Training

@Suite struct TrainerTests {
    /// A tiny char-level run (1 layer, 16 wide) on generated text.
    static func tinyOptions() -> TrainingOptions {
        var o = TrainingOptions()
        o.nLayer = 1; o.nHead = 2; o.nEmbd = 16; o.blockSize = 16; o.batchSize = 4
        o.maxIters = 30; o.evalInterval = 10; o.evalIters = 4; o.learningRate = 1e-2; o.minLearningRate = 1e-3
        o.warmupIters = 3; o.lrDecayIters = 30
        return o
    }

    static func data() throws -> TrainingData {
        try TrainingData.text(path: TrainingScratch.file(Array(TrainingScratch.text(4000).utf8)), tokenizer: .char,
                              bpe: { throw CancellationError() })
    }

    static func trainer(_ o: TrainingOptions, _ d: TrainingData, path: String, resume: ResumeState? = nil) throws -> Trainer {
        let c = GPT2Config(nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd, nCtx: o.blockSize, vocabSize: d.vocabularySize,
                           activation: .geluErf, bias: o.bias)
        let m = try TrainableGPT(config: c, dropout: o.dropout, seed: o.seed, threads: 1)
        return try Trainer(options: o, data: d, model: m, modelPath: path, tokenizerName: "char", initFrom: nil, resume: resume)
    }

    @Test func lossFallsAndFilesAreWritten() throws {
        let path = TrainingScratch.path("m.gpt2")
        let t = try Self.trainer(Self.tinyOptions(), try Self.data(), path: path)
        var steps = 0
        #expect(try t.run(shouldStop: { false }, events: { if case .step = $0 { steps += 1 } }) == .finished)
        #expect(steps == 30)
        #expect(t.history.map(\.step) == [0, 10, 20, 30])
        // ln(vocab) at the start (uniform predictions), well below it at the end.
        let v = Float(log(Double(t.data.vocabularySize)))
        #expect(abs(t.history[0].validationLoss - v) < 0.3)
        #expect(t.history.last!.validationLoss < t.history[0].validationLoss - 0.5)
        let file = try ModelFile(path: path)
        #expect(file.metadata.architecture == "gpt2")
        #expect(file.metadata.vocabulary == t.data.vocabulary)
        #expect(file.metadata.extra["training"]?["evaluations"]?.arrayValue?.count ?? 0 >= 1)
        #expect(FileManager.default.fileExists(atPath: path + ".resume"))
        let svg = try String(contentsOfFile: path + ".loss.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("class=\"train\"") && svg.contains("class=\"val\""))
    }

    /// N steps, resume, N steps == 2N steps, every byte of the state (1 thread).
    @Test func resumeIsBitExact() throws {
        var o = Self.tinyOptions()
        o.dropout = 0.1
        let d = try Self.data()
        let straight = TrainingScratch.path("a.gpt2"), split = TrainingScratch.path("b.gpt2")
        _ = try Self.trainer(o, d, path: straight).run(shouldStop: { false }, events: { _ in })
        var half = o
        half.maxIters = 20
        _ = try Self.trainer(half, d, path: split).run(shouldStop: { false }, events: { _ in })
        let state = try ResumeState(path: split + ".resume")
        #expect(state.header.step == 20)
        var resumed = state.header.options
        resumed.maxIters = 30
        _ = try Self.trainer(resumed, d, path: split, resume: state).run(shouldStop: { false }, events: { _ in })
        let a = try Data(contentsOf: URL(fileURLWithPath: straight + ".resume"))
        let b = try Data(contentsOf: URL(fileURLWithPath: split + ".resume"))
        #expect(a == b)
        let ma = try ModelFile(path: straight), mb = try ModelFile(path: split)
        for info in ma.tensors {
            let x = try ma.withTensor(info.name) { Array($0.bytes) }, y = try mb.withTensor(info.name) { Array($0.bytes) }
            #expect(x.elementsEqual(y), "\(info.name) differs")
        }
    }

    @Test func interruptWritesResumeState() throws {
        let path = TrainingScratch.path("i.gpt2")
        let t = try Self.trainer(Self.tinyOptions(), try Self.data(), path: path)
        var n = 0
        let outcome = try t.run(shouldStop: { n >= 5 }, events: { if case .step = $0 { n += 1 } })
        #expect(outcome == .interrupted(step: 5))
        #expect(try ResumeState(path: path + ".resume").header.step == 5)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    /// A learning rate that blows the weights up: the run stops naming the step, and the model
    /// file keeps the step-0 checkpoint.
    @Test func nonFiniteLossStopsAndKeepsCheckpoint() throws {
        var o = Self.tinyOptions()
        o.learningRate = 1e30; o.minLearningRate = 1e30; o.warmupIters = 0; o.gradClip = 0; o.evalInterval = 1000
        let path = TrainingScratch.path("nan.gpt2")
        let t = try Self.trainer(o, try Self.data(), path: path)
        let e = #expect(throws: TrainingError.self) { try t.run(shouldStop: { false }, events: { _ in }) }
        #expect(e?.kind == .nonFiniteLoss)
        #expect(e?.message.contains("at step ") == true)
        let file = try ModelFile(path: path)
        #expect(file.metadata.extra["training"]?["step"]?.intValue == 0)
    }

    @Test func blockSizeAboveContextIsRefused() throws {
        var o = Self.tinyOptions()
        let d = try Self.data()
        let c = GPT2Config(nLayer: 1, nHead: 2, nEmbd: 16, nCtx: 8, vocabSize: d.vocabularySize, activation: .geluErf)
        let m = try TrainableGPT(config: c, dropout: 0, seed: 1, threads: 1)
        o.blockSize = 16
        let e = #expect(throws: TrainingError.self) {
            try Trainer(options: o, data: d, model: m, modelPath: TrainingScratch.path("x"), tokenizerName: "char", initFrom: nil)
        }
        #expect(e?.kind == .badConfiguration)
    }

    @Test func embeddingNotDivisibleByHeadsIsRefused() throws {
        var o = Self.tinyOptions()
        o.nEmbd = 18; o.nHead = 4
        let e = #expect(throws: TrainingError.self) { try o.validate() }
        #expect(e?.kind == .badConfiguration)
        #expect(e?.message.contains("not divisible") == true)
    }

    @Test func memoryPlanCountsAndRefuses() throws {
        let small = GPT2Config(nLayer: 4, nHead: 4, nEmbd: 128, nCtx: 64, vocabSize: 65, activation: .geluErf)
        let p = try MemoryPlan(config: small, bigram: false, batch: 12, length: 64)
        // nanoGPT prints "number of parameters: 0.80M" for the baby GPT (it leaves out wpe,
        // 64 × 128): 12·L·C² + 13·L·C (blocks with biases) + 2C (ln_f) + V·C + T·C.
        #expect(p.parameterCount == 12 * 4 * 128 * 128 + 13 * 4 * 128 + 2 * 128 + 65 * 128 + 64 * 128)
        #expect(p.optimizerBytes == 2 * p.parameterBytes)
        try p.check()
        let e = #expect(throws: TrainingError.self) { try p.check(limit: p.totalBytes - 1) }
        #expect(e?.kind == .outOfMemory)
        // GPT-2's vocabulary: the head's forward puts the whole V x C weight in column tiles
        // (at most one tile, 32 rows, of padding), and the plan counts it.
        let wide = GPT2Config(nLayer: 1, nHead: 12, nEmbd: 768, nCtx: 64, vocabSize: 50257, activation: .geluErf)
        let w = try MemoryPlan(config: wide, bigram: false, batch: 1, length: 64, threads: 2)
        #expect(w.scratchBytes >= 50257 * 768 * 4 && w.scratchBytes <= (50257 + 31) * 768 * 4)
        #expect(w.totalBytes == w.parameterBytes + w.gradientBytes + w.optimizerBytes + w.activationBytes + w.scratchBytes)
        #expect(w.summary.contains("scratch 147.2 MiB") || w.summary.contains("scratch 147.3 MiB"))
        let huge = GPT2Config(nLayer: 4096, nHead: 64, nEmbd: 65536, nCtx: 64, vocabSize: 65, activation: .geluErf)
        let e2 = #expect(throws: TrainingError.self) { try MemoryPlan(config: huge, bigram: false, batch: 12, length: 64).check() }
        #expect(e2?.kind == .outOfMemory)
    }

    @Test func damagedResumeStateIsRefused() throws {
        let path = TrainingScratch.path("r.gpt2")
        var o = Self.tinyOptions()
        o.maxIters = 2
        _ = try Self.trainer(o, try Self.data(), path: path).run(shouldStop: { false }, events: { _ in })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path + ".resume"))
        bytes[bytes.count / 2] ^= 1
        let bad = TrainingScratch.file([UInt8](bytes), "bad.resume")
        let e = #expect(throws: TrainingError.self) { try ResumeState(path: bad) }
        #expect(e?.kind == .badResumeState)
        let e2 = #expect(throws: TrainingError.self) { try ResumeState(path: TrainingScratch.path("none.resume")) }
        #expect(e2?.kind == .badResumeState)
    }

    @Test func samplerWindowsAreShiftedByOneAndReplayable() throws {
        let data = (0..<100).map { Int32($0) }
        var s = BatchSampler(seed: 7)
        let b = s.batch(from: data, batch: 8, length: 10)
        for r in 0..<8 {
            let x = Array(b.inputs[(r * 10)..<(r * 10 + 10)]), y = Array(b.targets[(r * 10)..<(r * 10 + 10)])
            #expect(x.first! >= 0 && x.first! < 90)
            #expect(x == Array(x.first!..<(x.first! + 10)))
            #expect(y == x.map { $0 + 1 })
        }
        var again = BatchSampler(seed: 7, drawn: s.drawn)
        let next1 = s.batch(from: data, batch: 4, length: 10), next2 = again.batch(from: data, batch: 4, length: 10)
        #expect(next1.inputs == next2.inputs)
    }

    /// --grad-accum 2 × batch 4 draws the same 8 windows as batch 8 and averages their
    /// gradients: one step of each leaves the same (clipped) gradients, to rounding. (Not the
    /// parameters: AdamW's first step moves each by ±lr whatever the gradient's size, so a
    /// rounding difference in a near-zero gradient would flip it.)
    @Test func gradientAccumulationAveragesMicroBatches() throws {
        var a = Self.tinyOptions(), b = Self.tinyOptions()
        a.batchSize = 4; a.gradientAccumulation = 2
        b.batchSize = 8; b.gradientAccumulation = 1
        a.warmupIters = 0; b.warmupIters = 0
        let d = try Self.data()
        let ta = try Self.trainer(a, d, path: TrainingScratch.path("ga")), tb = try Self.trainer(b, d, path: TrainingScratch.path("gb"))
        let ra = try ta.trainStep(), rb = try tb.trainStep()
        #expect(abs(ra.loss - rb.loss) < 1e-5)
        #expect(abs(ra.gradientNorm - rb.gradientNorm) < 1e-4 * rb.gradientNorm)
        for (p, q) in zip(ta.model.parameters, tb.model.parameters) {
            var err: Float = 0, scale: Float = 0
            for i in 0..<p.count {
                err = max(err, abs(p.gradients[i] - q.gradients[i]))
                scale = max(scale, abs(q.gradients[i]))
            }
            #expect(err <= 1e-5 * scale, "\(p.name): \(err) of \(scale)")
        }
    }
}
