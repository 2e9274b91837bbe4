/// Little-endian appends to a growing byte array: the package's one byte writer (the model
/// file's header, table and byteplanes chunk index; GGUF export's header and tensor infos).
/// The counterpart of `ByteReader`.
package struct ByteWriter {
    /// What was written so far.
    package var bytes: [UInt8] = []

    /// An empty writer.
    package init() {}

    /// Appends any fixed-width integer, little-endian.
    package mutating func integer<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    /// Appends one byte.
    package mutating func u8(_ v: UInt8) { bytes.append(v) }
    /// Appends a little-endian UInt16.
    package mutating func u16(_ v: UInt16) { integer(v) }
    /// Appends a little-endian UInt32.
    package mutating func u32(_ v: UInt32) { integer(v) }
    /// Appends a little-endian UInt64.
    package mutating func u64(_ v: UInt64) { integer(v) }
    /// Appends an IEEE binary32, little-endian.
    package mutating func f32(_ v: Float) { integer(v.bitPattern) }
    /// Appends an IEEE binary64, little-endian.
    package mutating func f64(_ v: Double) { integer(v.bitPattern) }
    /// Appends bytes as they are.
    package mutating func raw<S: Sequence>(_ s: S) where S.Element == UInt8 { bytes += s }
}
