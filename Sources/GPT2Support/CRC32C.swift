import CCRC32C

/// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and final xor
/// 0xFFFFFFFF. The checksum of the model file's header and of every decoded tensor, and the one
/// TensorFlow's checkpoint bundles and LevelDB-style tables store (masked: see `masked`).
///
/// Check value (CRC catalogue, "CRC-32/ISCSI"): `CRC32C.checksum("123456789") == 0xE3069283`.
///
/// `update` uses the CPU's CRC-32C instruction when there is one (x86-64 SSE4.2, C target
/// CCRC32C), as three interleaved streams over large buffers joined by `combine`; otherwise
/// slicing-by-8: eight 256-entry tables let one loop step consume 8 bytes with independent
/// lookups instead of one dependent lookup per byte. Measured here, release build: slicing-by-8
/// ~1 GB/s, which made checksumming the bottleneck of decoding; the instruction, 3 streams,
/// ~15 GB/s. `naive` (bit at a time) is the test oracle of both.
public struct CRC32C: Sendable, Equatable {
    /// The running, finalised value (what `checksum` returns for the bytes seen so far).
    public private(set) var value: UInt32 = 0

    /// A checksum of no bytes yet.
    public init() {}

    /// CRC-32C of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = CRC32C()
        c.update(bytes)
        return c.value
    }

    /// CRC-32C of a byte collection.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c = CRC32C()
        if let v = bytes.withContiguousStorageIfAvailable({ c.update(UnsafeRawBufferPointer($0)); return c.value }) {
            return v
        }
        let a = Array(bytes)
        a.withUnsafeBytes { c.update($0) }
        return c.value
    }

    /// Adds `bytes` to the running checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        value = CRC32C.hardware ? CRC32C.hardwareUpdate(value, bytes) : ~CRC32C.slicing8(~value, bytes)
    }

    static let hardware = gpt2kit_crc32c_hw_available() == 1

    /// Below this many bytes one stream is as fast (combine costs ~100 ns).
    static let threeStreamMinimum = 3 * 4096

    /// Finalised CRC after `bytes`, with the CPU instruction.
    static func hardwareUpdate(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        var crc = crc, p = base, n = bytes.count
        // Three streams over blocks of up to 256 KiB each: per block triple, the CRCs of B and C
        // are computed from scratch and appended to the running value with `combine`.
        while n >= threeStreamMinimum {
            let block = min(n / 3, 1 << 18) & ~7
            var out: (UInt32, UInt32, UInt32) = (0, 0, 0)
            withUnsafeMutableBytes(of: &out) { o in
                gpt2kit_crc32c_hw_update3(0xFFFF_FFFF, p, block, o.baseAddress!.assumingMemoryBound(to: UInt32.self))
            }
            crc = combine(crc, ~out.0, lengthB: block)
            crc = combine(crc, ~out.1, lengthB: block)
            crc = combine(crc, ~out.2, lengthB: block)
            p += 3 * block; n -= 3 * block
        }
        return ~gpt2kit_crc32c_hw_update(~crc, p, n)
    }

    /// TensorFlow / LevelDB store `rotr(crc, 15) &+ 0xa282ead8` so that a CRC of data that
    /// itself contains CRCs is not degenerate.
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// The CRC-32C that `masked` turned into `masked`.
    public static func unmasked(_ masked: UInt32) -> UInt32 {
        let r = masked &- 0xA282_EAD8
        return (r >> 17) | (r << 15)
    }

    /// CRC of the concatenation A ++ B from crc(A), crc(B) and B's length, so chunks checksummed
    /// on different threads give the tensor's checksum. Multiplies crc(A) by x^(8·lenB) modulo
    /// the polynomial (carry-less arithmetic in the reflected bit order).
    public static func combine(_ crcA: UInt32, _ crcB: UInt32, lengthB: Int) -> UInt32 {
        multiplyModP(xPower8n(lengthB), crcA) ^ crcB
    }

    // MARK: - Arithmetic modulo the polynomial (reflected: bit 31 is x^0)

    static let poly: UInt32 = 0x82F6_3B78

    static func multiplyModP(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var a = a, b = b, p: UInt32 = 0
        while a != 0 {
            if a & 0x8000_0000 != 0 { p ^= b }
            a <<= 1
            b = (b & 1) != 0 ? (b >> 1) ^ poly : b >> 1
        }
        return p
    }

    /// x^(2^k) for k in 0..<64, by repeated squaring of x (= 1 << 30).
    static let xPow2k: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 64)
        var p: UInt32 = 1 << 30
        for k in 0..<64 { t[k] = p; p = multiplyModP(p, p) }
        return t
    }()

    /// x^(8n) mod P.
    static func xPower8n(_ n: Int) -> UInt32 {
        var p: UInt32 = 1 << 31   // x^0
        var n = UInt64(max(n, 0)), k = 3   // 8n = n << 3
        while n != 0 {
            if n & 1 != 0 { p = multiplyModP(xPow2k[k & 63], p) }
            n >>= 1
            k += 1
        }
        return p
    }

    // MARK: - Table-driven update

    /// tables[k][b]: the CRC contribution of byte b followed by k zero bytes.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let prev = t[(k - 1) * 256 + b]
                t[k * 256 + b] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// Raw (unconditioned) update over `bytes`.
    static func slicing8(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return crc }
        var crc = crc
        var n = bytes.count
        return tables.withUnsafeBufferPointer { tb in
            let t = tb.baseAddress!
            while n > 0 && Int(bitPattern: p) & 7 != 0 {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)]
                p += 1; n -= 1
            }
            while n >= 8 {
                let w = UInt64(littleEndian: p.load(as: UInt64.self)) ^ UInt64(crc)
                crc = t[7 * 256 + Int(w & 0xFF)] ^ t[6 * 256 + Int((w >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((w >> 16) & 0xFF)] ^ t[4 * 256 + Int((w >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((w >> 32) & 0xFF)] ^ t[2 * 256 + Int((w >> 40) & 0xFF)]
                    ^ t[1 * 256 + Int((w >> 48) & 0xFF)] ^ t[Int(w >> 56)]
                p += 8; n -= 8
            }
            while n > 0 {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)]
                p += 1; n -= 1
            }
            return crc
        }
    }

    /// Bit-at-a-time reference (test oracle), finalised like `checksum`.
    static func naive(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ poly : crc >> 1 }
        }
        return ~crc
    }
}
