// Element conversions (f16, bf16, q8_0) and the elementwise ops of the forward pass (GELU,
// residual add, LayerNorm, softmax, logsumexp), through the kernel set's C table
// (CKernels/k_elementwise.h). f16 rounds to nearest even (vcvtps2ph, or the same rounding in
// integer arithmetic on the portable set); bf16 rounds to nearest even with NaN kept NaN.
// q8_0 is ggml's Q8_0 (block { f16 d; int8 qs[32]; }, value = d * q), bit-identical to
// Reference.quantizeQ8_0.
import CKernels

extension Kernels {
    /// dst[i] = binary16(src[i]). dst: 2 * count bytes, any alignment.
    public func f32ToF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        t.pointee.f32_to_f16(src, dst, count)
    }

    /// dst[i] = Float(binary16 at src + 2i). Exact.
    public func f16ToF32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        t.pointee.f16_to_f32(src, dst, count)
    }

    /// dst[i] = bfloat16(src[i]), NaN kept NaN (quiet bit set).
    public func f32ToBF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        t.pointee.f32_to_bf16(src, dst, count)
    }

    /// dst[i] = Float(bfloat16 at src + 2i). Exact.
    public func bf16ToF32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        t.pointee.bf16_to_f32(src, dst, count)
    }

    /// `count` (a multiple of 32) values into count/32 blocks of 34 bytes at dst. Non-finite
    /// input never traps (NaN quantizes to 0).
    public func quantizeQ8_0(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        require(count % Q8_0.blockCount == 0, "q8_0 needs a multiple of 32 values")
        t.pointee.quantize_q8_0(src, dst, count)
    }

    /// value = d * q per block of 32; `count` a multiple of 32.
    public func dequantizeQ8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        require(count % Q8_0.blockCount == 0, "q8_0 needs a multiple of 32 values")
        t.pointee.dequantize_q8_0(src, dst, count)
    }

    /// `count` f32 values into `type`'s encoding at dst (`type.byteCount(elements: count)` bytes).
    public func encode(_ src: UnsafePointer<Float>, count: Int, as type: WeightType, into dst: UnsafeMutableRawPointer) {
        switch type {
        case .f32: dst.copyMemory(from: src, byteCount: 4 * count)
        case .f16: f32ToF16(src, dst, count: count)
        case .bf16: f32ToBF16(src, dst, count: count)
        case .q8_0: quantizeQ8_0(src, dst, count: count)
        }
    }

    /// `count` elements of `type` at src, decoded into f32.
    public func decode(_ src: UnsafeRawPointer, count: Int, as type: WeightType, into dst: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: 4 * count)
        case .f16: f16ToF32(src, dst, count: count)
        case .bf16: bf16ToF32(src, dst, count: count)
        case .q8_0: dequantizeQ8_0(src, dst, count: count)
        }
    }

    /// The GELU form a model uses: tanh (GPT-2's "gelu_new") or erf (nn.GELU, nanoGPT).
    public enum GELU: String, Sendable, CaseIterable { case tanh, erf }

    /// GELU in place over n values; with a pool, large n (the prompt's T x 4C) is split between
    /// the threads in 16-aligned chunks (same results either way).
    public func gelu(_ x: UnsafeMutablePointer<Float>, count n: Int, form: GELU, pool: ThreadPool? = nil) {
        let f = form == .tanh ? t.pointee.gelu_tanh! : t.pointee.gelu_erf!
        if let pool, pool.threadCount > 1, n >= 16_384 {
            pool.parallelFor(n, align: 16) { r in f(x + r.lowerBound, r.count) }
        } else {
            f(x, n)
        }
    }

    /// x = e^x, tanh(x), erf(x) in place: the vector math behind softmax and GELU, for tests.
    public func exp(_ x: UnsafeMutablePointer<Float>, count n: Int) { t.pointee.exp(x, n) }
    /// x = tanh(x) in place, n values.
    public func tanh(_ x: UnsafeMutablePointer<Float>, count n: Int) { t.pointee.tanh(x, n) }
    /// x = erf(x) in place, n values.
    public func erf(_ x: UnsafeMutablePointer<Float>, count n: Int) { t.pointee.erf(x, n) }

    /// y[i] += x[i] (residual connection), n values.
    public func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count n: Int) { t.pointee.add(y, x, n) }

    /// out[T, C] = LayerNorm(x[T, C]) with weight[C], bias[C] (nil: no bias), as
    /// torch.nn.functional.layer_norm (biased variance). out may equal x.
    public func layerNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          rows T: Int, channels C: Int, epsilon: Float) {
        t.pointee.layer_norm(out, x, weight, bias, T, C, epsilon)
    }

    /// Each of the T rows of x[T, N] replaced by its softmax (max-subtracted, so no overflow).
    public func softmax(_ x: UnsafeMutablePointer<Float>, rows T: Int, cols N: Int) {
        for r in 0..<T { t.pointee.softmax_row(x + r * N, N) }
    }

    /// Index of the largest of x[0..<n]; the first one on ties (as torch.argmax). n > 0.
    public func argmax(_ x: UnsafePointer<Float>, count n: Int) -> Int {
        require(n > 0, "argmax of nothing")
        let m = t.pointee.max(x, n)
        var i = 0
        while x[i] != m && i < n - 1 { i += 1 }      // first index holding the max
        return i
    }

    /// log Σ exp(x[i]) = max + log Σ exp(x - max). n > 0.
    public func logsumexp(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        require(n > 0, "logsumexp of nothing")
        return t.pointee.logsumexp(x, n)
    }

    /// Σ of n floats read from x (any bit patterns): a plain read at the speed memory allows,
    /// the ceiling the benchmarks compare the matvec with.
    public func readSum(_ x: UnsafeRawPointer, floats n: Int) -> Float {
        t.pointee.read_sum(x.assumingMemoryBound(to: Float.self), n)
    }

    /// out[T, C] = wte[tokens[t]] + wpe[start + t]: token + position embedding, rows decoded from
    /// any WeightType. Tokens must be < wte.rows and start + T <= wpe.rows.
    public func embed(_ out: UnsafeMutablePointer<Float>, tokens: [Int], wte: WeightMatrix, wpe: WeightMatrix, start: Int) {
        require(wte.cols == wpe.cols, "wte and wpe widths differ")
        let C = wte.cols
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(C, 1)) { pos in
            for (i, id) in tokens.enumerated() {
                wte.decodeRow(id, into: out + i * C, kernels: self)
                wpe.decodeRow(start + i, into: pos.baseAddress!, kernels: self)
                add(out + i * C, pos.baseAddress!, count: C)
            }
        }
    }
}
