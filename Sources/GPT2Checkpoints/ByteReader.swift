import GPT2Support
/// A bounds-checked little-endian reader over a `MappedFile` or a byte array, for hostile input.
///
/// Like swift-protobuf's `BinaryDecoder`: a position and an end, every read checks that enough
/// bytes remain before touching memory, and failures are typed errors carrying the file name and
/// the absolute offset. Sub-readers (`slice`) are bounded to their structure, so a length field in
/// a block can never read past the block.
struct ByteReader: @unchecked Sendable {
    private enum Storage {
        case mapped(MappedFile)
        case array([UInt8])
    }

    private let storage: Storage
    /// File name used in errors.
    let file: String
    /// Added to positions in errors, for arrays copied out of a file at this offset.
    let origin: Int
    /// Readable range of the storage: `lowerBound <= offset <= upperBound`.
    let bounds: Range<Int>
    /// Current position in the storage (file offset for mapped readers).
    private(set) var offset: Int

    init(file: MappedFile) {
        storage = .mapped(file)
        self.file = file.path
        origin = 0
        bounds = 0..<file.count
        offset = 0
    }

    /// A reader over `bytes`; `origin` is where they came from in `file`, for error offsets.
    init(bytes: [UInt8], file: String, origin: Int = 0) {
        storage = .array(bytes)
        self.file = file
        self.origin = origin
        bounds = 0..<bytes.count
        offset = 0
    }

    private init(storage: Storage, file: String, origin: Int, bounds: Range<Int>) {
        self.storage = storage
        self.file = file
        self.origin = origin
        self.bounds = bounds
        self.offset = bounds.lowerBound
    }

    /// Bytes left before the end of this reader's bounds.
    var remaining: Int { bounds.upperBound - offset }
    var isAtEnd: Bool { offset == bounds.upperBound }
    /// Absolute position (in the original file) for messages.
    var position: Int { origin + offset }

    /// An error at the current position.
    func error(_ kind: CheckpointError.Kind, _ message: String, hint: String? = nil,
                      at pos: Int? = nil) -> CheckpointError {
        CheckpointError(kind, file: file, offset: origin + (pos ?? offset), message, hint: hint)
    }

    @inline(__always)
    private func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else {
            throw error(.truncated, "need \(n) bytes for \(what), \(remaining) left",
                        hint: "the file is truncated or a length field is corrupt")
        }
    }

    @inline(__always)
    private func withStorage<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .mapped(let f): return try f.withUnsafeBytes(body)
        case .array(let a): return try a.withUnsafeBytes(body)
        }
    }

    @inline(__always)
    private mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        let at = offset
        let v = withStorage { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
        offset += MemoryLayout<T>.size
        return v
    }

    mutating func u8(_ what: String = "u8") throws -> UInt8 { try load(UInt8.self, what) }
    mutating func u16(_ what: String = "u16") throws -> UInt16 { try load(UInt16.self, what) }
    mutating func u32(_ what: String = "u32") throws -> UInt32 { try load(UInt32.self, what) }
    mutating func u64(_ what: String = "u64") throws -> UInt64 { try load(UInt64.self, what) }
    mutating func i32(_ what: String = "i32") throws -> Int32 { try load(Int32.self, what) }
    mutating func i64(_ what: String = "i64") throws -> Int64 { try load(Int64.self, what) }

    /// A u64 that must fit in `Int` (a size or offset).
    mutating func u64AsInt(_ what: String = "u64") throws -> Int {
        let start = offset
        let v = try u64(what)
        guard v <= UInt64(Int.max) else {
            throw error(.headerTooLarge, "\(what) = \(v) does not fit in a signed 64-bit size", at: start)
        }
        return Int(v)
    }

    /// Base-128 varint (LevelDB, protobuf): at most 10 bytes, must fit in 64 bits.
    mutating func varint(_ what: String = "varint") throws -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bounds.upperBound else {
                throw error(.truncated, "\(what) runs past the end", at: start)
            }
            let b = withStorage { [offset] in $0[offset] }
            offset += 1
            if shift == 63 && b > 1 {
                throw error(.corrupt, "\(what) overflows 64 bits", at: start)
            }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw error(.corrupt, "\(what) longer than 10 bytes", at: start) }
        }
    }

    /// A varint that must fit in `Int` and be at most `limit`.
    mutating func varintAsInt(_ what: String = "varint", limit: Int = Int.max) throws -> Int {
        let start = offset
        let v = try varint(what)
        guard v <= UInt64(limit) else {
            throw error(.corrupt, "\(what) = \(v) exceeds \(limit)", at: start)
        }
        return Int(v)
    }

    /// A copy of the next `n` bytes.
    mutating func bytes(_ n: Int, _ what: String = "bytes") throws -> [UInt8] {
        try need(n, what)
        let at = offset
        let out = withStorage { Array($0[at..<(at + n)]) }
        offset += n
        return out
    }

    /// The next `n` bytes as a scoped buffer, without copying.
    mutating func withBytes<R>(_ n: Int, _ what: String = "bytes",
                                      _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try need(n, what)
        let at = offset
        let r = try withStorage { try body(UnsafeRawBufferPointer(rebasing: $0[at..<(at + n)])) }
        offset += n
        return r
    }

    mutating func skip(_ n: Int, _ what: String = "bytes") throws {
        try need(n, what)
        offset += n
    }

    /// Moves to `position`, which must lie within this reader's bounds (end included).
    mutating func seek(to position: Int) throws {
        guard bounds.contains(position) || position == bounds.upperBound else {
            throw error(.truncated, "offset \(position) outside 0...\(bounds.upperBound)",
                        hint: "an offset in the file points past its end")
        }
        offset = position
    }

    /// A reader bounded to the next `n` bytes; this reader moves past them.
    mutating func slice(_ n: Int, _ what: String = "bytes") throws -> ByteReader {
        try need(n, what)
        let sub = ByteReader(storage: storage, file: file, origin: origin,
                             bounds: offset..<(offset + n))
        offset += n
        return sub
    }

    /// A reader bounded to `range` of this reader's storage (checked against its bounds).
    func slice(range: Range<Int>) throws -> ByteReader {
        guard range.lowerBound >= bounds.lowerBound, range.upperBound <= bounds.upperBound else {
            throw error(.truncated, "range \(range) outside \(bounds)",
                        hint: "an offset or length in the file points past its end")
        }
        return ByteReader(storage: storage, file: file, origin: origin, bounds: range)
    }
}
