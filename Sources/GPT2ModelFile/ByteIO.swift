// Byte reading and writing are GPT2Support's ByteReader and ByteWriter (one copy of each).

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
