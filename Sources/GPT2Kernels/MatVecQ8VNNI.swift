// q8_0 matvec through the C kernel (Sources/CKernels/q8_vnni.c, AVX-512 VNNI): x is quantized
// once per call to 32-value int8 blocks with an f32 scale, then each weight block is an int8
// dot product (`vpdpbusd`) scaled by d_w * d_x. Lossy in x: |Δx_i| <= d_x / 2, the same
// approximation llama.cpp makes; the oracle of the same math is Reference.matvecQ8Activations.
// Used by `Kernels.matvec` (generation, T = 1) when the CPU has VNNI; otherwise, and for
// prompts (matmul, T > 1, f32 x), the Swift kernels run.
//
// Measured 2026-11-22 ~02:00 UTC, load average 13-16 on the 2 shared cores, same binary,
// GPT2KIT_Q8_SWIFT=1 selecting the Swift kernel, alternating runs of
// `.build/release/KernelBench --types q8_0 --only matvec --reps 5` (GPT-2 124M, 49 matrices):
//   1 thread, by CPU time: Swift 26.3-28.1 GB/s -> VNNI 29.1-31.7 GB/s (from DRAM);
//   1 thread, 768x768 L2-resident (--resident), by CPU time: Swift 31.6 -> VNNI 39.6 GB/s;
//   wall tok/s, 1 thread: Swift 77-115 -> VNNI 118-232; 2 threads: Swift 75-138 -> VNNI 98-198.
// Two FMA accumulators instead of four: 37 GB/s resident. Scales by scalar f16 loads into a
// stack array instead of the gather: 24 GB/s (store-forwarding stalls).
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
