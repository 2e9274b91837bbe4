import GPT2Support
/// How a tensor's bytes are stored in the file (FORMAT.md, "Codecs").
public enum TensorCodec: String, Sendable, Equatable, CaseIterable, Codable {
    /// The decoded bytes themselves: usable in place from the mapping.
    case raw
    /// Lossless: chunks of elements, each split into byte planes, each plane zstd-compressed
    /// when that makes it smaller (`BytePlanesCodec`). On disk it is codec 2 (elements rotated
    /// left by one bit first, format 1.1, what writers use) or codec 1 (format 1.0, no rotation,
    /// still read); `ModelTensorInfo.rotatedPlanes` tells which.
    case bytePlanesZstd = "byteplanes-zstd"

    /// The code writers use.
    var code: UInt8 {
        switch self { case .raw: 0; case .bytePlanesZstd: 2 }
    }

    init?(code: UInt8) {
        switch code { case 0: self = .raw; case 1, 2: self = .bytePlanesZstd; default: return nil }
    }
}

extension ElementType {
    /// Code of the dtype in the tensor table.
    var fileCode: UInt8 {
        switch self { case .f32: 0; case .f16: 1; case .bf16: 2; case .q8_0: 3 }
    }

    init?(fileCode: UInt8) {
        switch fileCode {
        case 0: self = .f32
        case 1: self = .f16
        case 2: self = .bf16
        case 3: self = .q8_0
        default: return nil
        }
    }

    /// Bytes per element for the float types (the number of byte planes), nil for block types.
    var floatWidth: Int? {
        switch self { case .f32: 4; case .f16, .bf16: 2; case .q8_0: nil }
    }
}

/// One entry of the tensor table (FORMAT.md, "Tensor table").
public struct ModelTensorInfo: Sendable, Equatable {
    /// Canonical tensor name.
    public var name: String
    /// Shape, outermost dimension first.
    public var shape: [Int]
    /// Element type.
    public var type: ElementType
    /// How the payload is stored (raw or compressed).
    public var codec: TensorCodec
    /// Absolute byte offset of the stored payload in the file (a multiple of the alignment).
    public var offset: Int
    /// Bytes the payload takes in the file.
    public var storedSize: Int
    /// Bytes once decoded (`type.byteCount(elements: shape product)`).
    public var rawSize: Int
    /// CRC32C of the decoded bytes.
    public var checksum: UInt32
    /// byteplanes-zstd: whether the elements were rotated left by one bit before the split
    /// (table codec 2, what writers use) or not (codec 1, files of format 1.0).
    var rotatedPlanes = true

    /// A table entry.
    public init(name: String, shape: [Int], type: ElementType, codec: TensorCodec, offset: Int,
                storedSize: Int, rawSize: Int, checksum: UInt32) {
        self.name = name
        self.shape = shape
        self.type = type
        self.codec = codec
        self.offset = offset
        self.storedSize = storedSize
        self.rawSize = rawSize
        self.checksum = checksum
    }

    /// Product of the shape (0 on overflow, which the reader refuses).
    public var elementCount: Int { TensorData.elementCount(shape) ?? 0 }

    /// stored / raw (1 for raw tensors).
    public var ratio: Double { rawSize == 0 ? 1 : Double(storedSize) / Double(rawSize) }

    static let maxDims = 8
    static let maxNameBytes = 1024

    /// The table bytes of this entry.
    func encoded() -> [UInt8] {
        var w = ByteWriter()
        let n = Array(name.utf8)
        w.u16(UInt16(n.count)); w.raw(n)
        w.u8(type.fileCode); w.u8(codec == .bytePlanesZstd && !rotatedPlanes ? 1 : codec.code); w.u8(UInt8(shape.count)); w.u8(0)
        w.u32(checksum)
        for d in shape { w.u64(UInt64(d)) }
        w.u64(UInt64(offset)); w.u64(UInt64(storedSize)); w.u64(UInt64(rawSize))
        return w.bytes
    }
}
