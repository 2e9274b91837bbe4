import GPT2Support
import GPT2Tokenizer
/// The validated structure of a model file: header, metadata document and tensor table.
///
/// `parse` checks everything it can without reading tensor payloads, in this order, so the
/// first error is the most useful one: magic and major version; the file size the header
/// records; every region (metadata, table, data) in range and apart; the header CRC; the
/// metadata JSON; each table entry (known dtype and codec, shape agreeing with sizes, payload
/// aligned and inside the data region); duplicate names; overlapping payloads. Every size read
/// from the file is overflow-checked before use.
struct FileLayout {
    var header: FileHeader
    var metadata: JSON
    /// `tokenizer.tokens`, when read by `MetadataTokenList` (then `metadata` holds `[]` there).
    var metadataTokens: TokenBytes?
    var tensors: [ModelTensorInfo]

    static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(ModelFileError) -> FileLayout {
        let h = try FileHeader.decode(bytes, file: file)
        func bad(_ kind: ModelFileError.Kind, _ offset: Int?, _ expected: String, _ found: String,
                 _ hint: String = "the header is inconsistent; the file is damaged, convert it again") -> ModelFileError {
            ModelFileError(kind, file: file, offset: offset, expected: expected, found: found, hint: hint)
        }
        // 1. The size the writer recorded: a cut-short copy is the commonest damage.
        guard let recorded = asInt(h.fileSize), recorded == bytes.count else {
            if h.fileSize > UInt64(bytes.count) {
                throw bad(.truncated, bytes.count, "\(h.fileSize) bytes (header's file size)", "\(bytes.count) bytes",
                          "the file is cut short (interrupted copy or download?); copy or convert it again")
            }
            throw bad(.badHeader, 72, "file size \(bytes.count)", "\(h.fileSize)",
                      "bytes were appended or the header is damaged")
        }
        guard h.flags == 0 else {
            throw bad(.unsupportedVersion, 80, "flags 0", "0x\(String(h.flags, radix: 16))",
                      "the file uses features this GPT2Kit does not know; upgrade")
        }
        let align = Int(h.alignment)
        guard align >= 64, align <= 1 << 20, align & (align - 1) == 0 else {
            throw bad(.badHeader, 16, "a power-of-two alignment in 64...1048576", "\(h.alignment)")
        }
        guard Int(h.headerSize) >= FileHeader.size else {
            throw bad(.badHeader, 12, "header size >= \(FileHeader.size)", "\(h.headerSize)")
        }
        // 2. Regions: each inside the file, none overlapping the header or each other.
        func region(_ o: UInt64, _ s: UInt64, _ name: String, _ at: Int) throws(ModelFileError) -> Range<Int> {
            guard let lo = asInt(o), let n = asInt(s), let hi = checkedAdd(lo, n), hi <= bytes.count else {
                throw bad(.truncated, at, "\(name) inside the \(bytes.count)-byte file",
                          "offset \(o) + size \(s)", "the \(name) extends past the end of the file: damaged or cut short")
            }
            guard lo >= Int(h.headerSize) else {
                throw bad(.badHeader, at, "\(name) after the header", "offset \(o)")
            }
            return lo..<hi
        }
        let meta = try region(h.metadataOffset, h.metadataSize, "metadata", 24)
        let table = try region(h.tableOffset, h.tableSize, "tensor table", 40)
        let data = try region(h.dataOffset, h.dataSize, "data region", 56)
        guard data.lowerBound % align == 0 else {
            throw bad(.misaligned, 56, "data offset a multiple of \(align)", "\(data.lowerBound)")
        }
        for (a, b, n) in [(meta, table, "metadata and tensor table"), (meta, data, "metadata and data"),
                          (table, data, "tensor table and data")] where a.overlaps(b) {
            throw bad(.overlap, 24, "\(n) apart", "\(a) and \(b)")
        }
        // 3. Header checksum over header (CRC field zeroed) + metadata + table.
        var crc = CRC32C()
        h.encoded(withCRC: false).withUnsafeBytes { crc.update($0) }
        crc.update(UnsafeRawBufferPointer(rebasing: bytes[meta]))
        crc.update(UnsafeRawBufferPointer(rebasing: bytes[table]))
        guard crc.value == h.crc else {
            throw bad(.headerChecksum, FileHeader.crcOffset, hex(h.crc), hex(crc.value),
                      "header, metadata or tensor table is corrupt; convert the model again")
        }
        // 4. Metadata: one JSON object.
        let metadata: JSON, metadataTokens: TokenBytes?
        do {
            (metadata, metadataTokens) = try parseMetadata(UnsafeRawBufferPointer(rebasing: bytes[meta]))
        } catch {
            throw bad(.badMetadata, meta.lowerBound + error.offset, "a JSON object", error.message,
                      "the metadata is not valid JSON")
        }
        guard case .object = metadata else {
            throw bad(.badMetadata, meta.lowerBound, "a JSON object", "another JSON value", "the metadata must be an object")
        }
        // 5. Tensor table.
        let tensors = try parseTable(UnsafeRawBufferPointer(rebasing: bytes[table]), base: table.lowerBound,
                                     count: Int(h.tensorCount), data: data, alignment: align, file: file)
        return FileLayout(header: h, metadata: metadata, metadataTokens: metadataTokens, tensors: tensors)
    }

    static func parseTable(_ bytes: UnsafeRawBufferPointer, base: Int, count: Int, data: Range<Int>,
                           alignment: Int, file: String) throws(ModelFileError) -> [ModelTensorInfo] {
        var r = ByteReader(bytes, base: base)
        var out: [ModelTensorInfo] = []
        out.reserveCapacity(min(count, bytes.count / 24))
        var seen = Set<String>()
        for index in 0..<count {
            let at = r.position
            func fail(_ kind: ModelFileError.Kind, _ tensor: String?, _ expected: String, _ found: String,
                      _ hint: String = "the tensor table is corrupt; convert the model again") -> ModelFileError {
                ModelFileError(kind, file: file, offset: at, tensor: tensor, expected: expected, found: found, hint: hint)
            }
            let short = fail(.badTable, nil, "\(count) entries in \(bytes.count) bytes",
                             "the table ends inside entry \(index)")
            guard let nameLen = try? r.u16() else { throw short }
            guard nameLen > 0, Int(nameLen) <= ModelTensorInfo.maxNameBytes else {
                throw fail(.badTable, nil, "a name of 1...\(ModelTensorInfo.maxNameBytes) bytes", "\(nameLen) bytes")
            }
            guard let nameBytes = try? r.bytes(Int(nameLen)) else { throw short }
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw fail(.badTable, nil, "a UTF-8 name", "invalid UTF-8")
            }
            guard let dt = try? r.u8(), let cc = try? r.u8(), let nd = try? r.u8(), let reserved = try? r.u8(),
                  let checksum = try? r.u32()
            else { throw short }
            guard let type = ElementType(fileCode: dt) else {
                throw fail(.unknownDType, name, "dtype 0...3 (f32 f16 bf16 q8_0)", "\(dt)",
                           "written by a newer GPT2Kit or corrupt; upgrade or convert again")
            }
            guard let codec = TensorCodec(code: cc) else {
                throw fail(.unknownCodec, name, "codec 0 (raw), 1 or 2 (byteplanes-zstd)", "\(cc)",
                           "written by a newer GPT2Kit or corrupt; upgrade or convert again")
            }
            guard Int(nd) <= ModelTensorInfo.maxDims, reserved == 0 else {
                throw fail(.badTable, name, "at most \(ModelTensorInfo.maxDims) dimensions, reserved byte 0",
                           "\(nd) dimensions, reserved \(reserved)")
            }
            var shape: [Int] = []
            for _ in 0..<Int(nd) {
                guard let d = try? r.u64() else { throw short }
                guard let di = asInt(d) else { throw fail(.shapeMismatch, name, "a dimension < 2^63", "\(d)") }
                shape.append(di)
            }
            guard let o = try? r.u64(), let s = try? r.u64(), let rs = try? r.u64() else { throw short }
            guard let elements = TensorData.elementCount(shape), let raw = type.byteCount(elements: elements) else {
                throw fail(.shapeMismatch, name, "a shape whose \(type.rawValue) byte size fits",
                           "shape \(shape)", "the tensor table is corrupt")
            }
            guard asInt(rs) == raw else {
                throw fail(.shapeMismatch, name, "raw size \(raw) for \(type.rawValue) \(shape)", "\(rs)")
            }
            guard let offset = asInt(o), let stored = asInt(s), let end = checkedAdd(offset, stored),
                  offset >= data.lowerBound, end <= data.upperBound else {
                throw fail(.outOfRange, name, "payload inside the data region \(data)", "offset \(o), size \(s)")
            }
            guard offset % alignment == 0 else {
                throw fail(.misaligned, name, "offset a multiple of \(alignment)", "\(offset)")
            }
            switch codec {
            case .raw:
                guard stored == raw else {
                    throw fail(.shapeMismatch, name, "stored size \(raw) for a raw \(type.rawValue) \(shape)", "\(stored)")
                }
            case .bytePlanesZstd:
                guard type.floatWidth != nil else {
                    throw fail(.unknownCodec, name, "byteplanes-zstd only on f32/f16/bf16", type.rawValue)
                }
            }
            guard seen.insert(name).inserted else {
                throw fail(.duplicateName, name, "unique tensor names", "'\(name)' twice")
            }
            var info = ModelTensorInfo(name: name, shape: shape, type: type, codec: codec, offset: offset,
                                       storedSize: stored, rawSize: raw, checksum: checksum)
            info.rotatedPlanes = cc != 1
            out.append(info)
        }
        guard r.remaining == 0 else {
            throw ModelFileError(.badTable, file: file, offset: r.position, expected: "\(count) entries filling the table",
                                 found: "\(r.remaining) bytes left over", hint: "the tensor table is corrupt")
        }
        // Payloads must not share bytes: sort by offset and compare neighbours.
        let sorted = out.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.storedSize > b.offset {
            throw ModelFileError(.overlap, file: file, offset: b.offset, tensor: b.name,
                                 expected: "'\(b.name)' to start at or after \(a.offset + a.storedSize)",
                                 found: "\(b.offset), inside '\(a.name)'", hint: "the tensor table is corrupt")
        }
        return out
    }
}

func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

extension FileLayout {
    /// Why the metadata did not parse: json-c's message and the offset in the metadata.
    struct MetadataParseError: Error {
        var message: String
        var offset: Int
    }

    /// The metadata document: strict RFC 8259 with UTF-8 validation, depth 64, nothing after
    /// the value (not even whitespace: the writer never puts any there).
    /// The metadata document, with `tokenizer.tokens` decoded on the side when it has the plain
    /// shape (`MetadataTokenList`).
    static func parseMetadata(_ bytes: UnsafeRawBufferPointer) throws(MetadataParseError) -> (JSON, TokenBytes?) {
        if let list = MetadataTokenList.extract(bytes) {
            let rest = list.remainder(of: bytes)
            let r = rest.withUnsafeBytes { b in Result { () throws(MetadataParseError) in try parseJSON(b) } }
            switch r {
            case .success(let json): return (json, list.tokens)
            case .failure(let e): throw MetadataParseError(message: e.message, offset: list.originalOffset(e.offset))
            }
        }
        return (try parseJSON(bytes), nil)
    }

    /// The whole document through json-c.
    static func parseJSON(_ bytes: UnsafeRawBufferPointer) throws(MetadataParseError) -> JSON {
        guard bytes.count > 0 else { throw MetadataParseError(message: "empty document", offset: 0) }
        let options = JSONParseOptions(maxDepth: 64, strict: true, allowTrailingWhitespace: false)
        do {
            return try JSON.parse(bytes, options: options)
        } catch {
            switch error.kind {
            case .tooLarge: throw MetadataParseError(message: "document larger than 2 GiB", offset: 0)
            case .outOfMemory: throw MetadataParseError(message: "out of memory", offset: 0)
            case .unexpectedEnd: throw MetadataParseError(message: "unexpected end of document", offset: error.offset)
            case .syntax(let why): throw MetadataParseError(message: why, offset: error.offset)
            case .trailing, .duplicateKey:
                throw MetadataParseError(message: "trailing bytes after the JSON document", offset: error.offset)
            }
        }
    }
}
