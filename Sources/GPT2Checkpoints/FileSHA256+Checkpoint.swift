import GPT2Support

extension FileSHA256 {
    /// `hexDigest(ofFile:)` with its failure as a `CheckpointError` of kind `.io` (what the
    /// converter reports when a source file cannot be hashed).
    static func checkpointHexDigest(ofFile path: String) throws(CheckpointError) -> String {
        do {
            return try hexDigest(ofFile: path)
        } catch {
            switch error.step {
            case .open:
                throw CheckpointError(.io, file: path, "cannot open for hashing: \(error.reason)")
            case .read:
                throw CheckpointError(.io, file: path, offset: error.offset, "read failed while hashing: \(error.reason)")
            }
        }
    }
}
