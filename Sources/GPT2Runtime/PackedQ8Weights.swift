import GPT2Kernels
import GPT2Support

/// The load-time repacking of q8_0 weight matrices for the VNNI matvec (GPT2Kernels/PackedQ8.swift):
/// every q8_0 matrix that generation reads as a matrix-vector product gets a row-interleaved
/// copy, all in one `PageMemory`. Same bytes as the file's q8_0 (544 per 16 rows x 32 columns),
/// so a q8_0 model takes twice its size in memory: the file's pages (embedding rows, prompt
/// matmuls) and the copy. Adds ~20-35 ms to loading GPT-2 124M (both cores; page faults and
/// zeroing of the new memory included).
/// Skipped for kernel sets without AVX-512 VNNI, whose kernels read the file's layout.
enum PackedQ8Weights {
    /// The blocks and head with packed copies attached, and the memory that holds them (nil
    /// when nothing was packed).
    static func pack(blocks: [BlockWeights], head: WeightMatrix, threads: Int, kernels: Kernels) throws
        -> (blocks: [BlockWeights], head: WeightMatrix, memory: PageMemory?) {
        guard kernels.packsQ8 else { return (blocks, head, nil) }
        // Offsets of every q8_0 matrix in one region, overflow-checked.
        var total = 0
        func reserve(_ w: WeightMatrix) throws -> Int? {
            guard w.type == .q8_0, w.rows > 0, w.cols > 0 else { return nil }
            guard let n = Kernels.packedQ8ByteCount(rows: w.rows, cols: w.cols) else {
                throw RuntimeError.outOfMemory(what: "the packed q8_0 weights", bytes: Int.max)
            }
            let at = total
            let (t, o) = total.addingReportingOverflow(n)
            if o { throw RuntimeError.outOfMemory(what: "the packed q8_0 weights", bytes: Int.max) }
            total = t
            return at
        }
        let blockOffsets = try blocks.map { b in
            [try reserve(b.qkv), try reserve(b.attnProj), try reserve(b.fc), try reserve(b.mlpProj)]
        }
        let headOffset = try reserve(head)
        guard total > 0 else { return (blocks, head, nil) }

        guard let memory = PageMemory(bytes: total, hugePages: true) else {
            throw RuntimeError.outOfMemory(what: "the packed q8_0 weights", bytes: total)
        }
        let pool = threads > 1 ? ThreadPool(threads: threads) : nil
        func packed(_ w: WeightMatrix, _ offset: Int?) -> WeightMatrix {
            guard let offset else { return w }
            return kernels.packQ8(w, into: memory.pointer + offset, pool: pool)
        }
        let newBlocks = zip(blocks, blockOffsets).map { b, o in
            BlockWeights(ln1Weight: b.ln1Weight, ln1Bias: b.ln1Bias,
                         qkv: packed(b.qkv, o[0]), qkvBias: b.qkvBias,
                         attnProj: packed(b.attnProj, o[1]), attnProjBias: b.attnProjBias,
                         ln2Weight: b.ln2Weight, ln2Bias: b.ln2Bias,
                         fc: packed(b.fc, o[2]), fcBias: b.fcBias,
                         mlpProj: packed(b.mlpProj, o[3]), mlpProjBias: b.mlpProjBias)
        }
        return (newBlocks, packed(head, headOffset), memory)
    }
}
