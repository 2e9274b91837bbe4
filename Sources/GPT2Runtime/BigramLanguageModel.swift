import GPT2Kernels
import GPT2ModelFile

/// A bigram model file ready to run (`BigramLayout`): the logits after token t are row t of
/// the `[vocab, vocab]` table, whatever came before it. Raw tables are read in place from the
/// file mapping, rows decoded to f32 as they are needed (f32, f16, bf16, q8_0 with whole
/// blocks per row); a q8_0 table whose rows are not whole blocks is decoded once, in full.
///
/// The sequence is only counted (positions up to n_ctx, as for a GPT, so generation and
/// perplexity window a bigram exactly as they window a GPT-2): the last token is all it keeps.
public final class BigramLanguageModel: LanguageModel {
    /// Vocabulary size and context (no layers).
    public let config: GPT2Config
    /// Number of token ids.
    public var vocabularySize: Int { config.vocabSize }
    /// Positions a sequence may hold (n_ctx).
    public var contextLength: Int { config.nCtx }
    /// Positions appended since the last `reset`.
    public private(set) var count = 0
    /// Element type of the stored table ("f32", "f16", ...).
    public let weightType: WeightType
    /// The kernel set used to decode rows.
    public let kernels: Kernels

    private let table: WeightMatrix
    /// Keeps the mapping (or the decoded table) alive while `table` points into it.
    private let owner: AnyObject
    private let logits: FloatBuffer

    /// Opens a bigram model file; throws if it is another architecture or the table does not match
    /// the config.
    public init(modelFile file: ModelFile, kernels: Kernels = .selected) throws {
        guard file.metadata.architecture == BigramLayout.architecture, let c = file.metadata.config else {
            throw ModelFileError(.unsupportedArchitecture, file: file.path, expected: "architecture \"bigram\"",
                                 found: "\"\(file.metadata.architecture)\"", hint: "open GPT-2 files with GPT2Weights")
        }
        let name = BigramLayout.tableName, v = c.vocabSize
        // ModelFile.init checked the table is there with shape [V, V].
        guard let info = file.info(name) else { throw RuntimeError.missingTensor(name) }
        guard info.shape == [v, v] else { throw RuntimeError.shapeMismatch(name: name, expected: [v, v], found: info.shape) }
        let type = info.type
        config = c
        weightType = type
        self.kernels = kernels
        logits = try FloatBuffer(count: v, what: "logits")
        let n = v * v                                           // v <= 2^16 (BigramLayout)
        let (base, decoded): (UnsafeRawPointer, FloatBuffer?) = try file.withTensor(name) { view in
            guard let need = type.byteCount(elements: n), view.bytes.count == need else {
                throw RuntimeError.sizeMismatch(name: name, expectedBytes: type.byteCount(elements: n) ?? -1,
                                                foundBytes: view.bytes.count)
            }
            // Rows straddling q8_0 blocks cannot be decoded one by one.
            guard type == .q8_0 && v % Q8_0.blockCount != 0 else { return (view.bytes.baseAddress!, nil) }
            let all = try FloatBuffer(count: n, what: "the decoded bigram table")
            kernels.decode(view.bytes.baseAddress!, count: n, as: type, into: all.pointer)
            return (UnsafeRawPointer(all.pointer), all)
        }
        // The view's bytes stay valid after withTensor: the mapping or decoded memory, owned by
        // `file`, which `owner` keeps alive (as GPT2Weights does).
        table = WeightMatrix(base: base, type: decoded == nil ? type : .f32, rows: v, cols: v)
        owner = decoded ?? file
    }

    /// Opens the bigram model file at `path`.
    public convenience init(path: String, kernels: Kernels = .selected) throws {
        try self.init(modelFile: try ModelFile(path: path), kernels: kernels)
    }

    /// Starts a new sequence.
    public func reset() { count = 0 }

    /// Appends `tokens` and returns the logits after the last one (the table's row of it), valid
    /// until the next call.
    public func appendReturningLastLogits(_ tokens: UnsafeBufferPointer<Int>) throws -> UnsafeBufferPointer<Float> {
        try check(tokens)
        if let last = tokens.last { table.decodeRow(last, into: logits.pointer, kernels: kernels) }
        count += tokens.count
        return UnsafeBufferPointer(start: logits.pointer, count: config.vocabSize)
    }

    /// Appends `tokens` and calls `body(i, logits)` after every new position i.
    public func append(_ tokens: [Int], eachLogits body: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        try tokens.withUnsafeBufferPointer { try check($0) }
        count += tokens.count
        for (i, t) in tokens.enumerated() {
            table.decodeRow(t, into: logits.pointer, kernels: kernels)
            try body(i, UnsafeBufferPointer(start: logits.pointer, count: config.vocabSize))
        }
    }

    /// The same checks as the GPT's forward pass: ids in the vocabulary, positions in n_ctx.
    private func check(_ tokens: UnsafeBufferPointer<Int>) throws {
        guard count + tokens.count <= config.nCtx else {
            throw RuntimeError.promptTooLong(tokens: count + tokens.count, nCtx: config.nCtx)
        }
        for id in tokens where id < 0 || id >= config.vocabSize {
            throw RuntimeError.tokenOutOfRange(id: id, vocabSize: config.vocabSize)
        }
    }
}
