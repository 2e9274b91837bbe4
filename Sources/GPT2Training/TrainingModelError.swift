import GPT2ModelFile

/// A model that cannot be trained as asked: a bad configuration, a file that is not a usable
/// GPT-2, or a batch that does not fit the model. `description` says what and where; `hint`
/// what to do.
public struct TrainingModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var hint: String
    public var description: String { "\(message)\nHINT: \(hint)" }

    public init(_ message: String, hint: String) {
        self.message = message
        self.hint = hint
    }
}
