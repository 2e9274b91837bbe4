import GPT2Support
/// The ZIP container `torch.save` writes (since PyTorch 1.6), read from a mapping: only what
/// torch uses, and everything checked. Structures per PKWARE's APPNOTE.TXT 6.3:
/// end of central directory (4.3.16), ZIP64 locator and record (4.3.14/4.3.15), central
/// directory headers (4.3.12), local headers (4.3.7) and the ZIP64 extra field (4.5.3).
///
/// torch writes every member STORED (method 0), with a data descriptor flag (sizes in the local
/// header may be 0, so sizes come from the central directory), pads local headers with an extra
/// field so storages start 64-byte aligned, and always ends with ZIP64 records. Compressed,
/// encrypted or multi-disk archives are refused: torch never writes them, and a compressed
/// storage could not be used in place from the mapping.
struct ZipArchive {
    struct Entry {
        var name: String
        /// Byte range of the member's data in the file.
        var range: Range<Int>
        var crc32: UInt32
        /// Offset of its central directory record (for error messages).
        var recordOffset: Int
    }

    let file: MappedFile
    let entries: [Entry]
    private let index: [String: Int]

    static let eocdSignature: UInt32 = 0x0605_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let zip64EOCDSignature: UInt32 = 0x0606_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let localSignature: UInt32 = 0x0403_4B50

    /// Whether the file starts like a ZIP (a local header).
    static func hasMagic(_ file: MappedFile) -> Bool {
        var r = file.reader()
        return (try? r.u32()) == localSignature
    }

    init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        func corrupt(_ msg: String, at: Int?) -> CheckpointError {
            CheckpointError(.corrupt, file: path, offset: at, msg,
                            hint: "the zip directory is damaged or the file is truncated; download it again")
        }
        // 1. End of central directory: 22 bytes + a comment of up to 65535, found from the end.
        let eocd = try Self.findEOCD(file)
        var r = file.reader()
        try r.seek(to: eocd + 4)
        let disk = try r.u16("EOCD disk"), cdDisk = try r.u16("EOCD directory disk")
        _ = try r.u16("EOCD entries on disk")
        var count = Int(try r.u16("EOCD entries"))
        var cdSize = Int(try r.u32("EOCD directory size"))
        var cdOffset = Int(try r.u32("EOCD directory offset"))
        var directoryEnd = eocd
        // 2. ZIP64: a locator right before the EOCD points at the ZIP64 record with 64-bit fields.
        if eocd >= 20 {
            try r.seek(to: eocd - 20)
            if try r.u32() == Self.zip64LocatorSignature {
                _ = try r.u32("ZIP64 locator disk")
                let recordOffset = try r.u64AsInt("ZIP64 record offset")
                guard recordOffset <= eocd - 20 - 56 else {
                    throw corrupt("ZIP64 end of central directory offset \(recordOffset) is out of range", at: eocd - 20)
                }
                try r.seek(to: recordOffset)
                guard try r.u32() == Self.zip64EOCDSignature else {
                    throw corrupt("no ZIP64 end of central directory record at \(recordOffset)", at: recordOffset)
                }
                try r.skip(8 + 2 + 2, "ZIP64 record size and versions")
                let d = try r.u32("ZIP64 disk"), cd = try r.u32("ZIP64 directory disk")
                guard d == 0, cd == 0 else {
                    throw CheckpointError(.unsupported, file: path, offset: recordOffset, "multi-disk zip archive")
                }
                _ = try r.u64("ZIP64 entries on disk")
                count = try r.u64AsInt("ZIP64 entries")
                cdSize = try r.u64AsInt("ZIP64 directory size")
                cdOffset = try r.u64AsInt("ZIP64 directory offset")
                directoryEnd = recordOffset
            } else if disk != 0 || cdDisk != 0 {
                throw CheckpointError(.unsupported, file: path, offset: eocd, "multi-disk zip archive")
            }
        }
        // 3. The central directory must lie before the end records; bound the count by its size
        //    before allocating anything for it.
        guard cdOffset <= directoryEnd, cdSize <= directoryEnd - cdOffset else {
            throw corrupt("central directory \(cdOffset)+\(cdSize) runs past its end record at \(directoryEnd)", at: eocd)
        }
        guard count <= cdSize / 46 else {
            throw corrupt("\(count) entries cannot fit in a central directory of \(cdSize) bytes", at: eocd)
        }
        var cdr = try file.reader().slice(range: cdOffset..<(cdOffset + cdSize))
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var index: [String: Int] = [:]
        for _ in 0..<count {
            let e = try Self.readEntry(&cdr, file: file, dataEnd: cdOffset)
            guard index[e.name] == nil else {
                throw CheckpointError(.duplicateName, file: path, offset: e.recordOffset,
                                      "zip member \(e.name) appears twice", hint: "the archive is corrupt")
            }
            index[e.name] = entries.count
            entries.append(e)
        }
        self.entries = entries
        self.index = index
    }

    func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// A copy of a (small) member's bytes, its CRC-32 checked.
    func read(_ e: Entry) throws -> [UInt8] {
        let bytes = try file.bytes(at: e.range.lowerBound, count: e.range.count)
        try verify(e, bytes)
        return bytes
    }

    func verify(_ e: Entry, _ bytes: [UInt8]) throws {
        let crc = bytes.withUnsafeBytes { CRC32.checksum($0) }
        guard crc == e.crc32 else {
            throw CheckpointError(.checksumMismatch, file: file.path, offset: e.range.lowerBound,
                                  "zip member \(e.name): CRC-32 \(hex(crc)), directory says \(hex(e.crc32))",
                                  hint: "the file is corrupt; download it again")
        }
    }

    private static func findEOCD(_ file: MappedFile) throws -> Int {
        let n = file.count
        guard n >= 22 else {
            throw CheckpointError(.truncated, file: file.path, "\(n) bytes is too short for a zip archive",
                                  hint: "the file is truncated")
        }
        let lowest = max(0, n - 22 - 0xFFFF)
        let found: Int? = file.withUnsafeBytes { b in
            var p = n - 22
            while p >= lowest {
                if b.loadUnaligned(fromByteOffset: p, as: UInt32.self) == eocdSignature.littleEndian,
                   Int(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: p + 20, as: UInt16.self))) == n - 22 - p {
                    return p
                }
                p -= 1
            }
            return nil
        }
        guard let found else {
            throw CheckpointError(.corrupt, file: file.path, "no zip end-of-central-directory record",
                                  hint: "the file is truncated or not a zip archive")
        }
        return found
    }

    private static func readEntry(_ r: inout ByteReader, file: MappedFile, dataEnd: Int) throws -> Entry {
        let at = r.position
        guard try r.u32("central directory signature") == centralSignature else {
            throw r.error(.corrupt, "bad central directory header signature", hint: "the zip directory is damaged", at: at)
        }
        try r.skip(4, "versions")
        let flags = try r.u16("flags"), method = try r.u16("method")
        try r.skip(4, "time and date")
        let crc = try r.u32("crc32")
        var csize = UInt64(try r.u32("compressed size")), usize = UInt64(try r.u32("size"))
        let nameLength = Int(try r.u16("name length")), extraLength = Int(try r.u16("extra length"))
        let commentLength = Int(try r.u16("comment length"))
        let diskStart = try r.u16("disk start")
        try r.skip(6, "attributes")
        var localOffset = UInt64(try r.u32("local header offset"))
        let nameBytes = try r.bytes(nameLength, "member name")
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw r.error(.corrupt, "member name is not UTF-8", at: at)
        }
        // ZIP64 extended information: 64-bit values for exactly the fields saturated at 0xFFFFFFFF.
        var extra = try r.slice(extraLength, "extra field")
        while extra.remaining >= 4 {
            let id = try extra.u16("extra id"), size = Int(try extra.u16("extra size"))
            var field = try extra.slice(size, "extra field \(id)")
            guard id == 0x0001 else { continue }
            if usize == 0xFFFF_FFFF { usize = try field.u64("ZIP64 size") }
            if csize == 0xFFFF_FFFF { csize = try field.u64("ZIP64 compressed size") }
            if localOffset == 0xFFFF_FFFF { localOffset = try field.u64("ZIP64 local header offset") }
        }
        try r.skip(commentLength, "member comment")
        func refuse(_ msg: String, _ hint: String) -> CheckpointError {
            CheckpointError(.unsupported, file: file.path, offset: at, "zip member \(name): \(msg)", hint: hint)
        }
        guard flags & 1 == 0 else { throw refuse("encrypted", "torch.save never encrypts; re-save the checkpoint") }
        guard method == 0 else {
            throw refuse("compressed with method \(method)\(method == 8 ? " (deflate)" : ""); only stored members are read",
                         "torch.save stores members uncompressed; an archive tool recompressed this file: re-save it with torch.save or `zip -0`")
        }
        guard diskStart == 0 || diskStart == 0xFFFF else { throw refuse("on disk \(diskStart)", "multi-disk archives are not supported") }
        guard csize == usize else {
            throw r.error(.corrupt, "\(name): stored member with compressed size \(csize) != size \(usize)", at: at)
        }
        // The data follows the local header, whose own name and extra lengths may differ.
        guard localOffset <= UInt64(dataEnd), usize <= UInt64(dataEnd) else {
            throw r.error(.invalidOffset, "\(name): local header offset \(localOffset) / size \(usize) beyond the central directory at \(dataEnd)",
                          hint: "the zip directory is damaged", at: at)
        }
        var local = try file.reader().slice(range: Int(localOffset)..<dataEnd)
        guard try local.u32("local header signature") == localSignature else {
            throw CheckpointError(.corrupt, file: file.path, offset: Int(localOffset),
                                  "\(name): no local header where the central directory points", hint: "the zip directory is damaged")
        }
        try local.skip(22, "local header fields")
        let localName = Int(try local.u16("local name length")), localExtra = Int(try local.u16("local extra length"))
        guard try local.bytes(localName, "local name") == nameBytes else {
            throw CheckpointError(.corrupt, file: file.path, offset: Int(localOffset),
                                  "local header name differs from the central directory's \(name)", hint: "the zip directory is damaged")
        }
        try local.skip(localExtra, "local extra field")
        let start = local.position
        guard Int(usize) <= dataEnd - start else {
            throw CheckpointError(.truncated, file: file.path, offset: start,
                                  "\(name): \(usize) bytes of data run past the central directory at \(dataEnd)",
                                  hint: "the file is truncated or the directory is damaged")
        }
        return Entry(name: name, range: start..<(start + Int(usize)), crc32: crc, recordOffset: at)
    }
}

fileprivate func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}
