import GPT2Support

/// The checkpoint readers' view of `GPT2Support.ByteReader`: every failed read is a
/// `CheckpointError` with the file, the absolute offset, what was needed and a hint.
extension ByteReader {
    /// A reader over a whole mapped file.
    init(file: MappedFile) {
        self.init(file: file, errors: CheckpointError.init(reading:))
    }

    /// A reader over `bytes`; `origin` is where they came from in `file`, for error offsets.
    init(bytes: [UInt8], file: String, origin: Int = 0) {
        self.init(bytes: bytes, file: file, origin: origin, errors: CheckpointError.init(reading:))
    }

    /// An error at the current position (or at `pos`, a position in this reader's storage).
    func error(_ kind: CheckpointError.Kind, _ message: String, hint: String? = nil,
               at pos: Int? = nil) -> CheckpointError {
        CheckpointError(kind, file: file, offset: origin + (pos ?? offset), message, hint: hint)
    }
}

extension CheckpointError {
    /// A failed `ByteReader` read as the readers report it.
    @Sendable init(reading e: ByteReadError) {
        let kind: Kind
        switch e.kind {
        case .truncated: kind = .truncated
        case .tooLarge: kind = .headerTooLarge
        case .corrupt: kind = .corrupt
        }
        self.init(kind, file: e.file, offset: e.offset, e.message, hint: e.hint)
    }
}
