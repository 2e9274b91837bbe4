/// Why a `ByteReader` read failed, before the reading module turns it into its own error.
package struct ByteReadError: Error, Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// Fewer bytes remain than the read needs, or an offset points outside the bounds.
        case truncated
        /// A 64-bit size does not fit in `Int`.
        case tooLarge
        /// A malformed encoding (a varint too long or above its limit).
        case corrupt
    }
    package var kind: Kind
    package var file: String
    /// Absolute offset in the file.
    package var offset: Int
    package var message: String
    package var hint: String?
}

/// A bounds-checked little-endian reader over hostile input: the package's one byte reader
/// (model-file headers and tables, every checkpoint parser).
///
/// Like swift-protobuf's `BinaryDecoder`: a position and an end, every read checks that enough
/// bytes remain before touching memory (so no offset arithmetic can overflow or trap), and
/// failures carry the file name and the absolute offset. Sub-readers (`slice`) are bounded to
/// their structure, so a length field in a block can never read past the block. Each module
/// gives the reader its error type through `errors`.
package struct ByteReader: @unchecked Sendable {
    /// Makes the error a failed read throws (a module's own error type).
    package typealias Errors = @Sendable (ByteReadError) -> any Error

    private enum Storage {
        case mapped(MappedFile)
        case array([UInt8])
        /// Borrowed: the caller keeps the memory alive while the reader is used.
        case buffer(UnsafeRawBufferPointer)
    }

    private let storage: Storage
    private let errors: Errors
    /// File name used in errors.
    package let file: String
    /// Added to positions in errors, for bytes copied out of a file at this offset.
    package let origin: Int
    /// Readable range of the storage: `lowerBound <= offset <= upperBound`.
    package let bounds: Range<Int>
    /// Current position in the storage (file offset for mapped readers).
    package private(set) var offset: Int

    /// A reader over a whole mapped file.
    package init(file: MappedFile, errors: @escaping Errors) {
        self.init(storage: .mapped(file), file: file.path, origin: 0, bounds: 0..<file.count, errors: errors)
    }

    /// A reader over `bytes`; `origin` is where they came from in `file`, for error offsets.
    package init(bytes: [UInt8], file: String, origin: Int = 0, errors: @escaping Errors) {
        self.init(storage: .array(bytes), file: file, origin: origin, bounds: 0..<bytes.count, errors: errors)
    }

    /// A reader over borrowed memory (valid while the reader is used); `base` is the file offset
    /// of `buffer[0]`. Failed reads throw `ByteReadError`.
    package init(_ buffer: UnsafeRawBufferPointer, base: Int = 0, file: String = "") {
        self.init(storage: .buffer(buffer), file: file, origin: base, bounds: 0..<buffer.count, errors: { $0 })
    }

    private init(storage: Storage, file: String, origin: Int, bounds: Range<Int>, errors: @escaping Errors) {
        self.storage = storage
        self.file = file
        self.origin = origin
        self.bounds = bounds
        self.offset = bounds.lowerBound
        self.errors = errors
    }

    /// Bytes left before the end of this reader's bounds.
    package var remaining: Int { bounds.upperBound - offset }
    package var isAtEnd: Bool { offset == bounds.upperBound }
    /// Absolute position (in the original file) for messages.
    package var position: Int { origin + offset }

    private func fail(_ kind: ByteReadError.Kind, _ message: String, hint: String? = nil, at pos: Int? = nil) -> any Error {
        errors(ByteReadError(kind: kind, file: file, offset: origin + (pos ?? offset), message: message, hint: hint))
    }

    @inline(__always)
    private func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else {
            throw fail(.truncated, "need \(n) bytes for \(what), \(remaining) left",
                       hint: "the file is truncated or a length field is corrupt")
        }
    }

    @inline(__always)
    private func withStorage<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .mapped(let f): return try f.withUnsafeBytes(body)
        case .array(let a): return try a.withUnsafeBytes(body)
        case .buffer(let b): return try body(b)
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

    package mutating func u8(_ what: String = "u8") throws -> UInt8 { try load(UInt8.self, what) }
    package mutating func u16(_ what: String = "u16") throws -> UInt16 { try load(UInt16.self, what) }
    package mutating func u32(_ what: String = "u32") throws -> UInt32 { try load(UInt32.self, what) }
    package mutating func u64(_ what: String = "u64") throws -> UInt64 { try load(UInt64.self, what) }
    package mutating func i32(_ what: String = "i32") throws -> Int32 { try load(Int32.self, what) }
    package mutating func i64(_ what: String = "i64") throws -> Int64 { try load(Int64.self, what) }

    /// A u64 that must fit in `Int` (a size or offset).
    package mutating func u64AsInt(_ what: String = "u64") throws -> Int {
        let start = offset
        let v = try u64(what)
        guard v <= UInt64(Int.max) else {
            throw fail(.tooLarge, "\(what) = \(v) does not fit in a signed 64-bit size", at: start)
        }
        return Int(v)
    }

    /// Base-128 varint (LevelDB, protobuf): at most 10 bytes, must fit in 64 bits.
    package mutating func varint(_ what: String = "varint") throws -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bounds.upperBound else {
                throw fail(.truncated, "\(what) runs past the end", at: start)
            }
            let b = withStorage { [offset] in $0[offset] }
            offset += 1
            if shift == 63 && b > 1 {
                throw fail(.corrupt, "\(what) overflows 64 bits", at: start)
            }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw fail(.corrupt, "\(what) longer than 10 bytes", at: start) }
        }
    }

    /// A varint that must fit in `Int` and be at most `limit`.
    package mutating func varintAsInt(_ what: String = "varint", limit: Int = Int.max) throws -> Int {
        let start = offset
        let v = try varint(what)
        guard v <= UInt64(limit) else {
            throw fail(.corrupt, "\(what) = \(v) exceeds \(limit)", at: start)
        }
        return Int(v)
    }

    /// A copy of the next `n` bytes.
    package mutating func bytes(_ n: Int, _ what: String = "bytes") throws -> [UInt8] {
        try need(n, what)
        let at = offset
        let out = withStorage { Array($0[at..<(at + n)]) }
        offset += n
        return out
    }

    /// The next `n` bytes as a scoped buffer, without copying.
    package mutating func withBytes<R>(_ n: Int, _ what: String = "bytes",
                                       _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try need(n, what)
        let at = offset
        let r = try withStorage { try body(UnsafeRawBufferPointer(rebasing: $0[at..<(at + n)])) }
        offset += n
        return r
    }

    package mutating func skip(_ n: Int, _ what: String = "bytes") throws {
        try need(n, what)
        offset += n
    }

    /// Moves to `position`, which must lie within this reader's bounds (end included).
    package mutating func seek(to position: Int) throws {
        guard bounds.contains(position) || position == bounds.upperBound else {
            throw fail(.truncated, "offset \(position) outside 0...\(bounds.upperBound)",
                       hint: "an offset in the file points past its end")
        }
        offset = position
    }

    /// A reader bounded to the next `n` bytes; this reader moves past them.
    package mutating func slice(_ n: Int, _ what: String = "bytes") throws -> ByteReader {
        try need(n, what)
        let sub = ByteReader(storage: storage, file: file, origin: origin, bounds: offset..<(offset + n), errors: errors)
        offset += n
        return sub
    }

    /// A reader bounded to `range` of this reader's storage (checked against its bounds).
    package func slice(range: Range<Int>) throws -> ByteReader {
        guard range.lowerBound >= bounds.lowerBound, range.upperBound <= bounds.upperBound else {
            throw fail(.truncated, "range \(range) outside \(bounds)",
                       hint: "an offset or length in the file points past its end")
        }
        return ByteReader(storage: storage, file: file, origin: origin, bounds: range, errors: errors)
    }
}
