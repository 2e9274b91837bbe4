/// Everything that decides a training run. The defaults are nanoGPT's CPU "baby GPT" for
/// shakespeare_char (its README's command line: config/train_shakespeare_char.py with
/// block 64, batch 12, 4 layers, 4 heads, 128 wide, dropout 0, 2000 iterations, eval_iters 20),
/// keeping that config's lr 1e-3, min lr 1e-4, β2 0.99, warmup 100, eval_interval 250 and
/// log_interval 10, and train.py's bias False, weight decay 0.1, β1 0.9, grad clip 1.0.
///
/// Codable: the resume state and the model file's metadata carry it.
public struct TrainingOptions: Sendable, Equatable, Codable {
    public enum ModelKind: String, Sendable, Codable, CaseIterable {
        case gpt
        case bigram
    }

    public var model: ModelKind = .gpt
    public var nLayer = 4
    public var nHead = 4
    public var nEmbd = 128
    public var blockSize = 64
    public var dropout: Float = 0
    public var bias = false

    public var batchSize = 12
    public var gradientAccumulation = 1
    public var maxIters = 2000
    public var learningRate: Float = 1e-3
    public var minLearningRate: Float = 1e-4
    public var warmupIters = 100
    public var lrDecayIters = 2000
    public var beta1: Float = 0.9
    public var beta2: Float = 0.99
    public var epsilon: Float = 1e-8
    public var weightDecay: Float = 0.1
    public var gradClip: Float = 1.0

    public var evalInterval = 250
    public var evalIters = 20
    public var logInterval = 10
    public var seed: UInt64 = 1337

    public init() {}

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
