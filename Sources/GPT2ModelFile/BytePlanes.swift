/// Byte-plane transposition: element i's byte k goes to plane k at index i (and back).
/// Little-endian host assumed (x86-64, arm64), so plane 3 of fp32 is the sign/exponent byte.
///
/// The SIMD versions move 16 elements per step (widen 16 bytes of each plane to 16 lanes, shift,
/// or, store); the scalar `naive*` versions are the test oracles.
extension BytePlanesCodec {
    /// `src` holds `count` elements of `width` bytes; `planes` gets width planes of count bytes.
    static func split(_ src: UnsafeRawBufferPointer, width: Int, count n: Int, into planes: UnsafeMutableRawBufferPointer) {
        let s = src.baseAddress!, d = planes.baseAddress!
        var i = 0
        if width == 4 {
            while i + 16 <= n {
                let v = s.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<UInt32>.self)
                (d + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v), as: SIMD16<UInt8>.self)
                (d + n + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v &>> 8), as: SIMD16<UInt8>.self)
                (d + 2 * n + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v &>> 16), as: SIMD16<UInt8>.self)
                (d + 3 * n + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v &>> 24), as: SIMD16<UInt8>.self)
                i += 16
            }
        } else if width == 2 {
            while i + 16 <= n {
                let v = s.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
                (d + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v), as: SIMD16<UInt8>.self)
                (d + n + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v &>> 8), as: SIMD16<UInt8>.self)
                i += 16
            }
        }
        while i < n {
            for k in 0..<width { d.storeBytes(of: s.load(fromByteOffset: width * i + k, as: UInt8.self), toByteOffset: k * n + i, as: UInt8.self) }
            i += 1
        }
    }

    /// Inverse of `split`: `planes[k]` points at plane k (count bytes each).
    static func merge(_ planes: [UnsafeRawPointer], width: Int, count n: Int, into d: UnsafeMutableRawPointer) {
        var i = 0
        if width == 4 {
            let p0 = planes[0], p1 = planes[1], p2 = planes[2], p3 = planes[3]
            while i + 16 <= n {
                let a = SIMD16<UInt32>(truncatingIfNeeded: p0.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                let b = SIMD16<UInt32>(truncatingIfNeeded: p1.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                let c = SIMD16<UInt32>(truncatingIfNeeded: p2.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                let e = SIMD16<UInt32>(truncatingIfNeeded: p3.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                d.storeBytes(of: a | (b &<< 8) | (c &<< 16) | (e &<< 24), toByteOffset: 4 * i, as: SIMD16<UInt32>.self)
                i += 16
            }
        } else if width == 2 {
            let p0 = planes[0], p1 = planes[1]
            while i + 16 <= n {
                let a = SIMD16<UInt16>(truncatingIfNeeded: p0.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                let b = SIMD16<UInt16>(truncatingIfNeeded: p1.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                d.storeBytes(of: a | (b &<< 8), toByteOffset: 2 * i, as: SIMD16<UInt16>.self)
                i += 16
            }
        }
        while i < n {
            for k in 0..<width { d.storeBytes(of: planes[k].load(fromByteOffset: i, as: UInt8.self), toByteOffset: width * i + k, as: UInt8.self) }
            i += 1
        }
    }

    /// Scalar oracle for `split`.
    static func naiveSplit(_ src: [UInt8], width: Int) -> [UInt8] {
        let n = src.count / width
        var out = [UInt8](repeating: 0, count: src.count)
        for i in 0..<n { for k in 0..<width { out[k * n + i] = src[width * i + k] } }
        return out
    }
}
