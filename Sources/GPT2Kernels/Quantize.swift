// ggml Q8_0 quantize / dequantize, the fast versions (one block = 32 values per iteration, two
// SIMD16 halves). Bit-identical to Reference.quantizeQ8_0, which follows ggml's definition:
// d = max|x| / 127 (f32), q = round-half-away(x * (1/d)), d stored as f16.
// Spec: ggml docs (GGML_TYPE_Q8_0, block_q8_0 { ggml_half d; int8_t qs[32]; }).

extension Kernels {
    /// Quantizes `count` (multiple of 32) f32 values into count/32 blocks of 34 bytes at dst.
    /// Non-finite input never traps: NaN quantizes to 0, ±inf to ±127 (with an inf/NaN scale).
    public static func quantizeQ8_0(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        require(count % Q8_0.blockCount == 0, "q8_0 needs a multiple of 32 values")
        for b in 0..<count / Q8_0.blockCount {
            let x = UnsafeRawPointer(src + b * Q8_0.blockCount)
            let out = dst + b * Q8_0.blockBytes
            let lo = x.loadUnaligned(as: SIMD16<Float>.self)
            let hi = x.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let amax = pointwiseMax(magnitudes(lo), magnitudes(hi)).max()
            let d = amax / 127
            let id: Float = d == 0 ? 0 : 1 / d
            out.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
            out.storeBytes(of: quantize16(lo * id), toByteOffset: 2, as: SIMD16<Int8>.self)
            out.storeBytes(of: quantize16(hi * id), toByteOffset: 18, as: SIMD16<Int8>.self)
        }
    }

    /// Round half away from zero, clamp to ±127, NaN -> 0, narrow to int8.
    @inline(__always)
    static func quantize16(_ v: SIMD16<Float>) -> SIMD16<Int8> {
        // trunc(|v| + 0.5) is round-half-away except just below .5, where the f32 add rounds up:
        // compute in the exact way instead: r = trunc(v); bump by one when |v - r| >= 0.5.
        let t = v.rounded(.towardZero)
        let frac = magnitudes(v - t)
        var r = t + (SIMD16<Float>(repeating: 1).replacing(with: 0, where: frac .< 0.5) *
                     SIMD16<Float>(repeating: 1).replacing(with: -1, where: v .< 0))
        r = r.replacing(with: 0, where: .!(v .== v))
        r = pointwiseMin(pointwiseMax(r, SIMD16(repeating: -127)), SIMD16(repeating: 127))
        var q = SIMD16<Int8>()
        for k in 0..<16 { q[k] = Int8(truncatingIfNeeded: Int32(r[k])) }
        return q
    }

    /// value = d * q per block of 32; `count` a multiple of 32.
    public static func dequantizeQ8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        require(count % Q8_0.blockCount == 0, "q8_0 needs a multiple of 32 values")
        for b in 0..<count / Q8_0.blockCount {
            let block = src + b * Q8_0.blockBytes
            let d = Float(block.loadUnaligned(as: Float16.self))
            let out = UnsafeMutableRawPointer(dst + b * Q8_0.blockCount)
            out.storeBytes(of: d * floats(block.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)), as: SIMD16<Float>.self)
            out.storeBytes(of: d * floats(block.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)),
                           toByteOffset: 64, as: SIMD16<Float>.self)
        }
    }

    /// |v| per lane (clears the sign bits; SIMD types have no abs()).
    @inline(__always)
    static func magnitudes(_ v: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
    }

    /// int8 lanes to f32 lanes (vpmovsxbd + vcvtdq2ps).
    @inline(__always)
    static func floats(_ q: SIMD16<Int8>) -> SIMD16<Float> {
        var f = SIMD16<Float>()
        for k in 0..<16 { f[k] = Float(q[k]) }
        return f
    }
}
