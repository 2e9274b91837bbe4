/// Everything that decides a training run. The defaults are nanoGPT's CPU "baby GPT" for
/// shakespeare_char (its README's command line: config/train_shakespeare_char.py with
/// block 64, batch 12, 4 layers, 4 heads, 128 wide, dropout 0, 2000 iterations, eval_iters 20),
/// keeping that config's lr 1e-3, min lr 1e-4, β2 0.99, warmup 100, eval_interval 250 and
/// log_interval 10, and train.py's bias False, weight decay 0.1, β1 0.9, grad clip 1.0.
///
/// The resume state and the model file's metadata carry it (`json(_:)`, TrainingJSON.swift).
public struct TrainingOptions: Sendable, Equatable {
    /// Which model `gpt2kit train` trains.
    public enum ModelKind: String, Sendable, CaseIterable {
        case gpt
        case bigram
    }

    /// The model to train (`--model`).
    public var model: ModelKind = .gpt
    /// Transformer blocks (`--n-layer`).
    public var nLayer = 4
    /// Attention heads per block (`--n-head`).
    public var nHead = 4
    /// Embedding width (`--n-embd`).
    public var nEmbd = 128
    /// Context length of the model and of the training windows (`--block-size`).
    public var blockSize = 64
    /// Dropout probability in training (`--dropout`).
    public var dropout: Float = 0
    /// Whether linear layers and LayerNorms have biases (`--bias`).
    public var bias = false

    /// Windows per micro-batch (`--batch-size`).
    public var batchSize = 12
    /// Micro-batches per optimiser step (`--grad-accum`).
    public var gradientAccumulation = 1
    /// Optimiser steps of the run (`--max-iters`).
    public var maxIters = 2000
    /// Peak learning rate (`--lr`).
    public var learningRate: Float = 1e-3
    /// Learning rate at the end of the decay (`--min-lr`).
    public var minLearningRate: Float = 1e-4
    /// Steps of linear warmup (`--warmup-iters`).
    public var warmupIters = 100
    /// Step at which the cosine decay ends (`--lr-decay-iters`).
    public var lrDecayIters = 2000
    /// AdamW β1 (`--beta1`).
    public var beta1: Float = 0.9
    /// AdamW β2 (`--beta2`).
    public var beta2: Float = 0.99
    /// AdamW ε.
    public var epsilon: Float = 1e-8
    /// AdamW weight decay on rank >= 2 tensors (`--weight-decay`).
    public var weightDecay: Float = 0.1
    /// Global gradient-norm clip, 0 for none (`--grad-clip`).
    public var gradClip: Float = 1.0

    /// Steps between evaluations (`--eval-interval`).
    public var evalInterval = 250
    /// Batches per split in an evaluation (`--eval-iters`).
    public var evalIters = 20
    /// Steps between log lines (`--log-interval`).
    public var logInterval = 10
    /// Seed of the initialisation, batches and dropout (`--seed`).
    public var seed: UInt64 = 1337

    /// nanoGPT's baby-GPT defaults.
    public init() {}

    /// The learning-rate schedule these options describe.
    public var schedule: LearningRateSchedule {
        LearningRateSchedule(maxRate: learningRate, minRate: minLearningRate, warmupSteps: warmupIters, decaySteps: lrDecayIters)
    }

    /// Tokens one optimiser step consumes.
    public var tokensPerStep: Int { batchSize * blockSize * gradientAccumulation }

    /// Checks what no model or data is needed for.
    public func validate() throws {
        func bad(_ what: String, _ hint: String) -> TrainingError { TrainingError(.badConfiguration, what, hint: hint) }
        for (name, v) in [("--n-layer", nLayer), ("--n-head", nHead), ("--n-embd", nEmbd), ("--block-size", blockSize),
                          ("--batch-size", batchSize), ("--grad-accum", gradientAccumulation), ("--eval-interval", evalInterval),
                          ("--eval-iters", evalIters), ("--log-interval", logInterval)] where v < 1 {
            throw bad("\(name) is \(v), it must be at least 1", "use a positive value")
        }
        guard maxIters >= 0, warmupIters >= 0, lrDecayIters >= 0 else {
            throw bad("--max-iters, --warmup-iters and --lr-decay-iters must not be negative", "use 0 or more")
        }
        guard model == .bigram || nEmbd % nHead == 0 else {
            throw bad("--n-embd \(nEmbd) is not divisible by --n-head \(nHead)",
                      "each head gets n_embd / n_head channels: use e.g. --n-embd \(max(nHead, nEmbd / nHead * nHead))")
        }
        guard dropout >= 0, dropout < 1 else { throw bad("--dropout \(dropout) is not in [0, 1)", "use e.g. 0.0 or 0.2") }
        for (name, v) in [("--lr", learningRate), ("--min-lr", minLearningRate), ("--weight-decay", weightDecay),
                          ("--grad-clip", gradClip), ("--eps", epsilon)] where !(v.isFinite && v >= 0) {
            throw bad("\(name) \(v) is not a finite number >= 0", "use e.g. the defaults in docs/TRAINING.md")
        }
        guard beta1 >= 0, beta1 < 1, beta2 >= 0, beta2 < 1 else {
            throw bad("--beta1 \(beta1) / --beta2 \(beta2) must be in [0, 1)", "use 0.9 and 0.99 (or 0.95)")
        }
        let (_, o) = batchSize.multipliedReportingOverflow(by: blockSize)
        guard !o, batchSize * blockSize <= 1 << 24 else {
            throw bad("--batch-size × --block-size \(batchSize) × \(blockSize) is too large", "use a smaller batch")
        }
    }
}
