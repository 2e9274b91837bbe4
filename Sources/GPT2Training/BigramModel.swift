import Foundation
import GPT2Kernels
import GPT2ModelFile
import GPT2Runtime

/// The bigram language model of "Let's build GPT" (`BigramLanguageModel`): one
/// `nn.Embedding(vocab, vocab)` read as a table of next-token logits, `logits[t] = table[idx[t]]`,
/// trained with the mean cross-entropy. Its one parameter is `bigram.weight` `[vocab, vocab]`,
/// the model file's layout (`BigramLayout`), so it is written as a model file as is.
public final class BigramModel: TrainableModel {
    /// Vocabulary size and context (the model has no layers).
    public let config: GPT2Config
    /// "bigram", the model file's architecture.
    public var architecture: String { BigramLayout.architecture }
    /// The one table, vocabulary × vocabulary logits.
    public let parameters: [TrainableParameter]
    /// Number of token ids the model predicts over.
    public var vocabularySize: Int { config.vocabSize }

    private let values: UnsafeMutablePointer<Float>
    private let gradients: UnsafeMutablePointer<Float>
    private let count: Int
    /// One row of softmax scratch (V), reused by every position.
    private let row: UnsafeMutablePointer<Float>

    /// A fresh table initialised as `nn.Embedding`: every entry normal(0, 1), from `seed`.
    /// `contextLength` only sets the runtime's window (n_ctx); the model ignores context.
    public convenience init(vocabularySize: Int, seed: UInt64,
                            contextLength: Int = BigramLayout.defaultContextLength) throws {
        try self.init(vocabularySize: vocabularySize, contextLength: contextLength)
        var rng = RandomSource(seed: seed)
        TrainableGPT.fillNormal(values, count: count, std: 1, rng: &rng)
    }

    /// A table to fine-tune or resume from a bigram model file: its vocabulary size, n_ctx and
    /// table, any element type decoded to f32. `seed` is accepted for symmetry with the GPT
    /// (the bigram has no dropout, so nothing random remains).
    public convenience init(initializingFrom file: ModelFile, seed: UInt64) throws {
        guard file.metadata.architecture == BigramLayout.architecture, let c = file.metadata.config else {
            throw TrainingModelError("\(file.path): architecture \"\(file.metadata.architecture)\" is not a bigram model",
                                     hint: "--init-from takes a bigram model file (one written by gpt2kit train --model bigram)")
        }
        try self.init(vocabularySize: c.vocabSize, contextLength: c.nCtx)
        let name = BigramLayout.tableName
        // ModelFile.init checked the table's presence and [vocab, vocab] shape.
        guard let info = file.info(name), info.shape == [c.vocabSize, c.vocabSize] else {
            throw TrainingModelError("\(file.path): tensor \(name) is missing or not [\(c.vocabSize), \(c.vocabSize)]",
                                     hint: "the file is not a complete bigram model")
        }
        let type = info.type
        let n = count, dst = values
        try file.withTensor(name) { v in
            guard let need = type.byteCount(elements: n), v.bytes.count >= need else {
                throw TrainingModelError("\(file.path): tensor \(name) holds \(v.bytes.count) bytes, too few for \(n) \(type)",
                                         hint: "the file is damaged")
            }
            Kernels.selected.decode(v.bytes.baseAddress!, count: n, as: type, into: dst)
        }
    }

    /// Bytes the model holds: the table and its gradient, 8·V² (the optimiser's state is more).
    public static func memoryBytes(vocabularySize v: Int) -> Int { 8 * v * v }

    /// A zero table. `physicalMemory` (tests) replaces the machine's RAM in the size check.
    init(vocabularySize v: Int, contextLength: Int, physicalMemory: Int = BigramModel.physicalMemory) throws {
        guard (1...BigramLayout.maxVocabulary).contains(v) else {
            throw TrainingModelError("vocabulary size \(v) is not in 1...\(BigramLayout.maxVocabulary)",
                                     hint: "a bigram table is vocab x vocab floats; use a character or GPT-2 vocabulary")
        }
        // Checked before allocating: an overcommitted allocation would succeed and the process
        // be killed while the table is filled (GPT-2's vocabulary needs 20 GB for this alone).
        let need = Self.memoryBytes(vocabularySize: v)
        guard need <= physicalMemory else {
            throw TrainingModelError("a bigram table over \(v) tokens needs \(need >> 20) MiB (table and gradient), "
                                     + "more than this machine's \(physicalMemory >> 20) MiB of memory",
                                     hint: "use a smaller vocabulary (a character-level one, as the lecture does)")
        }
        let c = BigramLayout.config(vocabularySize: v, contextLength: contextLength)
        do { try c.validate() } catch {
            throw TrainingModelError("invalid bigram configuration: \(error)", hint: "use a context length in \(GPT2Config.Limits.context)")
        }
        config = c
        count = v * v                       // v <= 2^16: no overflow
        values = .allocate(capacity: count)
        values.initialize(repeating: 0, count: count)
        gradients = .allocate(capacity: count)
        gradients.initialize(repeating: 0, count: count)
        row = .allocate(capacity: v)
        row.initialize(repeating: 0, count: v)
        parameters = [TrainableParameter(name: BigramLayout.tableName, shape: [v, v], values: values,
                                         gradients: gradients, count: count)]
    }

    /// The machine's RAM in bytes.
    static var physicalMemory: Int { Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE))) }

    deinit {
        values.deallocate()
        gradients.deallocate()
        row.deallocate()
    }

    /// The table, row-major `[vocab, vocab]` (tests and the model-file writer read it).
    public var table: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: values, count: count) }

    /// Sets every gradient to zero (before a step's first micro-batch).
    public func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// Adds the gradients of the batch's mean loss times `gradientScale` and returns that loss.
    public func forwardBackward(_ batch: TrainingBatch, gradientScale: Float, training: Bool) throws -> Float {
        try check(batch)
        return pass(batch, gradientScale: gradientScale, backward: true)
    }

    /// Mean cross-entropy of the batch, without gradients.
    public func loss(_ batch: TrainingBatch) throws -> Float {
        try check(batch)
        return pass(batch, gradientScale: 0, backward: false)
    }

    /// Every position's cross-entropy `logsumexp(row) - row[target]` (max subtracted, summed in
    /// f64), averaged; with `backward`, adds `(softmax(row) - onehot(target)) * scale / N` to the
    /// gradient row of the input token (rows of repeated tokens accumulate, as the embedding's
    /// backward does).
    private func pass(_ batch: TrainingBatch, gradientScale: Float, backward: Bool) -> Float {
        let v = config.vocabSize, n = batch.inputs.count
        let scale = gradientScale / Float(n)
        var total = 0.0
        for i in 0..<n {
            let from = Int(batch.inputs[i]), to = Int(batch.targets[i])
            let logits = values + from * v
            var m = -Float.infinity
            for j in 0..<v { m = max(m, logits[j]) }
            var s = 0.0
            for j in 0..<v {
                let e = expf(logits[j] - m)
                row[j] = e
                s += Double(e)
            }
            total += Double(m) + Foundation.log(s) - Double(logits[to])
            guard backward else { continue }
            let g = gradients + from * v, k = Float(1 / s) * scale
            for j in 0..<v { g[j] += row[j] * k }
            g[to] -= scale
        }
        return Float(total / Double(n))
    }

    /// Checks a batch against the table before any work (a bigram has no context limit).
    private func check(_ batch: TrainingBatch) throws {
        guard batch.batch >= 1, batch.length >= 1 else {
            throw TrainingModelError("empty batch (\(batch.batch) x \(batch.length))", hint: "use a batch size and block size of at least 1")
        }
        try batch.checkIDs(vocabularySize: config.vocabSize)
    }
}
