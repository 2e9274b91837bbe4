// Vectorised exp / tanh / erf on SIMD16<Float>: Glibc's expf/tanhf/erff are scalar calls
// (~10-20 ns each), and GELU alone needs 3072 of them per layer per token.
// exp: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two parts so n ln2 is exact), e^r by its
// degree-7 Taylor polynomial (truncation error r^8/8! < 6e-9), scaled by 2^n through the
// exponent bits. Relative error a few ulp; tested against Glibc in the tests.
// erf: Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), https://personal.math.ubc.ca/~cbm/aands/page_299.htm

extension Kernels {
    @inline(__always)
    public static func exp16(_ x: SIMD16<Float>) -> SIMD16<Float> {
        // Below -87.3 the result is subnormal/0: clamp to the smallest normal range and let
        // the final select return 0; above 88.7 it overflows to inf.
        let xc = pointwiseMin(pointwiseMax(x, SIMD16(repeating: -87.33)), SIMD16(repeating: 88.72))
        let n = (xc * 1.442_695_04).rounded(.toNearestOrEven)
        var r = xc - n * 0.693_145_75            // ln2 high part (exact in n * hi for |n| < 2^10)
        r = r - n * 1.428_606_8e-6               // ln2 low part
        var p = SIMD16<Float>(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        var bits = SIMD16<Int32>()
        // 2^n as 2^(n/2) * 2^(n - n/2): n spans -126...128 (e^88.7 is finite, e^-87.3 normal),
        // one past what a single exponent field holds at the top.
        var bits2 = SIMD16<Int32>()
        for k in 0..<16 {
            let ni = Int32(n[k]), h = ni >> 1
            bits[k] = (h &+ 127) &<< 23
            bits2[k] = (ni &- h &+ 127) &<< 23
        }
        var y = p * unsafeBitCast(bits, to: SIMD16<Float>.self) * unsafeBitCast(bits2, to: SIMD16<Float>.self)
        y = y.replacing(with: 0, where: x .< -87.33)
        y = y.replacing(with: .infinity, where: x .> 88.72)
        return y.replacing(with: x, where: .!(x .== x))          // NaN stays NaN
    }

    /// tanh(u) = sign(u) (1 - 2 / (e^{2|u|} + 1)); absolute error ~1e-7.
    @inline(__always)
    public static func tanh16(_ u: SIMD16<Float>) -> SIMD16<Float> {
        let bits = unsafeBitCast(u, to: SIMD16<UInt32>.self)
        let a = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD16<Float>.self)
        let e = exp16(pointwiseMin(a + a, SIMD16(repeating: 80)))
        let t = 1 - 2 / (e + 1)
        return unsafeBitCast(unsafeBitCast(t, to: SIMD16<UInt32>.self) | (bits & 0x8000_0000), to: SIMD16<Float>.self)
    }

    /// erf(x), Abramowitz & Stegun 7.1.26; absolute error <= 5e-7 in f32 (tested).
    @inline(__always)
    public static func erf16(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
        let a = pointwiseMin(unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD16<Float>.self), SIMD16(repeating: 10))
        let t = 1 / (1 + 0.327_591_1 * a)
        var p = SIMD16<Float>(repeating: 1.061_405_429)
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        p = p * t
        let y = 1 - p * exp16(-(a * a))
        return unsafeBitCast(unsafeBitCast(y, to: SIMD16<UInt32>.self) | (bits & 0x8000_0000), to: SIMD16<Float>.self)
    }

    /// Scalar e^x through the same polynomial (tails of vector loops; results match the lanes).
    @inline(__always)
    static func exp1(_ x: Float) -> Float { exp16(SIMD16(repeating: x))[0] }
}
