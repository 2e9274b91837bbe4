import GPT2ModelFile

/// One batch of training windows: `batch` rows of `length` token ids, row-major, and the ids
/// that follow each position (nanoGPT's `get_batch`: y is x shifted by one).
public struct TrainingBatch: Sendable {
    /// Rows (windows) in the batch.
    public var batch: Int
    /// Tokens per window.
    public var length: Int
    /// Input ids, `batch * length`, row-major.
    public var inputs: [Int32]
    /// Target ids, `batch * length`, row-major.
    public var targets: [Int32]

    /// A batch; both arrays must hold `batch * length` ids.
    public init(batch: Int, length: Int, inputs: [Int32], targets: [Int32]) {
        precondition(inputs.count == batch * length && targets.count == batch * length)
        self.batch = batch
        self.length = length
        self.inputs = inputs
        self.targets = targets
    }
}

extension TrainingBatch {
    /// Every input and target id lies in 0..<vocabularySize, or the first one outside is named
    /// (with its position) before any work: the check both models make.
    func checkIDs(vocabularySize v: Int) throws {
        for (i, id) in inputs.enumerated() where id < 0 || Int(id) >= v {
            throw TrainingModelError("input token \(id) at position \(i) is outside the vocabulary of \(v)",
                                     hint: "the data and the model must use the same tokenizer")
        }
        for (i, id) in targets.enumerated() where id < 0 || Int(id) >= v {
            throw TrainingModelError("target token \(id) at position \(i) is outside the vocabulary of \(v)",
                                     hint: "the data and the model must use the same tokenizer")
        }
    }
}

/// One trainable tensor: its canonical name and shape (as the model file stores it), its values
/// and its gradient, each `count` floats owned by the model.
public struct TrainableParameter: @unchecked Sendable {
    /// Canonical tensor name (as in a model file).
    public var name: String
    /// Shape, outermost dimension first.
    public var shape: [Int]
    /// The `count` values, owned by the model.
    public var values: UnsafeMutablePointer<Float>
    /// The `count` gradients, owned by the model.
    public var gradients: UnsafeMutablePointer<Float>
    /// Number of floats (the product of `shape`).
    public var count: Int
    /// AdamW decays tensors of rank >= 2 only (nanoGPT's `configure_optimizers`).
    public var decays: Bool { shape.count >= 2 }

    /// A parameter over buffers the model owns.
    public init(name: String, shape: [Int], values: UnsafeMutablePointer<Float>,
                gradients: UnsafeMutablePointer<Float>, count: Int) {
        self.name = name
        self.shape = shape
        self.values = values
        self.gradients = gradients
        self.count = count
    }
}

/// What the training loop needs of a model (the bigram table and the GPT both conform).
public protocol TrainableModel: AnyObject {
    /// Every parameter, in a fixed order (the optimiser state and resume files follow it).
    var parameters: [TrainableParameter] { get }
    /// Sets every gradient to zero.
    func zeroGradients()
    /// Forward and backward over `batch`: returns the mean cross-entropy loss and adds
    /// d(loss * gradientScale)/d(parameter) to the gradients (gradient accumulation passes
    /// 1/steps). `training` enables dropout.
    func forwardBackward(_ batch: TrainingBatch, gradientScale: Float, training: Bool) throws -> Float
    /// Forward only, no dropout: the mean cross-entropy loss (estimate_loss).
    func loss(_ batch: TrainingBatch) throws -> Float
    /// The model file's architecture string, config and tensors (canonical names and layout),
    /// to write a checkpoint that `generate`, `perplexity` and `inspect` read.
    var architecture: String { get }
    var config: GPT2Config { get }
}
