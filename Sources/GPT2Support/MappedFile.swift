#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be mapped. Each module turns this into its own typed error at its API
/// (`CheckpointError`, `ModelFileError`), with its own hint.
public struct MappedFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed.
    public enum Step: Sendable, Equatable {
        case open, stat, notRegularFile, map
    }
    /// The path as given.
    public let path: String
    /// Which step failed.
    public let step: Step
    /// `errno` of the failing call (0 for `.notRegularFile`).
    public let code: Int32
    /// File size in bytes (known from `.map` on).
    public let size: Int

    /// An error of `step` on `path`.
    public init(path: String, step: Step, code: Int32, size: Int) {
        self.path = path
        self.step = step
        self.code = code
        self.size = size
    }

    /// `strerror` of `code`.
    public var reason: String { String(cString: strerror(code)) }

    /// The path, the step that failed and why, e.g. "data.txt: cannot open: No such file or
    /// directory" (callers add what to do about it).
    public var description: String {
        switch step {
        case .open: return "\(path): cannot open: \(reason)"
        case .stat: return "\(path): cannot stat: \(reason)"
        case .notRegularFile: return "\(path): not a regular file (a directory or device)"
        case .map: return "\(path): cannot map \(size) bytes: \(reason)"
        }
    }
}

/// A read-only memory mapping of a whole file: the one owner of a file mapping in the package,
/// unmapped in `deinit`. Pages are read lazily by the kernel, so opening a 500 MB checkpoint
/// costs nothing until a tensor is touched (`Data(contentsOf:options:.mappedIfSafe)` reads the
/// whole file on Linux instead; see shared/design/STYLE.md).
///
/// The raw pointer never leaves this class: callers get a scoped `UnsafeRawBufferPointer`.
public final class MappedFile: @unchecked Sendable {
    /// The path as given (used in every error message).
    public let path: String
    /// File size in bytes.
    public let count: Int
    // nil for an empty file: mmap of length 0 is an error, and there is nothing to map.
    private let base: UnsafeMutableRawPointer?

    /// Maps the regular file at `path` read-only (an empty file maps to no memory).
    public init(path: String) throws(MappedFileError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFileError(path: path, step: .open, code: errno, size: 0) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw MappedFileError(path: path, step: .stat, code: errno, size: 0) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw MappedFileError(path: path, step: .notRegularFile, code: 0, size: 0)
        }
        let size = Int(st.st_size)
        count = size
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw MappedFileError(path: path, step: .map, code: errno, size: size) }
        base = p
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// The whole mapping, valid only inside `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
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
}
