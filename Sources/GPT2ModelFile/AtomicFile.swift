#if canImport(Glibc)
import Glibc
#endif

/// A file written as a temporary file beside `path` (`TemporaryFiles`: removed on errors, when
/// dropped uncommitted, and on SIGINT/SIGTERM/SIGHUP) and renamed into place by `commit()`
/// after an fsync, so a reader of `path` sees the old file or the new one, never half of one.
/// Buffered. The package's one writer of whole files other than the model file (exports,
/// resume state, loss curves, `tokenize -o`); each caller's module turns a failure into its own
/// typed error with `failure` (message, hint, the C library's errno).
package final class AtomicFile {
    /// Turns a failure's message, hint and errno into the caller's own error type.
    package typealias Failure = @Sendable (_ message: String, _ hint: String, _ errno: Int32) -> any Error
    /// The final path (the temporary file is renamed to it by `commit()`).
    package let path: String
    private let fd: Int32
    private let tempPath: String
    private var buffer: [UInt8] = []
    private var committed = false
    private let failure: Failure
    /// Bytes written so far.
    package private(set) var position = 0
    static let flushBytes = 1 << 20

    /// Creates the temporary file beside `path`; throws through `failure` when it cannot.
    package init(path: String, failure: @escaping Failure) throws {
        self.path = path
        self.failure = failure
        do {
            (fd, tempPath) = try TemporaryFiles.create(beside: path)
        } catch {
            throw failure("\(path): cannot create a temporary file beside it: \(String(cString: strerror(error.errno)))",
                          "check that the directory exists and is writable", error.errno)
        }
        buffer.reserveCapacity(Self.flushBytes)
    }

    deinit {
        close(fd)
        if !committed { unlink(tempPath) }
        TemporaryFiles.unregister(tempPath)
    }

    /// Appends `bytes` (buffered).
    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        position += bytes.count
        if buffer.count >= Self.flushBytes { try flush() }
    }

    /// Appends `bytes` (buffered).
    package func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Zeros up to the next multiple of `alignment`.
    package func pad(to alignment: Int) throws {
        let n = (alignment - position % alignment) % alignment
        try write([UInt8](repeating: 0, count: n))
    }

    private func flush() throws {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("writing")
            }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, syncs, and renames the file into place.
    package func commit() throws {
        try flush()
        guard fsync(fd) == 0 else { throw ioError("syncing") }
        fchmod(fd, 0o644)
        guard rename(tempPath, path) == 0 else { throw ioError("renaming into place") }
        committed = true
    }

    private func ioError(_ what: String) -> any Error {
        let code = errno
        return failure("\(path): \(what) failed: \(String(cString: strerror(code)))",
                       "check free disk space and permissions of the output directory", code)
    }
}
