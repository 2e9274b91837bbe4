import GPT2ModelFile
import GPT2Support

/// nanoGPT's training loop over a `TrainableModel`: at every `evalInterval` steps (and at the
/// end) `estimate_loss` on both splits, a model file written when the validation loss improves
/// and the resume state written; between them, steps of gradient accumulation over random
/// windows, global-norm clipping, the warmup + cosine learning rate and AdamW.
///
/// `step` counts optimiser steps done (nanoGPT's `iter_num`). Evaluation batches come from a
/// generator seeded by (seed, step), not from the training sampler, so the training batches of
/// a run do not depend on when it evaluated: a run stopped at step N and resumed reproduces the
/// uninterrupted run bit for bit (with one thread; more threads split sums differently).
public final class Trainer {
    /// The run's options.
    public let options: TrainingOptions
    /// The tokenized train and validation splits.
    public let data: TrainingData
    /// The model being trained.
    public let model: TrainableModel
    /// The optimiser and its moments.
    public let optimizer: AdamW
    /// Where the best model is written.
    public let modelPath: String
    /// The tokenizer's name, recorded in the metadata and the resume state.
    public let tokenizerName: String
    /// The model file the weights started from, if any.
    public let initFrom: String?
    /// Draws the training windows.
    public private(set) var sampler: BatchSampler
    /// Optimiser steps done.
    public private(set) var step = 0
    /// Every evaluation so far.
    public private(set) var history: [EvalRecord] = []
    /// Lowest validation loss so far.
    public private(set) var bestValidationLoss: Float?
    /// Whether the model file was written by this run (or the run it resumes).
    public private(set) var savedModel = false

    /// What a run reports as it goes: a finished step, or an evaluation (and whether it saved the
    /// model).
    public enum Event {
        case step(StepResult)
        case eval(EvalRecord, saved: Bool)
    }

    /// One optimiser step's figures.
    public struct StepResult: Sendable {
        /// The iteration this step was (0-based, nanoGPT's iter_num before the update).
        public var step: Int
        /// Mean loss over the step's micro-batches.
        public var loss: Float
        /// The learning rate used.
        public var learningRate: Float
        /// Global gradient norm before clipping.
        public var gradientNorm: Float
        /// Wall time of the step.
        public var seconds: Double
    }

    /// How a run ended: all `maxIters` steps, or stopped by the caller after `step`.
    public enum Outcome: Sendable, Equatable {
        case finished
        case interrupted(step: Int)
    }

    /// A run (or the continuation of `resume`): checks the options against the data and the model.
    public init(options: TrainingOptions, data: TrainingData, model: TrainableModel, modelPath: String,
                tokenizerName: String, initFrom: String?, resume: ResumeState? = nil) throws {
        try options.validate()
        try data.check(blockSize: options.blockSize)
        guard options.blockSize <= model.config.nCtx else {
            throw TrainingError(.badConfiguration, "--block-size \(options.blockSize) is above the model's context \(model.config.nCtx)",
                                hint: "use --block-size \(model.config.nCtx) or less")
        }
        self.options = options
        self.data = data
        self.model = model
        self.modelPath = modelPath
        self.tokenizerName = tokenizerName
        self.initFrom = initFrom
        optimizer = AdamW(parameters: model.parameters, beta1: options.beta1, beta2: options.beta2,
                          epsilon: options.epsilon, weightDecay: options.weightDecay)
        sampler = BatchSampler(seed: options.seed)
        if let resume {
            let h = resume.header
            try resume.restore(into: model, optimizer: optimizer)
            step = h.step
            sampler = BatchSampler(seed: options.seed, drawn: h.samplerDrawn)
            (model as? TrainableGPT)?.dropoutRandomState = h.dropoutState
            history = h.history
            bestValidationLoss = h.bestValidationLoss
            savedModel = h.bestValidationLoss != nil
        }
    }

    /// The header of the resume state this trainer would write now.
    public var resumeHeader: ResumeState.Header {
        ResumeState.Header(options: options, architecture: model.architecture, config: model.config, tokenizer: tokenizerName,
                           vocabularySize: data.vocabularySize, step: step, samplerDrawn: sampler.drawn,
                           dropoutState: (model as? TrainableGPT)?.dropoutRandomState ?? 0, optimizerSteps: optimizer.steps,
                           bestValidationLoss: bestValidationLoss, history: history,
                           parameters: model.parameters.map { .init(name: $0.name, count: $0.count) }, initFrom: initFrom)
    }

    /// The resume state's path, beside the model file.
    public var resumePath: String { ResumeState.path(forModel: modelPath) }
    /// The loss plot's path, beside the model file.
    public var lossCurvePath: String { LossCurve.path(forModel: modelPath) }

    /// One optimiser step (gradient accumulation, clipping, AdamW). Throws `.nonFiniteLoss`
    /// before updating anything when the loss or the gradient norm is not finite.
    public func trainStep() throws -> StepResult {
        let start = MonotonicClock.seconds()
        let accum = options.gradientAccumulation
        model.zeroGradients()
        var total: Float = 0
        for _ in 0..<accum {
            let batch = sampler.batch(from: data.train, batch: options.batchSize, length: options.blockSize)
            let loss = try model.forwardBackward(batch, gradientScale: 1 / Float(accum), training: true)
            guard loss.isFinite else { throw nonFinite("the training loss is \(loss)") }
            total += loss
        }
        let norm = clipGradients(model.parameters, maxNorm: options.gradClip)
        guard norm.isFinite else { throw nonFinite("the gradient norm is \(norm)") }
        let lr = options.schedule.rate(at: step)
        optimizer.step(learningRate: lr)
        let result = StepResult(step: step, loss: total / Float(accum), learningRate: lr, gradientNorm: norm,
                                seconds: MonotonicClock.seconds() - start)
        step += 1
        return result
    }

    private func nonFinite(_ what: String) -> TrainingError {
        let kept = savedModel ? "\(modelPath) keeps the last good checkpoint (best val loss \(bestValidationLoss!))"
                              : "no checkpoint was written"
        return TrainingError(.nonFiniteLoss, "\(what) at step \(step); training stopped, \(kept)",
                             hint: "lower --lr, raise --warmup-iters or keep --grad-clip at 1.0; --resume restarts from the last evaluation")
    }

    /// `estimate_loss`: the mean loss of `evalIters` batches of each split, no dropout.
    public func evaluate() throws -> EvalRecord {
        var rng = BatchSampler(seed: Trainer.evaluationSeed(options.seed, step: step))
        func mean(_ split: [Int32]) throws -> Float {
            var sum: Float = 0
            for _ in 0..<options.evalIters {
                sum += try model.loss(rng.batch(from: split, batch: options.batchSize, length: options.blockSize))
            }
            return sum / Float(options.evalIters)
        }
        let r = EvalRecord(step: step, trainLoss: try mean(data.train), validationLoss: try mean(data.validation))
        guard r.trainLoss.isFinite, r.validationLoss.isFinite else {
            throw nonFinite("the evaluation loss is \(r.trainLoss) (train) / \(r.validationLoss) (val)")
        }
        return r
    }

    static func evaluationSeed(_ seed: UInt64, step: Int) -> UInt64 {
        var x = seed ^ 0x6A09_E667_F3BC_C909
        x = (x ^ UInt64(step)) &* 0x9E37_79B9_7F4A_7C15
        return x ^ (x >> 29)
    }

    /// Evaluates, records, writes the model file if the validation loss improved, the loss
    /// curve and the resume state.
    public func evaluateAndSave() throws -> (EvalRecord, saved: Bool) {
        let r = try evaluate()
        history.append(r)
        var saved = false
        if bestValidationLoss.map({ r.validationLoss < $0 }) ?? true {
            bestValidationLoss = r.validationLoss
            try saveModel()
            saved = true
        }
        try LossCurve.write(history, title: "\(Paths.fileName(of: modelPath)): loss", to: lossCurvePath)
        try saveResume()
        return (r, saved)
    }

    /// Writes the model file now (atomically).
    public func saveModel() throws {
        let meta = try TrainedModelFile.trainingMetadata(options: options, step: step, tokenizer: tokenizerName,
                                                         data: data.source, history: history, initFrom: initFrom)
        try TrainedModelFile.write(model, vocabulary: data.vocabulary, training: meta, to: modelPath)
        savedModel = true
    }

    /// Writes the resume state now (atomically).
    public func saveResume() throws {
        try ResumeState.write(resumeHeader, model: model, optimizer: optimizer, to: resumePath)
    }

    /// Runs to `maxIters`, or until `shouldStop` (checked between steps) says so: then the
    /// resume state (and the model file, if none was written yet) is saved.
    public func run(shouldStop: () -> Bool, events: (Event) -> Void) throws -> Outcome {
        while true {
            if step % options.evalInterval == 0 || step == options.maxIters, history.last?.step != step {
                let (r, saved) = try evaluateAndSave()
                events(.eval(r, saved: saved))
            }
            if step >= options.maxIters { return .finished }
            if shouldStop() {
                if !savedModel { try saveModel() }
                try saveResume()
                return .interrupted(step: step)
            }
            events(.step(try trainStep()))
        }
    }
}
