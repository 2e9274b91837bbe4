#if canImport(Glibc)
import Glibc
#endif
import GPT2ModelFile

/// A whole file written as a hidden temporary file beside `path` (registered with
/// `TemporaryFiles`, so a signal removes it) and renamed into place by `commit()` after an
/// fsync: a reader of `path` sees the old file or the new one, never half of one. Used for the
/// resume state and the loss curve (the model file has `ModelFileWriter`, which does the same).
final class AtomicFileOutput {
    let path: String
    private var fd: Int32
    private let temporaryPath: String
    private var buffer: [UInt8] = []
    private var committed = false
    private(set) var position = 0

    init(path: String) throws {
        self.path = path
        do {
            (fd, temporaryPath) = try TemporaryFiles.create(beside: path)
        } catch {
            throw TrainingError(.io, "\(path): cannot create a temporary file beside it: \(String(cString: strerror(error.errno)))",
                                hint: "check that the output directory exists and is writable")
        }
        fchmod(fd, 0o644)
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
        TemporaryFiles.unregister(temporaryPath)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        position += bytes.count
        if bytes.count >= 1 << 20 {
            try flush()
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
            if buffer.count >= 1 << 20 { try flush() }
        }
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Syncs, closes and renames the file into place.
    func commit() throws {
        try flush()
        guard fsync(fd) == 0 else { throw failure("syncing") }
        let rc = close(fd)
        fd = -1
        guard rc == 0 else { throw failure("closing") }
        guard rename(temporaryPath, path) == 0 else { throw failure("renaming into place") }
        committed = true
    }

    private func flush() throws {
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { try writeAll($0) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("writing")
            }
            done += n
        }
    }

    private func failure(_ what: String) -> TrainingError {
        TrainingError(.io, "\(path): \(what) failed: \(String(cString: strerror(errno)))",
                      hint: "check free disk space and permissions of the output directory")
    }
}
