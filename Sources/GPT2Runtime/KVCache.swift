/// Keys and values of every position seen so far, per layer: what makes generating one token a
/// matrix-vector product per weight instead of a recompute over the whole sequence.
///
/// Layout per layer: K and V each `[nCtx, C]` row-major, heads side by side in a row exactly as
/// the qkv projection emits them (head h at columns h*HS..<(h+1)*HS), so appending a position
/// is two row copies. Size: 2 · n_layer · n_ctx · C floats (GPT-2 124M: 72 MiB, only the rows
/// used are ever touched, so RSS grows with the sequence).
final class KVCache {
    let layers: Int, nCtx: Int, channels: Int
    private let keys: UnsafeMutablePointer<Float>
    private let values: UnsafeMutablePointer<Float>

    init(layers: Int, nCtx: Int, channels: Int) {
        self.layers = layers; self.nCtx = nCtx; self.channels = channels
        let n = layers * nCtx * channels           // validated against overflow by GPT2Weights
        keys = .allocate(capacity: n)
        values = .allocate(capacity: n)
    }
    deinit { keys.deallocate(); values.deallocate() }

    /// K of `layer`: [nCtx, C].
    @inline(__always) func keys(_ layer: Int) -> UnsafeMutablePointer<Float> { keys + layer * nCtx * channels }
    /// V of `layer`: [nCtx, C].
    @inline(__always) func values(_ layer: Int) -> UnsafeMutablePointer<Float> { values + layer * nCtx * channels }
}
