import GPT2Support

/// The checkpoint readers' view of `GPT2Support.MappedFile`: mapping errors become
/// `CheckpointError`s, and readers start from a bounds-checked `ByteReader`.
extension MappedFile {
    /// Maps `path` read-only; failures are `CheckpointError`s of kind `.io`.
    static func checkpoint(_ path: String) throws -> MappedFile {
        do {
            return try MappedFile(path: path)
        } catch {
            switch error.step {
            case .open:
                throw CheckpointError(.io, file: path, "cannot open: \(error.reason)",
                                      hint: "check that the path exists and is readable")
            case .stat:
                throw CheckpointError(.io, file: path, "cannot stat: \(error.reason)")
            case .notRegularFile:
                throw CheckpointError(.io, file: path, "not a regular file",
                                      hint: "pass a file, or the directory holding the checkpoint")
            case .map:
                throw CheckpointError(.io, file: path, "cannot mmap \(error.size) bytes: \(error.reason)")
            }
        }
    }

    /// A reader over the whole file, positioned at 0.
    func reader() -> ByteReader { ByteReader(file: self) }

    /// A bounds-checked copy of `count` bytes at `offset`.
    func bytes(at offset: Int, count n: Int) throws -> [UInt8] {
        var r = reader()
        try r.seek(to: offset)
        return try r.bytes(n)
    }
}
