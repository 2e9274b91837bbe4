import GPT2Support
import GPT2ModelFile

/// The protobuf messages of a TensorFlow checkpoint index (`tensorflow/core/protobuf/
/// tensor_bundle.proto`), decoded by hand: only the fields GPT2Kit needs, unknown fields
/// skipped by wire type, every length bounded by its message.
///
///     BundleHeaderProto { int32 num_shards = 1; Endianness endianness = 2 (LITTLE = 0);
///                         VersionDef version = 3; }
///     BundleEntryProto  { DataType dtype = 1; TensorShapeProto shape = 2; int32 shard_id = 3;
///                         int64 offset = 4; int64 size = 5; fixed32 crc32c = 6;
///                         repeated TensorSliceProto slices = 7; }
///     TensorShapeProto  { repeated Dim dim = 2 { int64 size = 1; string name = 2; }; bool unknown_rank = 3; }
struct TFBundleEntry: Sendable, Equatable {
    var type: ElementType
    var shape: [Int]
    var shardID: Int
    var offset: Int
    var size: Int
    /// Masked crc32c of the tensor's bytes.
    var crc32c: UInt32

    /// TensorFlow `DataType` enum values (types.proto) for the element types we read.
    static func elementType(_ dtype: UInt64) -> ElementType? {
        switch dtype {
        case 1: return .f32       // DT_FLOAT
        case 19: return .f16      // DT_HALF
        case 14: return .bf16     // DT_BFLOAT16
        default: return nil
        }
    }

    init(_ r: ByteReader, name: String) throws {
        var r = r
        var dtype: UInt64? = nil
        var shape: [Int]? = nil
        var shard = 0, offset = 0, size = 0
        var crc: UInt32? = nil
        while !r.isAtEnd {
            let (field, wire) = try Self.tag(&r)
            switch (field, wire) {
            case (1, 0): dtype = try r.varint("dtype")
            case (2, 2): shape = try Self.shape(r.slice(try r.varintAsInt("shape length")), name: name)
            case (3, 0): shard = try r.varintAsInt("shard_id", limit: Int(Int32.max))
            case (4, 0): offset = try r.varintAsInt("offset")
            case (5, 0): size = try r.varintAsInt("size")
            case (6, 5): crc = try r.u32("crc32c")
            case (7, _):
                throw r.error(.unsupported, "\(name) is a partitioned variable (slices)",
                              hint: "GPT2Kit reads whole-tensor checkpoints such as OpenAI's GPT-2 release")
            default: try Self.skip(&r, wire: wire)
            }
        }
        guard let dtype, let type = Self.elementType(dtype) else {
            throw r.error(.unsupportedDType, "\(name): TensorFlow dtype \(dtype.map(String.init) ?? "missing") is not supported",
                          hint: "GPT2Kit reads DT_FLOAT (1), DT_HALF (19) and DT_BFLOAT16 (14)")
        }
        guard let crc else { throw r.error(.corrupt, "\(name): entry has no crc32c") }
        self.type = type
        self.shape = shape ?? []
        shardID = shard
        self.offset = offset
        self.size = size
        crc32c = crc
    }

    static func tag(_ r: inout ByteReader) throws -> (Int, UInt64) {
        let t = try r.varint("field tag")
        return (Int(t >> 3), t & 7)
    }

    static func skip(_ r: inout ByteReader, wire: UInt64) throws {
        switch wire {
        case 0: _ = try r.varint("skipped varint")
        case 1: try r.skip(8, "skipped fixed64")
        case 2: try r.skip(try r.varintAsInt("skipped length"), "skipped field")
        case 5: try r.skip(4, "skipped fixed32")
        default: throw r.error(.corrupt, "protobuf wire type \(wire) is not valid here")
        }
    }

    static func shape(_ msg: ByteReader, name: String) throws -> [Int] {
        var r = msg
        var dims: [Int] = []
        while !r.isAtEnd {
            let (field, wire) = try tag(&r)
            if field == 2 && wire == 2 {
                var dim = try r.slice(try r.varintAsInt("dim length"))
                var size = 0
                while !dim.isAtEnd {
                    let (f, w) = try tag(&dim)
                    if f == 1 && w == 0 {
                        // int64 as varint: a negative (unknown) size is 10 bytes of two's complement.
                        size = try dim.varintAsInt("dim size", limit: Int(Int32.max))
                    } else {
                        try skip(&dim, wire: w)
                    }
                }
                dims.append(size)
            } else if field == 3 && wire == 0 {
                if try r.varint("unknown_rank") != 0 {
                    throw r.error(.shapeMismatch, "\(name) has an unknown rank")
                }
            } else {
                try skip(&r, wire: wire)
            }
        }
        return dims
    }
}

/// The header entry (empty key) of a checkpoint index.
struct TFBundleHeader: Sendable, Equatable {
    var numShards: Int
    var littleEndian: Bool

    init(_ r: ByteReader) throws {
        var r = r
        var shards = 1
        var endianness: UInt64 = 0
        while !r.isAtEnd {
            let (field, wire) = try TFBundleEntry.tag(&r)
            switch (field, wire) {
            case (1, 0): shards = try r.varintAsInt("num_shards", limit: 1 << 16)
            case (2, 0): endianness = try r.varint("endianness")
            default: try TFBundleEntry.skip(&r, wire: wire)
            }
        }
        numShards = shards
        littleEndian = endianness == 0
    }
}
