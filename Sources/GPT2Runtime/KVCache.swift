import GPT2Kernels
import GPT2Support

/// Element type of the KV cache.
public enum KVCacheType: String, Sendable, CaseIterable {
    /// Exact: what the f32 parity tests against nanoGPT and transformers need.
    case f32
    /// Half the bytes: attention reads the whole cache for every generated token, from DRAM
    /// (the weight stream evicts it from L3), so this is what an f16 or q8_0 model wants;
    /// llama.cpp's default cache type too. Keys and values are rounded to f16 when stored
    /// (relative error <= 2^-11); scores and sums stay f32. f16's range ends at ±65504: a key
    /// or value beyond it becomes ±inf (and the logits NaN), where an f32 cache stays finite.
    case f16

    /// The default for weights of `type`: f32 for f32 weights (exact) and bf16 weights (bf16
    /// models are trained with f32's range, so their activations may exceed f16's); f16 for
    /// f16 weights (a model that runs in f16 at all keeps its activations in f16's range) and
    /// q8_0 weights, whose own rounding is larger than the cache's.
    public static func defaultFor(_ type: WeightType) -> KVCacheType { type == .f32 || type == .bf16 ? .f32 : .f16 }

    var bytes: Int { self == .f32 ? 4 : 2 }
}

/// Keys and values of every position seen so far, per layer: what makes generating one token a
/// matrix-vector product per weight instead of a recompute over the whole sequence.
///
/// Each layer is a `KVLayer` (GPT2Kernels/KVLayer.swift: head-major, keys transposed in tiles
/// of 16 positions, the layout the attention kernel reads fast). Size: 2 · n_layer · n_ctx · C
/// elements (GPT-2 124M, f32: 72 MiB of address space; only the pages used are ever touched,
/// so RSS grows with the sequence).
final class KVCache {
    let layers: Int, nCtx: Int, channels: Int, heads: Int
    let type: KVCacheType
    /// Keys and values of every layer, one mapping.
    private let memory: PageMemory
    private let keyCount: Int, valueCount: Int

    init(layers: Int, nCtx: Int, heads: Int, headSize: Int, type: KVCacheType) throws {
        self.layers = layers; self.nCtx = nCtx; self.channels = heads * headSize; self.heads = heads; self.type = type
        // Bounded by GPT2Weights.validate (n_layer * n_ctx * C <= 2^36), so these cannot overflow.
        let counts = KVLayer<Float>.elementCounts(heads: heads, headSize: headSize, capacity: nCtx)!
        keyCount = counts.keys; valueCount = counts.values
        let bytes = layers * (keyCount + valueCount) * type.bytes
        guard let m = PageMemory(bytes: bytes, hugePages: false) else { throw RuntimeError.outOfMemory(what: "the KV cache", bytes: bytes) }
        memory = m
    }

    private func layer<E: KVElement>(_ l: Int, as: E.Type) -> KVLayer<E> {
        let base = memory.pointer + l * (keyCount + valueCount) * type.bytes
        return KVLayer(keys: base.assumingMemoryBound(to: E.self),
                       values: (base + keyCount * type.bytes).assumingMemoryBound(to: E.self),
                       heads: heads, headSize: channels / heads, capacity: nCtx)
    }

    /// Stores k and v (C floats each) of `position` in `layer`.
    func store(layer l: Int, position: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>, kernels: Kernels) {
        switch type {
        case .f32: layer(l, as: Float.self).store(position: position, k: k, v: v, kernels: kernels)
        case .f16: layer(l, as: Float16.self).store(position: position, k: k, v: v, kernels: kernels)
        }
    }

    /// `Kernels.attention` of T queries (rows of q, stride qStride) at positions past..<past+T
    /// of layer l over the cached positions 0..<past+T.
    func attention(_ out: UnsafeMutablePointer<Float>, outStride: Int, q: UnsafePointer<Float>, qStride: Int,
                   layer l: Int, rows: Int, past: Int, pool: ThreadPool?, kernels: Kernels) {
        switch type {
        case .f32:
            kernels.attention(out, outStride: outStride, q: q, qStride: qStride, cache: layer(l, as: Float.self),
                              rows: rows, past: past, pool: pool)
        case .f16:
            kernels.attention(out, outStride: outStride, q: q, qStride: qStride, cache: layer(l, as: Float16.self),
                              rows: rows, past: past, pool: pool)
        }
    }
}
