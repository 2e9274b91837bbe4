import GPT2Support
import GPT2ModelFile

/// A LevelDB-format sorted table, as TensorFlow writes `model.ckpt.index`
/// (spec: leveldb `doc/table_format.md`; TF's copy lives in `tensorflow/tsl/lib/io/table*`).
///
///     [data block]* [meta blocks]* [metaindex block] [index block] [footer: 48 bytes]
///     footer   = metaindex BlockHandle, index BlockHandle (varint64 offset + size each),
///                zero padding to 40 bytes, magic 0xdb4775248b80fb57 (fixed64 LE)
///     block    = entries, restarts: [u32 LE] × n, n: u32 LE; then a 5-byte trailer:
///                compression type (0 = none) + masked crc32c of the block and the type byte
///     entry    = shared: varint32, non_shared: varint32, value_length: varint32,
///                key[shared..] (the rest is the previous key's prefix), value
/// The index block maps a separator key to each data block's handle. Keys must be strictly
/// increasing, which also rules out duplicates.
struct TFTable: Sendable {
    struct Entry: Sendable, Equatable {
        var key: [UInt8]
        var value: [UInt8]
        /// File offset of the value, for errors found while decoding it.
        var valueOffset: Int
    }

    static let magic: UInt64 = 0xdb47_7524_8b80_fb57
    static let footerSize = 48
    static let trailerSize = 5

    /// All entries, in key order.
    let entries: [Entry]

    init(file: MappedFile) throws {
        let path = file.path
        guard file.count >= Self.footerSize else {
            throw CheckpointError(.truncated, file: path, offset: 0,
                                  "\(file.count) bytes, smaller than the \(Self.footerSize)-byte table footer",
                                  hint: "the index file is truncated")
        }
        var r = file.reader()
        let footerStart = file.count - Self.footerSize
        try r.seek(to: file.count - 8)
        let magic = try r.u64("table magic")
        guard magic == Self.magic else {
            throw CheckpointError(.badMagic, file: path, offset: file.count - 8,
                                  "table magic 0x\(String(magic, radix: 16)), expected 0x\(String(Self.magic, radix: 16))",
                                  hint: "not a TensorFlow checkpoint index, or it is truncated")
        }
        var footer = try r.slice(range: footerStart..<(file.count - 8))
        _ = try Self.handle(&footer, limit: footerStart, what: "metaindex handle")
        let index = try Self.handle(&footer, limit: footerStart, what: "index handle")
        let indexBlock = try Self.block(file, index, what: "index block")
        var entries: [Entry] = []
        var lastKey: [UInt8]? = nil
        for ie in try Self.entries(of: indexBlock, file: path) {
            var hv = ByteReader(bytes: ie.value, file: path, origin: ie.valueOffset)
            let h = try Self.handle(&hv, limit: footerStart, what: "data block handle")
            let data = try Self.block(file, h, what: "data block")
            for e in try Self.entries(of: data, file: path) {
                if let lastKey, !lastKey.lexicographicallyPrecedes(e.key) {
                    throw CheckpointError(e.key == lastKey ? .duplicateName : .corrupt, file: path,
                                          offset: e.valueOffset,
                                          "key \"\(String(decoding: e.key, as: UTF8.self))\" is not after \"\(String(decoding: lastKey, as: UTF8.self))\"",
                                          hint: "table keys must be unique and sorted")
                }
                lastKey = e.key
                entries.append(e)
            }
        }
        self.entries = entries
    }

    /// A BlockHandle: offset and size, whose block + trailer must end before `limit`.
    static func handle(_ r: inout ByteReader, limit: Int, what: String) throws -> Range<Int> {
        let at = r.position
        let offset = try r.varintAsInt("\(what) offset", limit: limit)
        let size = try r.varintAsInt("\(what) size", limit: limit)
        guard size <= limit - offset - trailerSize else {
            throw CheckpointError(.invalidOffset, file: r.file, offset: at,
                                  "\(what) [\(offset), +\(size)] runs past the footer at \(limit)",
                                  hint: "the index file is truncated or corrupt")
        }
        return offset..<(offset + size)
    }

    /// The contents of the block at `h`, after checking its trailer (type and crc).
    static func block(_ file: MappedFile, _ h: Range<Int>, what: String) throws -> ByteReader {
        var r = file.reader()
        try r.seek(to: h.lowerBound)
        let actual = try r.withBytes(h.count + 1, what) { CRC32C.checksum($0) }
        let type = try file.bytes(at: h.upperBound, count: 1)[0]
        try r.seek(to: h.upperBound + 1)
        let stored = try r.u32("\(what) crc")
        guard stored == CRC32C.masked(actual) else {
            throw CheckpointError(.checksumMismatch, file: file.path, offset: h.lowerBound,
                                  "\(what) crc32c mismatch: stored 0x\(String(stored, radix: 16)), computed 0x\(String(CRC32C.masked(actual), radix: 16)) (masked)",
                                  hint: "the index file is corrupt; re-download it")
        }
        guard type == 0 else {
            throw CheckpointError(.unsupported, file: file.path, offset: h.upperBound,
                                  "\(what) compression type \(type) (1 = snappy) is not supported",
                                  hint: "TensorFlow writes checkpoint indexes uncompressed")
        }
        return try file.reader().slice(range: h)
    }

    /// The key/value entries of one block, keys rebuilt from their shared prefixes.
    static func entries(of block: ByteReader, file: String) throws -> [Entry] {
        var r = block
        guard r.remaining >= 4 else { throw r.error(.corrupt, "block of \(r.remaining) bytes has no restart count") }
        try r.seek(to: block.bounds.upperBound - 4)
        let restarts = Int(try r.u32("restart count"))
        guard restarts <= (block.bounds.count - 4) / 4 else {
            throw r.error(.corrupt, "\(restarts) restarts do not fit in a \(block.bounds.count)-byte block",
                          hint: "the index file is corrupt")
        }
        let end = block.bounds.upperBound - 4 - 4 * restarts
        var body = try block.slice(range: block.bounds.lowerBound..<end)
        var out: [Entry] = []
        var key: [UInt8] = []
        while !body.isAtEnd {
            let at = body.position
            let shared = try body.varintAsInt("shared key length", limit: Int(UInt32.max))
            let unshared = try body.varintAsInt("key length", limit: Int(UInt32.max))
            let valueLength = try body.varintAsInt("value length", limit: Int(UInt32.max))
            guard shared <= key.count else {
                throw CheckpointError(.corrupt, file: file, offset: at,
                                      "entry shares \(shared) key bytes, previous key has \(key.count)",
                                      hint: "the index file is corrupt")
            }
            key.removeLast(key.count - shared)
            key += try body.bytes(unshared, "key")
            let valueOffset = body.position
            let value = try body.bytes(valueLength, "value")
            out.append(Entry(key: key, value: value, valueOffset: valueOffset))
        }
        return out
    }
}
