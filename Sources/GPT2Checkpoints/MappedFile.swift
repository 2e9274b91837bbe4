#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file: the one owner of the mapping, unmapped in
/// `deinit`. Pages are read lazily by the kernel, so opening a 500 MB checkpoint costs nothing
/// until a tensor is touched (`Data(contentsOf:options:.mappedIfSafe)` reads the whole file on
/// Linux instead; see shared/design/STYLE.md).
///
/// The raw pointer never leaves this class: callers get a scoped `UnsafeRawBufferPointer` or a
/// bounds-checked `ByteReader`, which keeps the mapping alive while it exists.
public final class MappedFile: @unchecked Sendable {
    /// The path as given (used in every error message).
    public let path: String
    /// File size in bytes.
    public let count: Int
    // nil for an empty file: mmap of length 0 is an error, and there is nothing to map.
    private let base: UnsafeMutableRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CheckpointError(.io, file: path, "cannot open: \(Self.errnoString())",
                                  hint: "check that the path exists and is readable")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw CheckpointError(.io, file: path, "cannot stat: \(Self.errnoString())")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError(.io, file: path, "not a regular file",
                                  hint: "pass a file, or the directory holding the checkpoint")
        }
        let size = Int(st.st_size)
        count = size
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw CheckpointError(.io, file: path, "cannot mmap \(size) bytes: \(Self.errnoString())")
        }
        base = p
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// The whole mapping, valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Drops this process's mapped pages of `range` (rounded out to whole pages). The data stays
    /// in the page cache and is faulted back in if touched again; what goes is the resident set:
    /// a converter that copies tensor after tensor out of a 500 MB mapping would otherwise end
    /// with the whole file counted in its RSS.
    public func releasePages(_ range: Range<Int>) {
        guard let base, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = range.lowerBound / page * page
        let hi = min(count, (range.upperBound + page - 1) / page * page)
        madvise(base + lo, hi - lo, MADV_DONTNEED)
    }

    /// A reader over the whole file, positioned at 0.
    public func reader() -> ByteReader { ByteReader(file: self) }

    /// A bounds-checked copy of `count` bytes at `offset`.
    public func bytes(at offset: Int, count n: Int) throws -> [UInt8] {
        var r = reader()
        try r.seek(to: offset)
        return try r.bytes(n)
    }

    private static func errnoString() -> String { String(cString: strerror(errno)) }
}
