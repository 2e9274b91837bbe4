import GPT2ModelFile

/// A model that cannot be trained as asked: a bad configuration, a file that is not a usable
/// GPT-2, or a batch that does not fit the model. `description` says what and where; `hint`
/// what to do.
public struct TrainingModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The failure, with the ids or sizes involved.
    public var message: String
    /// What to do about it.
    public var hint: String
    /// The message and a HINT line.
    public var description: String { "\(message)\nHINT: \(hint)" }

    /// An error with its message and hint.
    public init(_ message: String, hint: String) {
        self.message = message
        self.hint = hint
    }
}
