import Glibc
import GPT2ModelFile

/// Buffered output to standard output or to a file. A file is an `AtomicFile` (a temporary file
/// beside it, synced and renamed into place by `finish()`), so an error half-way leaves no
/// partial file: the temporary one is removed when the sink is dropped unfinished, and by
/// `TemporaryFiles`' handler on SIGINT/SIGTERM/SIGHUP, the same mechanism `convert` uses.
final class ByteSink {
    private enum Target {
        /// Standard output, with this sink's own buffer.
        case standardOutput
        case file(AtomicFile)
    }
    private let target: Target
    private var buffer: [UInt8] = []
    static let flushBytes = 1 << 20

    /// `path == nil` or "-" writes to standard output.
    init(path: String?) throws {
        guard let path, path != "-" else {
            target = .standardOutput
            buffer.reserveCapacity(Self.flushBytes)
            return
        }
        TemporaryFiles.installSignalCleanup()
        target = .file(try AtomicFile(path: path) { _, _, code in TokenIOError.cannotWrite(path: path, errno: code) })
    }

    deinit {
        // Standard output keeps what was produced before an error, as a stream would; an
        // unfinished file is removed by its AtomicFile.
        if case .standardOutput = target { try? flushStandardOutput() }
    }

    var name: String {
        if case .file(let f) = target { return f.path }
        return "standard output"
    }

    func write(_ bytes: [UInt8]) throws {
        switch target {
        case .file(let f): try f.write(bytes)
        case .standardOutput:
            buffer.append(contentsOf: bytes)
            if buffer.count >= Self.flushBytes { try flushStandardOutput() }
        }
    }

    func write(_ text: String) throws { try write(Array(text.utf8)) }

    private func flushStandardOutput() throws {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TokenIOError.cannotWrite(path: name, errno: errno)
            }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and, for a file, syncs it and moves it into place.
    func finish() throws {
        switch target {
        case .file(let f): try f.commit()
        case .standardOutput: try flushStandardOutput()
        }
    }
}
