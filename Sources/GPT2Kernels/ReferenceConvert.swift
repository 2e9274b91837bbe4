// Naive element conversions: the oracle for Convert.swift and Quantize.swift.
// They round with exact Double arithmetic (every f32 is exact in a Double, and scaling by a power
// of two is exact), so they share no code or tricks with the bit-twiddling fast versions.

extension Reference {
    /// Nearest value of a binary format with `mantissaBits` explicit bits, smallest normal
    /// exponent `minExponent` and overflow threshold `limit` (values rounding to >= limit become
    /// infinity). Round to nearest, ties to even. Returns |x| rounded, sign handled by the caller.
    static func roundToFormat(_ x: Double, mantissaBits: Int, minExponent: Int, limit: Double) -> Double {
        if x == 0 || x.isInfinite { return x }
        let e = max(Int(x.exponent), minExponent)            // subnormals share the min exponent
        let ulp = Double(sign: .plus, exponent: e - mantissaBits, significand: 1)
        let r = (x / ulp).rounded(.toNearestOrEven) * ulp
        return r >= limit ? .infinity : r
    }

    /// IEEE binary16 bits of `x`, round to nearest even; NaN stays NaN (quiet), overflow -> inf.
    package static func f16Bits(_ x: Float) -> UInt16 {
        let sign: UInt16 = x.sign == .minus ? 0x8000 : 0
        if x.isNaN { return sign | 0x7E00 | UInt16(truncatingIfNeeded: (x.bitPattern & 0x7FFFFF) >> 13) }
        // Largest finite f16 is 65504; halfway to the next binade step (65520) rounds to 65536.
        let r = roundToFormat(Double(x.magnitude), mantissaBits: 10, minExponent: -14, limit: 65536)
        if r == .infinity { return sign | 0x7C00 }
        if r < 0x1p-14 { return sign | UInt16(r / 0x1p-24) }            // subnormal: multiples of 2^-24
        let e = Int(r.exponent)
        let mant = UInt16(r / Double(sign: .plus, exponent: e - 10, significand: 1)) - 1024
        return sign | UInt16(e + 15) << 10 | mant
    }

    /// f32 value of IEEE binary16 bits.
    package static func f16Value(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let e = Int(h >> 10 & 0x1F), m = Int(h & 0x3FF)
        switch e {
        case 0: return sign * Float(Double(m) * 0x1p-24)
        case 31: return m == 0 ? sign * .infinity : .nan
        default: return sign * Float(Double(1024 + m) * Double(sign: .plus, exponent: e - 25, significand: 1))
        }
    }

    /// bfloat16 bits of `x` (the high half of an f32), round to nearest even; NaN stays NaN.
    package static func bf16Bits(_ x: Float) -> UInt16 {
        if x.isNaN { return UInt16(x.bitPattern >> 16) | 0x0040 }      // keep sign/payload, set quiet
        let r = roundToFormat(Double(x.magnitude), mantissaBits: 7, minExponent: -126, limit: 0x1p128)
        let bits = Float(r).bitPattern >> 16                            // r is exact in f32 (or inf)
        return UInt16(bits) | (x.sign == .minus ? 0x8000 : 0)
    }

    /// f32 value of bfloat16 bits.
    package static func bf16Value(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// Naive f32 -> f16 (round to nearest even), `count` values, little-endian.
    package static func f32ToF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        for i in 0..<count { dst.storeBytes(of: f16Bits(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
    }
    /// Naive f16 -> f32, `count` values.
    package static func f16ToF32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = f16Value(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
    }
    /// Naive f32 -> bf16 (round to nearest even), `count` values, little-endian.
    package static func f32ToBF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        for i in 0..<count { dst.storeBytes(of: bf16Bits(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
    }
    /// Naive bf16 -> f32, `count` values.
    package static func bf16ToF32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = bf16Value(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
    }

    /// `count` f32 values in `type`'s encoding (the naive conversions below).
    package static func encode(_ src: UnsafePointer<Float>, count: Int, as type: WeightType, into dst: UnsafeMutableRawPointer) {
        switch type {
        case .f32: dst.copyMemory(from: src, byteCount: 4 * count)
        case .f16: f32ToF16(src, dst, count: count)
        case .bf16: f32ToBF16(src, dst, count: count)
        case .q8_0: quantizeQ8_0(src, dst, count: count)
        }
    }

    /// ggml Q8_0 quantization (ggml-quants.c `quantize_row_q8_0_ref`, gguf-py `quantize_blocks`
    /// for Q8_0): per block of 32, d = max|x| / 127 in f32, q = round-half-away(x * (1/d)),
    /// stored d is d rounded to f16. `count` must be a multiple of 32.
    package static func quantizeQ8_0(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        require(count % Q8_0.blockCount == 0, "q8_0 needs a multiple of 32 values")
        for b in 0..<count / Q8_0.blockCount {
            let x = src + b * Q8_0.blockCount
            let out = dst + b * Q8_0.blockBytes
            var amax: Float = 0
            for j in 0..<Q8_0.blockCount { amax = max(amax, x[j].magnitude) }
            let d = amax / 127
            let id: Float = d == 0 ? 0 : 1 / d
            out.storeBytes(of: f16Bits(d).littleEndian, as: UInt16.self)
            for j in 0..<Q8_0.blockCount {
                var q = (x[j] * id).rounded(.toNearestOrAwayFromZero)
                q = q.isNaN ? 0 : min(max(q, -127), 127)     // only non-finite input gets here
                out.storeBytes(of: Int8(q), toByteOffset: 2 + j, as: Int8.self)
            }
        }
    }

    /// value = f16 scale * int8, per block of 32.
    package static func dequantizeQ8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        require(count % Q8_0.blockCount == 0, "q8_0 needs a multiple of 32 values")
        for b in 0..<count / Q8_0.blockCount {
            let block = src + b * Q8_0.blockBytes
            let d = f16Value(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
            for j in 0..<Q8_0.blockCount {
                dst[b * Q8_0.blockCount + j] = d * Float(block.load(fromByteOffset: 2 + j, as: Int8.self))
            }
        }
    }
}
