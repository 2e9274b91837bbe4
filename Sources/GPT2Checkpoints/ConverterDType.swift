import Dispatch
import GPT2Kernels
import GPT2ModelFile

/// Which element type each tensor gets in the model file, and the conversion itself.
///
/// Policy: with no `--dtype`, every tensor keeps its source type (lossless, bit-exact). With a
/// dtype, matrices (2-D: embeddings, linear weights) take it; vectors (LayerNorm parameters,
/// biases: < 0.1 % of the bytes) stay f32, which the runtime uses directly. q8_0 quantizes
/// blocks of 32 along a row, so a matrix whose row length is not a multiple of 32 stays f32.
public enum ConverterDType {
    /// The element type a tensor of `shape` and `source` type gets when `requested` is asked for
    /// (nil keeps it).
    public static func target(shape: [Int], source: ElementType, requested: ElementType?) -> ElementType {
        guard let requested else { return source }
        guard shape.count == 2 else { return .f32 }
        if requested == .q8_0 && shape[1] % 32 != 0 { return .f32 }
        return requested
    }

    /// `d` converted to `type` (round to nearest even for f16/bf16; ggml's Q8_0 for q8_0).
    /// f32 → narrower converts in place, 64 Ki elements per thread at a time through small scratch
    /// buffers (the output never overtakes the input), so peak memory stays one tensor.
    /// Pass the tensor with `consume` (or as a temporary) so the in-place conversion does not
    /// copy it first: a second reference to its bytes would make the first write copy 154 MB.
    public static func convert(_ d: consuming TensorData, to type: ElementType, threads: Int = 1) -> TensorData {
        if d.type == type { return d }
        let n = d.elementCount ?? 0
        if d.type != .f32 {
            var f = [UInt8](repeating: 0, count: n * 4)
            let from = d.type
            d.bytes.withUnsafeBytes { s in
                f.withUnsafeMutableBytes { o in
                    guard n > 0 else { return }
                    Kernels.selected.decode(s.baseAddress!, count: n, as: from, into: o.baseAddress!.assumingMemoryBound(to: Float.self))
                }
            }
            d.bytes = f
            d.type = .f32
            if type == .f32 { return d }
        }
        let to = type
        // Rounds of `t` blocks: each thread converts one block into its own scratch, then the
        // results are copied into place in order. A round writes only below the input of the
        // next one (the output is never wider than f32), so nothing is overwritten before it is
        // read, and peak memory stays one tensor plus t blocks.
        let block = 1 << 16
        let t = max(1, min(threads, (n + block - 1) / block))
        let blockBytes = to.byteCount(elements: block)!
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: t * blockBytes, alignment: 64)
        defer { scratch.deallocate() }
        d.bytes.withUnsafeMutableBytes { b in
            guard let base = b.baseAddress else { return }
            let input = UncheckedSendablePointer(base), out = UncheckedSendablePointer(scratch)
            var i = 0
            while i < n {
                let first = i
                let blocks = min(t, (n - i + block - 1) / block)
                let convertOne: @Sendable (Int) -> Void = { w in
                    let s = first + w * block, m = min(block, n - s)
                    Kernels.selected.encode((input.value + 4 * s).assumingMemoryBound(to: Float.self), count: m, as: to,
                                   into: out.value + w * blockBytes)
                }
                if blocks == 1 { convertOne(0) } else { DispatchQueue.concurrentPerform(iterations: blocks, execute: convertOne) }
                for w in 0..<blocks {
                    let s = first + w * block, m = min(block, n - s)
                    (base + to.byteCount(elements: s)!).copyMemory(from: scratch + w * blockBytes, byteCount: to.byteCount(elements: m)!)
                }
                i = min(n, first + blocks * block)
            }
        }
        d.bytes.removeLast(d.bytes.count - type.byteCount(elements: n)!)
        d.type = type
        return d
    }

    /// Values of `d` as f32 (for error statistics).
    static func floats(_ d: TensorData) -> [Float] {
        let n = d.elementCount ?? 0
        var out = [Float](repeating: 0, count: n)
        guard n > 0 else { return out }
        d.bytes.withUnsafeBytes { s in
            out.withUnsafeMutableBufferPointer {
                Kernels.selected.decode(s.baseAddress!, count: n, as: d.type, into: $0.baseAddress!)
            }
        }
        return out
    }
}
