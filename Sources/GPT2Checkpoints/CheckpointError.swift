/// Every failure a checkpoint reader reports: what went wrong (`kind`, stable for tests and
/// scripts), where (`file`, byte `offset` when there is one), a message with expected vs found,
/// and a hint telling the user what to do.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, stable for tests and scripts.
    public enum Kind: String, Sendable, Equatable {
        /// The file could not be opened, stat'ed or mapped.
        case io
        /// A read ran past the end of the file (or of the structure being read).
        case truncated
        /// A length field is larger than the file or than a sanity cap.
        case headerTooLarge
        /// Magic bytes / number that identify the format are wrong.
        case badMagic
        /// A format version this reader does not know.
        case unsupportedVersion
        /// An element type (dtype) this reader does not support.
        case unsupportedDType
        /// A tensor's byte range lies outside the data area or is not where the format says.
        case invalidOffset
        /// Two tensors' byte ranges overlap, or leave a hole between them.
        case overlappingData
        /// A tensor's shape disagrees with its byte size or with the configuration.
        case shapeMismatch
        /// The same name occurs twice.
        case duplicateName
        /// A tensor the model needs is absent.
        case missingTensor
        /// A tensor name the reader does not recognise.
        case unknownTensor
        /// Malformed JSON or a JSON value of the wrong type.
        case badJSON
        /// Hyperparameters missing or invalid.
        case badConfig
        /// The tokenizer beside the weights cannot be read.
        case badTokenizer
        /// A stored checksum does not match the bytes.
        case checksumMismatch
        /// A structure (block, varint, protobuf, pickle...) is malformed.
        case corrupt
        /// No known checkpoint layout matches the path.
        case unknownLayout
        /// Valid input that uses a feature this reader does not implement.
        case unsupported
    }

    /// What went wrong.
    public var kind: Kind
    /// The file concerned.
    public var file: String
    /// Byte offset in `file`, when there is one.
    public var offset: Int?
    /// What was expected and what was found.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// An error of `kind` in `file`, at `offset`, with its message and hint.
    public init(_ kind: Kind, file: String, offset: Int? = nil, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.file = file
        self.offset = offset
        self.message = message
        self.hint = hint
    }

    /// `file @offset: kind: message`, then a HINT line when there is one.
    public var description: String {
        var s = "\(file)"
        if let offset { s += " @\(offset)" }
        s += ": \(kind.rawValue): \(message)"
        if let hint { s += "\nHINT: \(hint)" }
        return s
    }
}
