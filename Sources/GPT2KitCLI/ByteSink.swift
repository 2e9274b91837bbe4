import Glibc
import GPT2ModelFile

/// Buffered output to standard output or to a file. A file is written as a temporary file
/// beside it and renamed into place by `finish()`, so an error half-way leaves no partial file
/// (the temporary one is removed in `deinit` if `finish()` never ran, and by
/// `TemporaryFiles`' handler on SIGINT/SIGTERM/SIGHUP, the same mechanism `convert` uses).
final class ByteSink {
    private let fd: Int32
    private let path: String?      // final path when writing a file
    private let tempPath: String?
    private var buffer: [UInt8] = []
    private var finished = false
    static let flushBytes = 1 << 20

    /// `path == nil` or "-" writes to standard output.
    init(path: String?) throws {
        guard let path, path != "-" else {
            fd = 1; self.path = nil; tempPath = nil
            buffer.reserveCapacity(Self.flushBytes)
            return
        }
        TemporaryFiles.installSignalCleanup()
        let made: (fd: Int32, path: String)
        do { made = try TemporaryFiles.create(beside: path) } catch { throw TokenIOError.cannotWrite(path: path, errno: error.errno) }
        fd = made.fd
        self.path = path
        tempPath = made.path
        buffer.reserveCapacity(Self.flushBytes)
    }

    deinit {
        guard let tempPath else {
            try? flush()   // standard output keeps what was produced before an error, as a stream would
            return
        }
        close(fd)
        if !finished { unlink(tempPath) }
        TemporaryFiles.unregister(tempPath)
    }

    var name: String { path ?? "standard output" }

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushBytes { try flush() }
    }

    func write(_ text: String) throws { try write(Array(text.utf8)) }

    func flush() throws {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TokenIOError.cannotWrite(path: name, errno: errno)
            }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and, for a file, moves it into place.
    func finish() throws {
        try flush()
        guard let path, let tempPath else { return }
        fchmod(fd, 0o644)
        guard rename(tempPath, path) == 0 else { throw TokenIOError.cannotWrite(path: path, errno: errno) }
        finished = true
    }
}
