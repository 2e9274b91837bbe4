import GPT2ModelFile

extension AtomicFile {
    /// An atomic file (temporary file beside `path`, fsync, rename) whose failures are
    /// `TrainingError(.io)`: the resume state and the loss curve.
    static func training(path: String) throws -> AtomicFile {
        try AtomicFile(path: path) { message, hint, _ in TrainingError(.io, message, hint: hint) }
    }
}
