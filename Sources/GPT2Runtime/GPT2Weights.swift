import GPT2Kernels
import GPT2Support
import GPT2ModelFile

/// The parameters of one transformer block, as typed views (see `TensorName` for the layout).
struct BlockWeights: @unchecked Sendable {
    let ln1Weight: WeightVector, ln1Bias: WeightVector?
    let qkv: WeightMatrix, qkvBias: WeightVector?                 // [3C, C], [3C]
    let attnProj: WeightMatrix, attnProjBias: WeightVector?       // [C, C], [C]
    let ln2Weight: WeightVector, ln2Bias: WeightVector?
    let fc: WeightMatrix, fcBias: WeightVector?                   // [4C, C], [4C]
    let mlpProj: WeightMatrix, mlpProjBias: WeightVector?         // [C, 4C], [C]
}

/// All weights of a GPT-2, validated against its config, independent of where they came from.
///
/// Built from a `ModelFile` (raw tensors used in place in the mapping: zero copy; compressed
/// ones decoded into memory this object owns) or from any loader of canonical `TensorData`
/// (e.g. a `Checkpoint`'s `load`, copied into owned memory). The one owner of every pointer the
/// forward pass reads: it keeps the mapping alive and frees its own buffers in `deinit`.
public final class GPT2Weights: @unchecked Sendable {
    /// The hyperparameters the tensors were checked against.
    public let config: GPT2Config
    let tokenEmbedding: WeightMatrix          // wte [V, C], any element type
    let positionEmbedding: WeightMatrix       // wpe [nCtx, C], any element type
    let blocks: [BlockWeights]
    let finalNormWeight: WeightVector, finalNormBias: WeightVector?
    let head: WeightMatrix                    // lm_head [V, C], or wte when tied
    /// Owned allocations (copies, decoded or converted tensors).
    private let arena = Arena()
    /// Whatever owns the memory the views point into (the `ModelFile` with its mapping).
    private let keepAlive: AnyObject?
    /// The packed copies of the q8_0 matrices (PackedQ8Weights.swift), nil if none.
    private let packedQ8: PageMemory?

    /// Frees its buffers in deinit, also when an initializer throws half way.
    final class Arena {
        var buffers: [UnsafeMutableRawPointer] = []
        func allocate(bytes: Int) -> UnsafeMutableRawPointer {
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
            buffers.append(p)
            return p
        }
        deinit { for p in buffers { p.deallocate() } }
    }

    /// A canonical tensor handed to the builder: either memory someone else keeps alive
    /// (a file mapping, `keepAlive`) or bytes to copy.
    enum Source {
        case borrowed(shape: [Int], type: ElementType, bytes: UnsafeRawBufferPointer)
        case copied(TensorData)
    }

    /// Builds the weights from canonical tensors given one at a time (`TensorData` in canonical
    /// layout, e.g. `Checkpoint.load`). Every tensor is copied into memory this object owns.
    /// `threads` cores share the load-time work (repacking q8_0 matrices for `kernels`' set).
    public convenience init(config: GPT2Config, threads: Int = 1, kernels: Kernels = .selected,
                            load: (String) throws -> TensorData) throws {
        try self.init(config: config, keepAlive: nil, threads: threads, kernels: kernels) { name in .copied(try load(name)) }
    }

    /// The builder behind every public initializer: validates the config, then each tensor's
    /// shape and byte size against it, before any forward pass can read them.
    init(config c: GPT2Config, keepAlive: AnyObject?, threads: Int = 1, kernels: Kernels = .selected,
         source: (String) throws -> Source) throws {
        try GPT2Weights.validate(c)
        self.config = c
        self.keepAlive = keepAlive
        let arena = self.arena

        // Resolves one tensor: checks shape and size, returns its bytes (borrowed or owned copy).
        func fetch(_ name: String, _ shape: [Int]) throws -> (ElementType, UnsafeRawPointer) {
            let src = try source(name)
            let (found, type, count): ([Int], ElementType, Int)
            switch src {
            case .borrowed(let s, let t, let b): (found, type, count) = (s, t, b.count)
            case .copied(let d): (found, type, count) = (d.shape, d.type, d.bytes.count)
            }
            guard found == shape else {
                throw RuntimeError.shapeMismatch(name: name, expected: shape, found: found)
            }
            guard let elements = TensorData.elementCount(shape),
                  let need = type.byteCount(elements: elements) else {
                throw RuntimeError.unsupportedType(name: name, type: type.rawValue)
            }
            guard count == need else {
                throw RuntimeError.sizeMismatch(name: name, expectedBytes: need, foundBytes: count)
            }
            switch src {
            case .borrowed(_, _, let b):
                if need == 0 { return (type, UnsafeRawPointer(bitPattern: 64)!) }
                return (type, b.baseAddress!)
            case .copied(let d):
                let p = arena.allocate(bytes: need)
                d.bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: need) }
                return (type, UnsafeRawPointer(p))
            }
        }
        func matrix(_ name: String, _ rows: Int, _ cols: Int) throws -> WeightMatrix {
            let (t, p) = try fetch(name, [rows, cols])
            if t == .q8_0 && cols % 32 != 0 {
                throw RuntimeError.unsupportedType(name: name, type: "q8_0 with \(cols) columns")
            }
            return WeightMatrix(base: p, type: WeightType(t), rows: rows, cols: cols)
        }
        // Vectors become f32: the kernels add and scale with them directly.
        func vector(_ name: String, _ shape: [Int]) throws -> WeightVector {
            let (t, p) = try fetch(name, shape)
            let n = shape.reduce(1, *)
            if t == .f32 { return WeightVector(count: n, base: p.assumingMemoryBound(to: Float.self)) }
            let dst = arena.allocate(bytes: n * 4).bindMemory(to: Float.self, capacity: n)
            kernels.decode(p, count: n, as: WeightType(t), into: dst)
            return WeightVector(count: n, base: UnsafePointer(dst))
        }
        func optVector(_ name: String, _ n: Int) throws -> WeightVector? {
            c.bias ? try vector(name, [n]) : nil
        }

        let n = c.nEmbd
        tokenEmbedding = try matrix(TensorName.tokenEmbedding, c.vocabSize, n)
        positionEmbedding = try matrix(TensorName.positionEmbedding, c.nCtx, n)
        var blocks: [BlockWeights] = []
        for l in 0..<c.nLayer {
            blocks.append(BlockWeights(
                ln1Weight: try vector(TensorName.ln1Weight(l), [n]),
                ln1Bias: try optVector(TensorName.ln1Bias(l), n),
                qkv: try matrix(TensorName.qkvWeight(l), 3 * n, n),
                qkvBias: try optVector(TensorName.qkvBias(l), 3 * n),
                attnProj: try matrix(TensorName.attnProjWeight(l), n, n),
                attnProjBias: try optVector(TensorName.attnProjBias(l), n),
                ln2Weight: try vector(TensorName.ln2Weight(l), [n]),
                ln2Bias: try optVector(TensorName.ln2Bias(l), n),
                fc: try matrix(TensorName.fcWeight(l), 4 * n, n),
                fcBias: try optVector(TensorName.fcBias(l), 4 * n),
                mlpProj: try matrix(TensorName.mlpProjWeight(l), n, 4 * n),
                mlpProjBias: try optVector(TensorName.mlpProjBias(l), n)))
        }
        finalNormWeight = try vector(TensorName.finalNormWeight, [n])
        finalNormBias = try optVector(TensorName.finalNormBias, n)
        let head = c.tiedHead ? tokenEmbedding : try matrix(TensorName.head, c.vocabSize, n)
        // The embedding lookup keeps reading the file's layout; the head (even when tied) and
        // the blocks' matrices get packed q8_0 copies for generation.
        (self.blocks, self.head, packedQ8) = try PackedQ8Weights.pack(blocks: blocks, head: head, threads: threads, kernels: kernels)
    }

    /// Hyperparameters the forward pass relies on; sizes a hostile file could make overflow.
    /// The limits are `GPT2Config.validate()`'s, the ones the model-file reader and the
    /// checkpoint readers apply, so a checkpoint that converts also runs (KV cache included:
    /// n_layer * n_ctx * n_embd <= 2^36).
    static func validate(_ c: GPT2Config) throws {
        do { try c.validate() } catch { throw RuntimeError.invalidConfig(error.description) }
    }
}
