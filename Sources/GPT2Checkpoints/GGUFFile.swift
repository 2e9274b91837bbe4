import GPT2ModelFile
import GPT2Support

/// One GGUF file (llama.cpp's format, ggml `docs/gguf.md`), header validated.
///
/// Layout, little-endian: magic `GGUF`, u32 version (2 or 3: u64 counts), u64 tensor count,
/// u64 metadata count; the metadata (key string, u32 value type, value); the tensor infos
/// (name, u32 n_dims ≤ 4, u64 ne[n_dims] with ne[0] the fastest-varying dimension, u32 ggml
/// type, u64 offset into the data area); padding to `general.alignment` (default 32); the data
/// area. A string is a u64 length then UTF-8 bytes; an array a u32 element type, a u64 count,
/// then the elements.
///
/// Every count and length is checked against the bytes left before anything is allocated,
/// every tensor's range against the data area (aligned, in bounds, no overlap), and only the
/// tensor types GPT2Kit can hold (f32, f16, bf16, q8_0) are accepted.
struct GGUFFile: @unchecked Sendable {
    static let magic: [UInt8] = Array("GGUF".utf8)
    static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    static let maxDims = 4
    /// Nesting of arrays inside arrays (gguf.h allows it; nothing real goes past 1).
    static let maxArrayDepth = 4

    struct TensorInfo: Sendable, Equatable {
        var name: String
        /// ggml order: `ne[0]` varies fastest (the reverse of a row-major shape).
        var ne: [Int]
        var ggmlType: UInt32
        var type: ElementType
        /// Absolute byte range in the file.
        var range: Range<Int>
        /// Row-major shape (`ne` reversed): `[rows, cols]` for a matrix.
        var shape: [Int] { ne.reversed() }
    }

    let file: MappedFile
    let version: UInt32
    /// Metadata in file order.
    let metadata: [(key: String, value: GGUFValue)]
    let tensors: [TensorInfo]
    let alignment: Int
    /// Start of the data area.
    let dataOffset: Int

    subscript(key: String) -> GGUFValue? { metadata.first { $0.key == key }?.value }

    /// Whether `path` starts with the GGUF magic.
    static func hasMagic(path: String) -> Bool {
        guard Paths.isFile(path), let f = try? MappedFile.checkpoint(path), f.count >= 4 else { return false }
        return (try? f.bytes(at: 0, count: 4)) == magic
    }

    init(path: String) throws {
        try self.init(file: MappedFile.checkpoint(path))
    }

    init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        var r = file.reader()
        let m = try r.bytes(4, "magic")
        guard m == Self.magic else {
            throw CheckpointError(.badMagic, file: path, offset: 0, "magic \(m.map { String($0, radix: 16) }), expected 47 47 55 46 (\"GGUF\")",
                                  hint: m == Array("FUGG".utf8) ? "a big-endian GGUF: GPT2Kit reads little-endian files only" : "not a GGUF file")
        }
        version = try r.u32("version")
        guard version == 2 || version == 3 else {
            throw CheckpointError(.unsupportedVersion, file: path, offset: 4, "GGUF version \(version); known: 2, 3",
                                  hint: version == 1 ? "GGUF v1 (32-bit counts) is obsolete: re-convert with a current llama.cpp"
                                                     : "written by a newer llama.cpp, or corrupt")
        }
        let tensorCount = try r.u64AsInt("tensor count")
        let kvCount = try r.u64AsInt("metadata count")
        // Each key-value takes at least 13 bytes (key length, type, a 1-byte value) and each
        // tensor info 24 (name length, n_dims, type, offset): counts the file cannot hold are
        // refused before anything is reserved.
        guard kvCount <= r.remaining / 13 else {
            throw r.error(.headerTooLarge, "metadata count \(kvCount) cannot fit in the \(r.remaining) bytes left",
                          hint: "the file is truncated or its header is corrupt", at: 16)
        }
        var kvs: [(key: String, value: GGUFValue)] = []
        kvs.reserveCapacity(kvCount)
        var keys = Set<String>()
        for i in 0..<kvCount {
            let at = r.position
            let key = try Self.string(&r, "key of metadata \(i)")
            guard keys.insert(key).inserted else {
                throw CheckpointError(.duplicateName, file: path, offset: at, "metadata key \(key) occurs twice",
                                      hint: "llama.cpp refuses such a file too; it is corrupt")
            }
            let typeAt = r.position
            let raw = try r.u32("type of \(key)")
            guard let type = GGUFValueType(rawValue: raw) else {
                throw CheckpointError(.corrupt, file: path, offset: typeAt, "\(key): unknown value type \(raw) (known: 0...12)",
                                      hint: "the file is corrupt or from a newer GGUF version")
            }
            kvs.append((key, try Self.value(&r, type, key: key, depth: 0)))
        }
        metadata = kvs

        var alignment = Self.defaultAlignment
        if let a = kvs.first(where: { $0.key == "general.alignment" })?.value {
            guard case .u32(let v) = a, v > 0, v & (v - 1) == 0 else {
                throw CheckpointError(.corrupt, file: path, "general.alignment is \(a.summary) (\(a.type.name)), expected a power of two as uint32",
                                      hint: "the file is corrupt")
            }
            alignment = Int(v)
        }
        self.alignment = alignment

        guard tensorCount <= r.remaining / 24 else {
            throw r.error(.headerTooLarge, "tensor count \(tensorCount) cannot fit in the \(r.remaining) bytes left",
                          hint: "the file is truncated or its header is corrupt", at: 8)
        }
        var infos: [(name: String, ne: [Int], type: UInt32, offset: Int, at: Int)] = []
        infos.reserveCapacity(tensorCount)
        var names = Set<String>()
        for i in 0..<tensorCount {
            let at = r.position
            let name = try Self.string(&r, "name of tensor \(i)")
            guard names.insert(name).inserted else {
                throw CheckpointError(.duplicateName, file: path, offset: at, "tensor \(name) occurs twice")
            }
            let nDims = Int(try r.u32("n_dims of \(name)"))
            guard (1...Self.maxDims).contains(nDims) else {
                throw r.error(.shapeMismatch, "\(name): n_dims \(nDims), expected 1...\(Self.maxDims)", at: r.offset - 4)
            }
            var ne: [Int] = []
            for d in 0..<nDims {
                let v = try r.u64("ne[\(d)] of \(name)")
                guard v <= UInt64(Int32.max) else {
                    throw r.error(.shapeMismatch, "\(name): ne[\(d)] = \(v) is too large", at: r.offset - 8)
                }
                ne.append(Int(v))
            }
            let type = try r.u32("type of \(name)")
            let offset = try r.u64AsInt("offset of \(name)")
            infos.append((name, ne, type, offset, at))
        }
        // r.offset <= file.count, so this cannot overflow.
        let dataOffset = r.offset + (alignment - r.offset % alignment) % alignment
        guard dataOffset <= file.count else {
            throw r.error(.truncated, "the data area would start at \(dataOffset), past the end of the \(file.count)-byte file",
                          hint: "the file is truncated")
        }
        self.dataOffset = dataOffset
        let dataSize = file.count - dataOffset

        var tensors: [TensorInfo] = []
        for t in infos {
            func bad(_ kind: CheckpointError.Kind, _ msg: String, hint: String? = nil) -> CheckpointError {
                CheckpointError(kind, file: path, offset: t.at, "\(t.name): \(msg)", hint: hint)
            }
            guard let type = GGMLType.elementType(t.type) else {
                throw bad(.unsupportedDType, "ggml type \(GGMLType.name(t.type)) is not supported",
                          hint: "GPT2Kit reads f32, f16, bf16 and q8_0 tensors: re-quantize with `llama-quantize --allow-requantize IN OUT Q8_0` or convert from the original checkpoint")
            }
            guard let count = TensorData.elementCount(t.ne), let bytes = type.byteCount(elements: count) else {
                throw bad(.shapeMismatch, "ne \(t.ne) overflows")
            }
            if type == .q8_0, t.ne[0] % 32 != 0 {
                throw bad(.shapeMismatch, "q8_0 rows must be a multiple of 32 long, ne[0] is \(t.ne[0])")
            }
            guard t.offset % alignment == 0 else {
                throw bad(.invalidOffset, "offset \(t.offset) is not a multiple of the alignment \(alignment)")
            }
            guard t.offset <= dataSize, bytes <= dataSize - t.offset else {
                throw bad(.invalidOffset, "data [\(t.offset), \(t.offset) + \(bytes)) lies outside the \(dataSize)-byte data area",
                          hint: "the file is truncated or its tensor table is corrupt")
            }
            tensors.append(TensorInfo(name: t.name, ne: t.ne, ggmlType: t.type, type: type,
                                      range: (dataOffset + t.offset)..<(dataOffset + t.offset + bytes)))
        }
        var end = dataOffset
        for t in tensors.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) {
            guard t.range.lowerBound >= end else {
                throw CheckpointError(.overlappingData, file: path, offset: t.range.lowerBound,
                                      "\(t.name) starts inside the previous tensor (which ends at \(end))",
                                      hint: "tensor data must not overlap; the file is corrupt")
            }
            end = t.range.upperBound
        }
        self.tensors = tensors
    }

    /// A u64-length string, its length checked against the bytes left.
    static func string(_ r: inout ByteReader, _ what: String) throws -> String {
        let n = try r.u64AsInt("length of \(what)")
        guard n <= r.remaining else {
            throw r.error(.truncated, "\(what): length \(n) but \(r.remaining) bytes left",
                          hint: "the file is truncated or a length field is corrupt", at: r.offset - 8)
        }
        return try r.withBytes(n, what) { String(decoding: $0, as: UTF8.self) }
    }

    static func value(_ r: inout ByteReader, _ type: GGUFValueType, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case .u8: return .u8(try r.u8(key))
        case .i8: return .i8(Int8(bitPattern: try r.u8(key)))
        case .u16: return .u16(try r.u16(key))
        case .i16: return .i16(Int16(bitPattern: try r.u16(key)))
        case .u32: return .u32(try r.u32(key))
        case .i32: return .i32(try r.i32(key))
        case .f32: return .f32(Float(bitPattern: try r.u32(key)))
        case .bool:
            let at = r.offset
            let b = try r.u8(key)
            guard b <= 1 else { throw r.error(.corrupt, "\(key): bool byte \(b), expected 0 or 1", at: at) }
            return .bool(b == 1)
        case .string: return .string(try string(&r, key))
        case .u64: return .u64(try r.u64(key))
        case .i64: return .i64(try r.i64(key))
        case .f64: return .f64(Double(bitPattern: try r.u64(key)))
        case .array:
            let at = r.offset
            let raw = try r.u32("element type of \(key)")
            guard let elementType = GGUFValueType(rawValue: raw) else {
                throw r.error(.corrupt, "\(key): unknown array element type \(raw) (known: 0...12)", at: at)
            }
            guard elementType != .array || depth + 1 < maxArrayDepth else {
                throw r.error(.unsupported, "\(key): arrays nested deeper than \(maxArrayDepth)", at: at)
            }
            let count = try r.u64AsInt("count of \(key)")
            guard count <= r.remaining / elementType.minimumSize else {
                throw r.error(.headerTooLarge, "\(key): \(count) \(elementType.name) elements cannot fit in the \(r.remaining) bytes left",
                              hint: "the file is truncated or a count is corrupt", at: at + 4)
            }
            var a: [GGUFValue] = []
            a.reserveCapacity(count)
            for _ in 0..<count { a.append(try value(&r, elementType, key: key, depth: depth + 1)) }
            return .array(elementType, a)
        }
    }
}
