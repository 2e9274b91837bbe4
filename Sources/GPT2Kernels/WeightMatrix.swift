/// A weight matrix W[OUT, IN] (rows = output features, row-major, the canonical layout of the
/// model file) in any WeightType, not owned: usually a view into the mapped model file.
/// The owner of `base` must keep it alive while kernels run.
public struct WeightMatrix: @unchecked Sendable {
    /// First byte of the matrix (not owned).
    public let base: UnsafeRawPointer
    /// Element type of the stored values.
    public let type: WeightType
    /// OUT: number of rows.
    public let rows: Int
    /// IN: elements per row (a multiple of 32 for q8_0).
    public let cols: Int
    /// q8_0 only: the same weights packed 16 rows at a time for the VNNI matvec
    /// (`Kernels.packQ8`, PackedQ8.swift; AVX-512 VNNI sets only), or nil. Its owner keeps it alive like `base`.
    public let packedQ8: UnsafeRawPointer?

    /// A view of `rows × cols` weights at `base`, without a packed q8_0 copy.
    public init(base: UnsafeRawPointer, type: WeightType, rows: Int, cols: Int) {
        self.init(base: base, type: type, rows: rows, cols: cols, packedQ8: nil)
    }

    /// Internal: a packed copy is only ever attached by `Kernels.packQ8`, which made it (the C
    /// kernel trusts its alignment and shape).
    init(base: UnsafeRawPointer, type: WeightType, rows: Int, cols: Int, packedQ8: UnsafeRawPointer?) {
        require(rows >= 0 && cols >= 0 && (type != .q8_0 || cols % Q8_0.blockCount == 0),
                     "bad weight matrix shape \(rows)x\(cols) for \(type)")
        self.base = base
        self.type = type
        self.rows = rows
        self.cols = cols
        self.packedQ8 = packedQ8
    }

    /// This matrix with `packed` (made by `Kernels.packQ8` from it) as its packed q8_0 copy.
    func withPackedQ8(_ packed: UnsafeRawPointer) -> WeightMatrix {
        WeightMatrix(base: base, type: type, rows: rows, cols: cols, packedQ8: packed)
    }

    /// Bytes per row.
    public var rowBytes: Int { type.byteCount(elements: cols)! }

    /// Address of row r.
    @inline(__always)
    public func row(_ r: Int) -> UnsafeRawPointer { base + r * rowBytes }

    /// Decodes row r into dst[0..<cols] as f32 (embedding lookup, tests).
    public func decodeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>, kernels: Kernels = .selected) {
        require(r >= 0 && r < rows, "row \(r) out of 0..<\(rows)")
        kernels.decode(row(r), count: cols, as: type, into: dst)
    }
}
