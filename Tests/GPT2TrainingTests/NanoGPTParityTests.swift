import Foundation
import GPT2Kernels
import GPT2ModelFile
import Testing
@testable import GPT2Training

/// One fixture of Tools/make-train-fixtures: nanoGPT's model on PyTorch, its loss, gradients
/// and the parameters after three AdamW steps.
struct TrainFixture {
    let json: [String: Any]
    let floats: [Float]
    let config: GPT2Config
    let batches: [TrainingBatch]

    init(_ name: String) throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
        json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let bin = try Data(contentsOf: url.deletingPathExtension().appendingPathExtension("bin"))
        floats = bin.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let c = try #require(json["config"] as? [String: Any])
        config = GPT2Config(nLayer: c["n_layer"] as! Int, nHead: c["n_head"] as! Int, nEmbd: c["n_embd"] as! Int,
                            nCtx: c["block_size"] as! Int, vocabSize: c["vocab_size"] as! Int, activation: .geluErf,
                            bias: c["bias"] as! Bool)
        let B = json["batch"] as! Int, T = json["length"] as! Int
        batches = (json["batches"] as! [[String: [Int]]]).map {
            TrainingBatch(batch: B, length: T, inputs: $0["inputs"]!.map(Int32.init), targets: $0["targets"]!.map(Int32.init))
        }
    }

    func tensor(_ key: String) -> [Float] {
        let e = (json["tensors"] as! [String: [String: Any]])[key]!
        let o = e["offset"] as! Int, n = e["count"] as! Int
        return Array(floats[o..<(o + n)])
    }

    var parameterNames: [String] { json["parameters"] as! [String] }
}

/// max |a - b| / max |b|: the error relative to the tensor's scale.
func relativeError(_ a: UnsafePointer<Float>, _ b: [Float]) -> Double {
    var err = 0.0, scale = 0.0
    for i in 0..<b.count {
        err = max(err, abs(Double(a[i]) - Double(b[i])))
        scale = max(scale, abs(Double(b[i])))
    }
    return scale == 0 ? err : err / scale
}

@Suite struct NanoGPTParityTests {
    static let fixtures = ["train-bias", "train-nobias"]
    static let tolerance = 1e-5

    static func model(_ f: TrainFixture, _ set: KernelSet, reference: Bool) throws -> TrainableGPT {
        let m = try TrainableGPT(config: f.config, dropout: 0, threads: 2, kernels: try Kernels(set), reference: reference)
        #expect(m.parameters.map(\.name).sorted() == f.parameterNames.sorted())
        for p in m.parameters {
            let v = f.tensor("initial/" + p.name)
            #expect(v.count == p.count)
            p.values.update(from: v, count: p.count)
        }
        return m
    }

    @Test(arguments: fixtures, KernelSet.supported)
    func lossAndGradients(name: String, set: KernelSet) throws {
        let f = try TrainFixture(name)
        for reference in [false, true] {
            let m = try Self.model(f, set, reference: reference)
            let loss = try m.forwardBackward(f.batches[0], gradientScale: 1, training: true)
            let expected = Float(f.json["loss"] as! Double)
            #expect(abs(loss - expected) <= Float(Self.tolerance) * expected, "loss \(loss) vs \(expected)")
            var worst = 0.0
            for p in m.parameters {
                let e = relativeError(p.gradients, f.tensor("gradient/" + p.name))
                worst = max(worst, e)
                #expect(e <= Self.tolerance, "\(name) \(set) reference=\(reference): gradient of \(p.name) off by \(e)")
            }
            print("\(name) \(set) reference=\(reference): worst gradient error \(worst)")
        }
    }

    struct Run {
        let schedule: LearningRateSchedule
        let optimizer: AdamW
        let clip: Float
        let steps: [[String: Double]]
    }

    static func run(_ f: TrainFixture, _ m: TrainableGPT, _ set: KernelSet) throws -> Run {
        let o = f.json["optimizer"] as! [String: Any]
        let schedule = LearningRateSchedule(maxRate: Float(o["max_lr"] as! Double), minRate: Float(o["min_lr"] as! Double),
                                            warmupSteps: o["warmup"] as! Int, decaySteps: o["decay"] as! Int)
        let opt = AdamW(parameters: m.parameters, beta1: Float(o["beta1"] as! Double), beta2: Float(o["beta2"] as! Double),
                        epsilon: Float(o["epsilon"] as! Double), weightDecay: Float(o["weight_decay"] as! Double),
                        kernels: try Kernels(set))
        return Run(schedule: schedule, optimizer: opt, clip: Float(o["grad_clip"] as! Double),
                   steps: f.json["steps"] as! [[String: Double]])
    }

    /// Clipping, the schedule and AdamW alone: PyTorch's gradients of each step fed in, the
    /// parameters after three steps compared.
    @Test(arguments: fixtures, KernelSet.supported)
    func optimizerOnTorchGradients(name: String, set: KernelSet) throws {
        let f = try TrainFixture(name)
        let m = try Self.model(f, set, reference: false)
        let r = try Self.run(f, m, set)
        for it in 0..<3 {
            let lr = r.schedule.rate(at: it)
            #expect(abs(Double(lr) - r.steps[it]["lr"]!) <= 1e-7 * r.steps[it]["lr"]!)
            for p in m.parameters { p.gradients.update(from: f.tensor("step\(it)/" + p.name), count: p.count) }
            let norm = clipGradients(m.parameters, maxNorm: r.clip, kernels: try Kernels(set))
            #expect(abs(Double(norm) - r.steps[it]["norm"]!) <= 1e-6 * r.steps[it]["norm"]!, "norm \(norm)")
            r.optimizer.step(learningRate: lr)
        }
        #expect(r.optimizer.steps == 3)
        var worst = 0.0
        for p in m.parameters {
            let e = relativeError(p.values, f.tensor("after/" + p.name))
            worst = max(worst, e)
            #expect(e <= Self.tolerance, "\(name) \(set): \(p.name) after 3 steps off by \(e)")
        }
        print("\(name) \(set) optimizer on torch's gradients: worst parameter error after 3 steps \(worst)")
    }

    /// The whole training step three times: our loss, gradients, clipping and AdamW against
    /// nanoGPT's. Adam divides each gradient by its own magnitude, so an element whose
    /// gradient is at the f32 noise floor of its tensor (the attention key biases: exactly 0,
    /// as softmax ignores a shift shared by all keys) moves by up to ±lr in a direction the
    /// rounding decides, in PyTorch as here. Such elements (|g| < 1e-4 max|g| of the tensor at
    /// some step) are held to that bound; every other element to 1e-5 of the tensor's scale.
    @Test(arguments: fixtures, KernelSet.supported)
    func threeTrainingSteps(name: String, set: KernelSet) throws {
        let f = try TrainFixture(name)
        for reference in [false, true] {
            let m = try Self.model(f, set, reference: reference)
            let r = try Self.run(f, m, set)
            var lrSum: Float = 0
            for it in 0..<3 {
                let lr = r.schedule.rate(at: it)
                lrSum += lr
                m.zeroGradients()
                let loss = try m.forwardBackward(f.batches[it], gradientScale: 1, training: true)
                #expect(abs(Double(loss) - r.steps[it]["loss"]!) <= Self.tolerance * r.steps[it]["loss"]!)
                let norm = clipGradients(m.parameters, maxNorm: r.clip, kernels: try Kernels(set))
                #expect(abs(Double(norm) - r.steps[it]["norm"]!) <= Self.tolerance * r.steps[it]["norm"]!, "norm \(norm)")
                r.optimizer.step(learningRate: lr)
            }
            var worst = 0.0, noisy = 0
            for p in m.parameters {
                let expected = f.tensor("after/" + p.name)
                let grads = (0..<3).map { f.tensor("step\($0)/" + p.name) }
                let gmax = grads.map { $0.map(abs).max()! }
                let scale = Double(expected.map(abs).max()!)
                for i in 0..<p.count {
                    let d = abs(Double(p.values[i]) - Double(expected[i]))
                    if (0..<3).contains(where: { abs(grads[$0][i]) < 1e-4 * gmax[$0] }) {
                        noisy += 1
                        #expect(d <= Double(lrSum), "\(p.name)[\(i)] moved \(d), more than Adam's bound")
                    } else {
                        worst = max(worst, d / scale)
                        #expect(d <= Self.tolerance * scale, "\(name) \(set) reference=\(reference): \(p.name)[\(i)] off by \(d / scale)")
                    }
                }
            }
            print("\(name) \(set) reference=\(reference): worst parameter error after 3 steps \(worst) (\(noisy) noise-floor elements)")
        }
    }
}
