import GPT2Support
/// Everything that can be wrong with a model file (or with a request to write one), with the
/// context a user needs: which file, where in it, what was expected and found, what to do.
public struct ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, stable for tests and scripts.
    public enum Kind: String, Sendable, Equatable {
        case io                      // open/read/write/rename failed (errno in `found`)
        case truncated               // the file is shorter than its header says
        case badMagic                // not a GPT2Kit model file
        case unsupportedVersion      // newer structural major version (or unknown flags)
        case badHeader               // inconsistent sizes, offsets or alignment in the header
        case headerChecksum          // CRC32C of header + metadata + table does not match
        case badMetadata             // JSON that does not parse, or a required key missing/wrong
        case badTable                // malformed tensor table entry
        case unknownDType
        case unknownCodec
        case shapeMismatch           // shape, dtype and sizes disagree
        case outOfRange              // a tensor's bytes are outside the data region
        case misaligned              // a tensor does not start on the alignment
        case overlap                 // two tensors share bytes
        case duplicateName
        case checksumMismatch        // decoded bytes do not match the stored CRC32C
        case corruptPayload          // a compressed payload that does not decode
        case missingTensor           // asked for a name the file does not hold
        case unsupportedArchitecture
        case invalidArgument         // a writer call that would produce a bad file
    }

    /// What went wrong.
    public var kind: Kind
    /// The model file's path.
    public var file: String
    /// Byte offset in the file where the problem is, when there is one.
    public var offset: Int?
    /// The tensor concerned, when there is one.
    public var tensor: String?
    /// What the file should hold there.
    public var expected: String?
    /// What it holds.
    public var found: String?
    /// What to do about it.
    public var hint: String

    /// An error of `kind` in `file`, with where, what was expected and found, and a hint.
    public init(_ kind: Kind, file: String, offset: Int? = nil, tensor: String? = nil,
                expected: String? = nil, found: String? = nil, hint: String) {
        self.kind = kind
        self.file = file
        self.offset = offset
        self.tensor = tensor
        self.expected = expected
        self.found = found
        self.hint = hint
    }

    /// One line with the file, offset, tensor, expected and found, then a HINT line.
    public var description: String {
        var s = "\(file)"
        if let offset { s += " @\(offset)" }
        s += ": \(kind.rawValue)"
        if let tensor { s += " in tensor '\(tensor)'" }
        if let expected { s += "; expected \(expected)" }
        if let found { s += ", found \(found)" }
        s += "\nHINT: \(hint)"
        return s
    }
}
