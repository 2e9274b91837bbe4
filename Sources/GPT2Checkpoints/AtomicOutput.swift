#if canImport(Glibc)
import Glibc
#endif
import GPT2ModelFile
import GPT2Support

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
        var template = Array(TemporaryFiles.template(beside: trimmed).utf8CString)
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
        return try AtomicFile.checkpoint(path: Paths.join(tempPath, name))
    }

    func commit() throws {
        guard rename(tempPath, path) == 0 else {
            throw CheckpointError(.io, file: path, "renaming the written directory into place failed: \(String(cString: strerror(errno)))",
                                  hint: "another process may have created the directory meanwhile")
        }
        committed = true
    }
}

extension AtomicFile {
    /// An atomic file whose failures are `CheckpointError(.io)` naming the file.
    static func checkpoint(path: String) throws -> AtomicFile {
        try AtomicFile(path: path) { message, hint, _ in
            // The message starts with the path; CheckpointError prints the file itself.
            let text = message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message
            return CheckpointError(.io, file: path, text, hint: hint)
        }
    }
}
