/// Everything that can go wrong between a model file and generated text, with the context a
/// user needs to fix it (names, expected vs found, a hint).
public enum RuntimeError: Error, Equatable, CustomStringConvertible {
    /// A hyperparameter the forward pass cannot work with (e.g. n_embd not divisible by n_head).
    case invalidConfig(String)
    /// A tensor the config requires is not in the file.
    case missingTensor(String)
    /// A tensor has another shape than the config implies.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A tensor's bytes do not match its shape and element type.
    case sizeMismatch(name: String, expectedBytes: Int, foundBytes: Int)
    /// A tensor's element type is not allowed where it is used (e.g. q8_0 for a LayerNorm).
    case unsupportedType(name: String, type: String)
    /// The prompt tokenizes to no tokens at all.
    case emptyPrompt
    /// More prompt tokens than the model has positions.
    case promptTooLong(tokens: Int, nCtx: Int)
    /// A token id outside the model's vocabulary.
    case tokenOutOfRange(id: Int, vocabSize: Int)
    /// A sampling or generation option out of its range.
    case invalidOption(String)
    /// Memory for the KV cache or activations could not be allocated.
    case outOfMemory(what: String, bytes: Int)
    /// The text for perplexity has fewer than two tokens: nothing to predict.
    case textTooShort(tokens: Int)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .invalidConfig(let m):
            return "invalid model config: \(m)"
        case .missingTensor(let n):
            return "tensor '\(n)' is missing from the model\nHINT: the file is incomplete or was written for another config"
        case .shapeMismatch(let n, let e, let f):
            return "tensor '\(n)' has shape \(f), the config needs \(e)"
        case .sizeMismatch(let n, let e, let f):
            return "tensor '\(n)' holds \(f) bytes, its shape and type need \(e)"
        case .unsupportedType(let n, let t):
            return "tensor '\(n)' has element type \(t), which the runtime cannot use there"
        case .emptyPrompt:
            return "the prompt tokenizes to no tokens\nHINT: give a non-empty prompt with -p, -f or on stdin"
        case .promptTooLong(let t, let c):
            return "the prompt is \(t) tokens, longer than the model's context of \(c) tokens\nHINT: shorten the prompt to at most \(c) tokens"
        case .tokenOutOfRange(let id, let v):
            return "token id \(id) is outside the model's vocabulary of \(v)"
        case .invalidOption(let m):
            return m
        case .outOfMemory(let w, let b):
            return "cannot allocate \(b) bytes for \(w)\nHINT: the model's n_ctx × n_layer × n_embd is too large for this machine"
        case .textTooShort(let t):
            return "the text is \(t) token(s): perplexity needs at least 2"
        }
    }
}
