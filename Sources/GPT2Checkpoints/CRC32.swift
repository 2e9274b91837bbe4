/// CRC-32 (ISO-HDLC / zlib: reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF),
/// the checksum ZIP stores per entry (APPNOTE 4.4.7).
///
/// Slicing-by-8 (eight 256-entry tables, 8 bytes per step) on four independent quarters of the
/// buffer at once, whose CRCs are then combined with GF(2) polynomial arithmetic
/// (crc(A‖B) = crc(A)·x^(8·|B|) mod P ⊕ crc(B)): one table-lookup chain is latency-bound, four
/// interleaved chains keep the load ports busy. Measured on this machine (2 loaded cores):
/// one chain 0.6 GB/s, four chains 1.4-1.8 GB/s (`swiftc -Ounchecked`, 256 MB; zlib's crc32
/// did 1.8 GB/s at the same time).
enum CRC32 {
    static let polynomial: UInt32 = 0xEDB8_8320

    /// Table k (k = 0...7) at [256k ..< 256(k+1)]: CRC of a byte followed by k zero bytes.
    static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? polynomial ^ (c >> 1) : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 { t[256 * k + i] = (t[256 * (k - 1) + i] >> 8) ^ t[Int(t[256 * (k - 1) + i] & 0xFF)] }
        }
        return t
    }()

    @inline(__always)
    static func step(_ c: UInt32, _ p: UnsafeRawPointer, _ t: UnsafePointer<UInt32>) -> UInt32 {
        let lo = c ^ UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))
        let hi = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        return t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
            ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
            ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
            ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
    }

    /// Continues a raw (not yet inverted) CRC state over `n` bytes.
    static func update(_ state: UInt32, _ base: UnsafeRawPointer, _ n: Int, _ t: UnsafePointer<UInt32>) -> UInt32 {
        var c = state
        var i = 0
        while i + 8 <= n {
            c = step(c, base + i, t)
            i += 8
        }
        while i < n {
            c = t[Int((c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (c >> 8)
            i += 1
        }
        return c
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        let n = bytes.count
        return table.withUnsafeBufferPointer { tb in
            let t = tb.baseAddress!
            let quarter = n / 4 & ~7
            guard quarter >= 1024 else { return ~update(0xFFFF_FFFF, base, n, t) }
            var c0: UInt32 = 0xFFFF_FFFF, c1 = c0, c2 = c0, c3 = c0
            let p1 = base + quarter, p2 = base + 2 * quarter, p3 = base + 3 * quarter
            var i = 0
            while i < quarter {
                c0 = step(c0, base + i, t)
                c1 = step(c1, p1 + i, t)
                c2 = step(c2, p2 + i, t)
                c3 = step(c3, p3 + i, t)
                i += 8
            }
            c3 = update(c3, p3 + quarter, n - 4 * quarter, t)
            var crc = combine(~c0, ~c1, quarter)
            crc = combine(crc, ~c2, quarter)
            return combine(crc, ~c3, n - 3 * quarter)
        }
    }

    /// CRC of A‖B from crc(A), crc(B) and |B|.
    static func combine(_ a: UInt32, _ b: UInt32, _ lengthB: Int) -> UInt32 {
        multiply(xPower8n(lengthB), a) ^ b
    }

    /// a·b mod P, polynomials in the reflected bit order (bit 31 is x^0).
    static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0
        var b = b
        var bit: UInt32 = 1 << 31
        while bit != 0 {
            if a & bit != 0 { product ^= b }
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1   // b·x
            bit >>= 1
        }
        return product
    }

    /// x^(8n) mod P by square-and-multiply.
    static func xPower8n(_ n: Int) -> UInt32 {
        var result: UInt32 = 1 << 31       // x^0
        var square: UInt32 = 1 << 23       // x^8
        var n = n
        while n > 0 {
            if n & 1 != 0 { result = multiply(result, square) }
            square = multiply(square, square)
            n >>= 1
        }
        return result
    }

    /// Bit-at-a-time reference, the test oracle for `checksum`.
    static func naive(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? polynomial ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
}
