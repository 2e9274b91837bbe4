/// Keys and values of every position seen so far, per layer: what makes generating one token a
/// matrix-vector product per weight instead of a recompute over the whole sequence.
///
/// Layout per layer: K and V each `[nCtx, C]` row-major, heads side by side in a row exactly as
/// the qkv projection emits them (head h at columns h*HS..<(h+1)*HS), so appending a position
/// is two row copies. Size: 2 · n_layer · n_ctx · C floats (GPT-2 124M: 72 MiB of address
/// space; only the rows used are ever touched, so RSS grows with the sequence).
final class KVCache {
    let layers: Int, nCtx: Int, channels: Int
    private let keys: FloatBuffer
    private let values: FloatBuffer

    init(layers: Int, nCtx: Int, channels: Int) throws {
        self.layers = layers; self.nCtx = nCtx; self.channels = channels
        let n = layers * nCtx * channels           // bounded by GPT2Weights.validate
        keys = try FloatBuffer(count: n, what: "the KV cache")
        values = try FloatBuffer(count: n, what: "the KV cache")
    }

    /// K of `layer`: [nCtx, C].
    @inline(__always) func keys(_ layer: Int) -> UnsafeMutablePointer<Float> { keys.pointer + layer * nCtx * channels }
    /// V of `layer`: [nCtx, C].
    @inline(__always) func values(_ layer: Int) -> UnsafeMutablePointer<Float> { values.pointer + layer * nCtx * channels }
}
