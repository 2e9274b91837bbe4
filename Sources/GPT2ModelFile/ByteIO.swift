/// Little-endian reads from an untrusted buffer: every read checks the remaining length first
/// and reports where it failed; nothing here can trap on hostile input.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    /// Offset of `bytes[0]` in the file, for error messages.
    let base: Int
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer, base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    var remaining: Int { bytes.count - position }
    /// File offset of the next byte.
    var fileOffset: Int { base + position }

    /// Returns nil (and does not move) when fewer than `n` bytes remain.
    mutating func take(_ n: Int) -> UnsafeRawBufferPointer? {
        guard n >= 0, n <= remaining else { return nil }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + n])
    }

    mutating func u8() -> UInt8? { take(1).map { $0[0] } }
    mutating func u16() -> UInt16? { take(2).map { UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self)) } }
    mutating func u32() -> UInt32? { take(4).map { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) } }
    mutating func u64() -> UInt64? { take(8).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } }
}

/// Little-endian appends to a growing byte array (headers and tables we write).
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func raw<S: Sequence>(_ s: S) where S.Element == UInt8 { bytes += s }
}

/// `a + b` for sizes read from a file, nil on overflow or a negative operand.
@inline(__always) func checkedAdd(_ a: Int, _ b: Int) -> Int? {
    guard a >= 0, b >= 0 else { return nil }
    let (s, o) = a.addingReportingOverflow(b)
    return o ? nil : s
}

/// A UInt64 from a file as an Int, nil when it does not fit.
@inline(__always) func asInt(_ v: UInt64) -> Int? { v <= UInt64(Int.max) ? Int(v) : nil }

/// Rounds `n` up to a multiple of `alignment` (a power of two), nil on overflow.
@inline(__always) func alignUp(_ n: Int, _ alignment: Int) -> Int? {
    guard let s = checkedAdd(n, alignment - 1) else { return nil }
    return s & ~(alignment - 1)
}
