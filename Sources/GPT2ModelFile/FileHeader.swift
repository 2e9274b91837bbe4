import GPT2Support

/// The fixed 96-byte header at offset 0 (FORMAT.md, "Header"). All fields little-endian.
struct FileHeader: Equatable {
    /// PNG-style: a high byte catches 7-bit transfers, CR LF catches newline conversion,
    /// 0x1A stops `type` on DOS, the final LF catches LF -> CRLF.
    static let magic: [UInt8] = [0x89, 0x47, 0x32, 0x4B, 0x0D, 0x0A, 0x1A, 0x0A]   // "\x89G2K\r\n\x1a\n"
    static let size = 96
    static let major: UInt16 = 1
    static let minor: UInt16 = 1   // 1.1: codec 2 (byteplanes-zstd with rotated elements)
    static let defaultAlignment = 4096
    /// Offset of the CRC field, which is zero while the checksum is computed.
    static let crcOffset = 84

    var major: UInt16 = FileHeader.major
    var minor: UInt16 = FileHeader.minor
    var headerSize: UInt32 = UInt32(FileHeader.size)
    var alignment: UInt32 = UInt32(FileHeader.defaultAlignment)
    var tensorCount: UInt32 = 0
    var metadataOffset: UInt64 = 0
    var metadataSize: UInt64 = 0
    var tableOffset: UInt64 = 0
    var tableSize: UInt64 = 0
    var dataOffset: UInt64 = 0
    var dataSize: UInt64 = 0
    var fileSize: UInt64 = 0
    var flags: UInt32 = 0
    var crc: UInt32 = 0

    /// The 96 bytes, with `crc` in place (pass `withCRC: false` for the bytes the CRC covers).
    func encoded(withCRC: Bool = true) -> [UInt8] {
        var w = ByteWriter()
        w.raw(FileHeader.magic)
        w.u16(major); w.u16(minor)
        w.u32(headerSize); w.u32(alignment); w.u32(tensorCount)
        w.u64(metadataOffset); w.u64(metadataSize)
        w.u64(tableOffset); w.u64(tableSize)
        w.u64(dataOffset); w.u64(dataSize)
        w.u64(fileSize)
        w.u32(flags)
        w.u32(withCRC ? crc : 0)
        w.raw([UInt8](repeating: 0, count: 8))   // reserved
        return w.bytes
    }

    /// Reads the fields; only checks that 96 bytes and the magic are there.
    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws(ModelFileError) -> FileHeader {
        guard bytes.count >= 8 else {
            throw ModelFileError(.truncated, file: file, offset: bytes.count, expected: "at least \(size) bytes",
                                 found: "\(bytes.count) bytes", hint: "the file is cut short; convert or copy it again")
        }
        guard Array(bytes[0..<8]) == magic else {
            throw ModelFileError(.badMagic, file: file, offset: 0, expected: "magic 89 47 32 4B 0D 0A 1A 0A",
                                 found: bytes[0..<8].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " "),
                                 hint: "not a GPT2Kit model file; convert a checkpoint with `gpt2kit convert`")
        }
        var r = ByteReader(bytes)
        _ = try? r.skip(8)
        var h = FileHeader()
        guard let maj = try? r.u16(), let min = try? r.u16() else { throw truncated(file, bytes.count) }
        h.major = maj; h.minor = min
        guard h.major == FileHeader.major else {
            let swapped = h.major.byteSwapped == FileHeader.major
            throw ModelFileError(.unsupportedVersion, file: file, offset: 8, expected: "major version \(FileHeader.major)",
                                 found: "\(h.major).\(h.minor)",
                                 hint: swapped ? "endianness mismatch? fields are little-endian"
                                     : h.major > FileHeader.major ? "written by a newer GPT2Kit; upgrade to read it"
                                     : "not a version this GPT2Kit knows")
        }
        guard let hs = try? r.u32(), let al = try? r.u32(), let tc = try? r.u32(),
              let mo = try? r.u64(), let ms = try? r.u64(), let to = try? r.u64(), let ts = try? r.u64(),
              let dof = try? r.u64(), let ds = try? r.u64(), let fs = try? r.u64(), let fl = try? r.u32(),
              let c = try? r.u32(), (try? r.skip(8)) != nil else { throw truncated(file, bytes.count) }
        h.headerSize = hs; h.alignment = al; h.tensorCount = tc
        h.metadataOffset = mo; h.metadataSize = ms; h.tableOffset = to; h.tableSize = ts
        h.dataOffset = dof; h.dataSize = ds; h.fileSize = fs; h.flags = fl; h.crc = c
        return h
    }

    private static func truncated(_ file: String, _ n: Int) -> ModelFileError {
        ModelFileError(.truncated, file: file, offset: n, expected: "a \(size)-byte header", found: "\(n) bytes",
                       hint: "the file is cut short; convert or copy it again")
    }
}
