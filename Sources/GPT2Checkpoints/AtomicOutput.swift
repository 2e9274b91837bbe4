#if canImport(Glibc)
import Glibc
#endif
import GPT2ModelFile
import GPT2Support

/// A file written as a temporary file beside `path` (`TemporaryFiles`: removed on errors, when
/// dropped uncommitted, and on SIGINT/SIGTERM/SIGHUP) and renamed into place by `commit()`,
/// so a failed export leaves nothing at `path`. Buffered; errors are `CheckpointError(.io)`.
final class AtomicFile {
    let path: String
    private let fd: Int32
    private let tempPath: String
    private var buffer: [UInt8] = []
    private var committed = false
    /// Bytes written so far.
    private(set) var position = 0
    static let flushBytes = 1 << 20

    init(path: String) throws {
        self.path = path
        do {
            (fd, tempPath) = try TemporaryFiles.create(beside: path)
        } catch {
            throw CheckpointError(.io, file: path, "cannot create a temporary file beside it: \(String(cString: strerror(error.errno)))",
                                  hint: "check that the directory exists and is writable")
        }
        buffer.reserveCapacity(Self.flushBytes)
    }

    deinit {
        close(fd)
        if !committed { unlink(tempPath) }
        TemporaryFiles.unregister(tempPath)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        position += bytes.count
        if buffer.count >= Self.flushBytes { try flush() }
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Zeros up to the next multiple of `alignment`.
    func pad(to alignment: Int) throws {
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
    func commit() throws {
        try flush()
        guard fsync(fd) == 0 else { throw ioError("syncing") }
        fchmod(fd, 0o644)
        guard rename(tempPath, path) == 0 else { throw ioError("renaming into place") }
        committed = true
    }

    private func ioError(_ what: String) -> CheckpointError {
        CheckpointError(.io, file: path, "\(what) failed: \(String(cString: strerror(errno)))",
                        hint: "check free disk space and permissions of the output directory")
    }
}

/// A directory written as `.NAME.tmp-XXXXXX` beside `path` and renamed into place by
/// `commit()`; removed (with what was written in it) when dropped uncommitted. `path` must not
/// exist, or be an empty directory (which the rename replaces).
final class AtomicDirectory {
    let path: String
    let tempPath: String
    private var files: [String] = []
    private var committed = false

    init(path: String) throws {
        self.path = path
        if Paths.isDirectory(path), !Paths.list(path).isEmpty {
            throw CheckpointError(.io, file: path, "the output directory exists and is not empty",
                                  hint: "remove it or choose another directory: exporting never overwrites files")
        }
        if Paths.isFile(path) {
            throw CheckpointError(.io, file: path, "the output path is a file", hint: "give a directory path for --to hf")
        }
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let slash = trimmed.lastIndex(of: "/")
        let dir = slash.map { String(trimmed[...$0]) } ?? ""
        let name = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
        var template = Array("\(dir).\(name).tmp-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CheckpointError(.io, file: path, "cannot create a temporary directory beside it: \(String(cString: strerror(errno)))",
                                  hint: "check that the parent directory exists and is writable")
        }
        tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(tempPath, 0o755)
    }

    deinit {
        guard !committed else { return }
        for f in files { unlink(Paths.join(tempPath, f)) }
        rmdir(tempPath)
    }

    /// A file `name` inside the directory; commit it before the directory.
    func file(_ name: String) throws -> AtomicFile {
        files.append(name)
        return try AtomicFile(path: Paths.join(tempPath, name))
    }

    func commit() throws {
        guard rename(tempPath, path) == 0 else {
            throw CheckpointError(.io, file: path, "renaming the written directory into place failed: \(String(cString: strerror(errno)))",
                                  hint: "another process may have created the directory meanwhile")
        }
        committed = true
    }
}
