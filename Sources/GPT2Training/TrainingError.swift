/// Why `gpt2kit train` cannot start or continue: each case names the file, step or sizes
/// involved (`description`) and what to do (`hint`). Tests match on `kind`.
public struct TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, stable for tests and scripts.
    public enum Kind: String, Sendable, Equatable {
        /// The data file or directory cannot be read or holds nothing.
        case emptyData
        /// A split is too short for one window of block size + 1 tokens.
        case splitTooShort
        /// Data that is not what the tokenizer or reader expects (bad UTF-8, odd .bin size, id
        /// outside the vocabulary).
        case badData
        /// The model configuration is not trainable (n_embd % n_head, block size above n_ctx...).
        case badConfiguration
        /// `--init-from` model whose vocabulary differs from the data's.
        case vocabularyMismatch
        /// The loss or gradient norm stopped being finite.
        case nonFiniteLoss
        /// The run needs more memory than the machine has.
        case outOfMemory
        /// A resume state that is missing, damaged or belongs to another run.
        case badResumeState
        /// Writing an output failed.
        case io
    }

    /// What went wrong.
    public var kind: Kind
    /// The failure, with the file, step or sizes involved.
    public var message: String
    /// What to do about it.
    public var hint: String
    /// The message and a HINT line.
    public var description: String { "\(message)\nHINT: \(hint)" }

    /// An error of `kind` with its message and hint.
    public init(_ kind: Kind, _ message: String, hint: String) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }
}
