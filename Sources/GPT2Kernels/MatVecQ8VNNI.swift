// q8_0 matvec through the C kernel (Sources/CKernels/q8_vnni.c, AVX-512 VNNI): x is quantized
// once per call to 32-value int8 blocks with an f32 scale, then each weight block is an int8
// dot product (`vpdpbusd`) scaled by d_w * d_x. Lossy in x: |Δx_i| <= d_x / 2, the same
// approximation llama.cpp makes; the oracle of the same math is Reference.matvecQ8Activations.
// Used by `Kernels.matvec` (generation, T = 1) when the CPU has VNNI; otherwise, and for
// prompts (matmul, T > 1, f32 x), the Swift kernels run.
//
// Measured (Tools/bench-kernels, KernelBench --types q8_0 --only matvec, GPT-2 124M, 49 matrices,
// load average ~10 on the 2 shared cores), Swift dotQ8 -> this kernel:
//   1 thread:  76.8 -> see README "Kernels" (by CPU time 26.1 GB/s -> ...)
//   2 threads: 86.8 -> ...
import CKernels
#if canImport(Glibc)
import Glibc
#endif

extension Kernels {
    /// Whether the VNNI q8_0 matvec runs (checked once): the CPU has it and the environment
    /// variable GPT2KIT_Q8_SWIFT is not set (it selects the Swift kernel, for A/B measurements).
    static let q8VNNI: Bool = gpt2kit_q8_vnni_available() != 0 && getenv("GPT2KIT_Q8_SWIFT") == nil

    /// The C quantizer of x (for the tests' bit-for-bit comparison with the reference).
    static func quantizeActivationsVNNI(_ x: UnsafePointer<Float>, _ blocks: Int, _ q: UnsafeMutablePointer<Int8>,
                                        _ d: UnsafeMutablePointer<Float>) {
        require(q8VNNI, "the VNNI kernels need AVX-512 VNNI")
        gpt2kit_q8_quantize_x(x, blocks, q, d)
    }

    /// y = W x + bias for q8_0 W with x quantized to q8 blocks (VNNI path). Rows split over the
    /// pool in chunks of 16 as in `matvec`; the quantized x (IN bytes + IN/8 bytes of scales) is
    /// made once by the calling thread and read by all.
    static func matvecQ8VNNI(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: WeightMatrix,
                             bias: UnsafePointer<Float>?, pool: ThreadPool?) {
        let blocks = w.cols / Q8_0.blockCount
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: max(1, w.cols)) { q in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, blocks)) { d in
                let xq = q.baseAddress!, xd = d.baseAddress!
                gpt2kit_q8_quantize_x(x, blocks, xq, xd)
                let rows = { (r: Range<Int>) in
                    gpt2kit_q8_matvec_rows(y, w.base, blocks, xq, xd, bias, r.lowerBound, r.upperBound)
                }
                if let pool, pool.threadCount > 1, w.rows >= 64 { pool.parallelFor(w.rows, align: 16, rows) } else { rows(0..<w.rows) }
            }
        }
    }
}
