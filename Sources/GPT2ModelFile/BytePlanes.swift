#if arch(x86_64)
import CKernels
#endif

/// Byte-plane transposition: element i's byte k goes to plane k at index i (and back).
/// Little-endian host assumed (x86-64, arm64), so plane 3 of fp32 is the sign/exponent byte.
///
/// With `rotate` each element is first rotated left by one bit (ZipNN's trick): the sign moves
/// to bit 0 and the top byte becomes the 8 exponent bits alone (fp32 bits 30...23, bf16 bits
/// 14...7), instead of sign + 7 exponent bits with the last exponent bit in the byte below. On
/// MiniLM that takes the exponent plane's order-0 entropy from 0.3348 to 0.3247 of its size.
///
/// On x86-64 both go to C (CKernels/byte_planes.c: SSE2 unpack/pack, 16 elements per step);
/// elsewhere the Swift SIMD versions below move 16 elements per step (widen 16 bytes of each
/// plane to 16 lanes, shift, or, store). The scalar `naive*` versions are the test oracles.
extension BytePlanesCodec {
    /// `src` holds `count` elements of `width` bytes; `planes` gets width planes of count bytes.
    static func split(_ src: UnsafeRawBufferPointer, width: Int, count n: Int, rotate: Bool = false,
                      into planes: UnsafeMutableRawBufferPointer) {
        let s = src.baseAddress!, d = planes.baseAddress!
        #if arch(x86_64)
        gpt2kit_planes_split(s, width, n, rotate ? 1 : 0, d.assumingMemoryBound(to: UInt8.self))
        return
        #else
        var i = 0
        if width == 4 {
            while i + 16 <= n {
                var v = s.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<UInt32>.self)
                if rotate { v = (v &<< 1) | (v &>> 31) }
                (d + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v), as: SIMD16<UInt8>.self)
                (d + n + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v &>> 8), as: SIMD16<UInt8>.self)
                (d + 2 * n + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v &>> 16), as: SIMD16<UInt8>.self)
                (d + 3 * n + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v &>> 24), as: SIMD16<UInt8>.self)
                i += 16
            }
        } else if width == 2 {
            while i + 16 <= n {
                var v = s.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
                if rotate { v = (v &<< 1) | (v &>> 15) }
                (d + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v), as: SIMD16<UInt8>.self)
                (d + n + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: v &>> 8), as: SIMD16<UInt8>.self)
                i += 16
            }
        }
        while i < n {
            var v: UInt32 = 0
            for k in 0..<width { v |= UInt32(s.load(fromByteOffset: width * i + k, as: UInt8.self)) << (8 * k) }
            if rotate { v = width == 4 ? (v << 1) | (v >> 31) : ((v << 1) | (v >> 15)) & 0xFFFF }
            for k in 0..<width { d.storeBytes(of: UInt8(truncatingIfNeeded: v >> (8 * k)), toByteOffset: k * n + i, as: UInt8.self) }
            i += 1
        }
        #endif
    }

    /// Inverse of `split` (with the same `rotate`): `planes[k]` points at plane k (count bytes each).
    static func merge(_ planes: [UnsafeRawPointer], width: Int, count n: Int, rotate: Bool = false,
                      into d: UnsafeMutableRawPointer) {
        #if arch(x86_64)
        withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: width) { p in
            for k in 0..<width { p[k] = planes[k].assumingMemoryBound(to: UInt8.self) }
            gpt2kit_planes_merge(p.baseAddress!, width, n, rotate ? 1 : 0, d)
        }
        #else
        var i = 0
        if width == 4 {
            let p0 = planes[0], p1 = planes[1], p2 = planes[2], p3 = planes[3]
            while i + 16 <= n {
                let a = SIMD16<UInt32>(truncatingIfNeeded: p0.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                let b = SIMD16<UInt32>(truncatingIfNeeded: p1.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                let c = SIMD16<UInt32>(truncatingIfNeeded: p2.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                let e = SIMD16<UInt32>(truncatingIfNeeded: p3.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                var v = a | (b &<< 8) | (c &<< 16) | (e &<< 24)
                if rotate { v = (v &>> 1) | (v &<< 31) }
                d.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD16<UInt32>.self)
                i += 16
            }
        } else if width == 2 {
            let p0 = planes[0], p1 = planes[1]
            while i + 16 <= n {
                let a = SIMD16<UInt16>(truncatingIfNeeded: p0.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                let b = SIMD16<UInt16>(truncatingIfNeeded: p1.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self))
                var v = a | (b &<< 8)
                if rotate { v = (v &>> 1) | (v &<< 15) }
                d.storeBytes(of: v, toByteOffset: 2 * i, as: SIMD16<UInt16>.self)
                i += 16
            }
        }
        while i < n {
            var v: UInt32 = 0
            for k in 0..<width { v |= UInt32(planes[k].load(fromByteOffset: i, as: UInt8.self)) << (8 * k) }
            if rotate { v = width == 4 ? (v >> 1) | (v << 31) : (v >> 1) | ((v & 1) << 15) }
            for k in 0..<width { d.storeBytes(of: UInt8(truncatingIfNeeded: v >> (8 * k)), toByteOffset: width * i + k, as: UInt8.self) }
            i += 1
        }
        #endif
    }

    /// Scalar oracle for `split`: element by element, the rotate spelled out on the bits.
    static func naiveSplit(_ src: [UInt8], width: Int, rotate: Bool = false) -> [UInt8] {
        let n = src.count / width
        var out = [UInt8](repeating: 0, count: src.count)
        for i in 0..<n {
            var bytes = Array(src[(width * i)..<(width * i + width)])
            if rotate {
                // Shift the little-endian integer left by one bit; the old top bit becomes bit 0.
                let top = bytes[width - 1] >> 7
                var carry = top
                for k in 0..<width { let c = bytes[k] >> 7; bytes[k] = (bytes[k] << 1) | carry; carry = c }
            }
            for k in 0..<width { out[k * n + i] = bytes[k] }
        }
        return out
    }
}
