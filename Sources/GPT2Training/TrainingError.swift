/// Why `gpt2kit train` cannot start or continue: each case names the file, step or sizes
/// involved (`description`) and what to do (`hint`). Tests match on `kind`.
public struct TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
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

    public var kind: Kind
    public var message: String
    public var hint: String
    public var description: String { "\(message)\nHINT: \(hint)" }

    public init(_ kind: Kind, _ message: String, hint: String) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }
}
