#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
/// Everything that can go wrong loading a vocabulary or encoding/decoding with it. Each case
/// carries the context a user needs to fix the input (file, offset or line, expected vs found);
/// `description` adds a hint.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A vocabulary file could not be opened or read (`errno` from the C library).
    case cannotRead(path: String, errno: Int32)
    /// The file's bytes do not follow its format at `offset` (bytes from the start).
    case malformed(path: String, offset: Int, expected: String, found: String)
    /// A merge line names a token (or makes one) that the token list does not have.
    case unknownMergeToken(path: String, line: Int, token: String)
    /// The same token text appears twice, or two tokens claim one id.
    case duplicateToken(path: String, token: String, id: Int)
    /// The token list has a hole or an id out of range.
    case badTokenID(path: String, id: Int, expected: String)
    /// The vocabulary value itself cannot make a tokenizer (e.g. a missing single-byte token).
    case invalidVocabulary(String)
    /// No vocabulary was found by `Vocabulary.loadDefault()`; lists the places searched.
    case vocabularyNotFound(searched: [String])
    /// `encode` met special-token text that the caller did not allow (tiktoken raises too).
    case disallowedSpecialToken(token: String, byteOffset: Int)
    /// `decode` met an id that is neither an ordinary nor a special token.
    case invalidTokenID(id: Int, position: Int, vocabularySize: Int)
    /// A merge (merges.txt line, tokenizer.json `model.merges[i]`) that cannot be applied:
    /// `location` says where, `merge` is the merge as written, `problem` what is wrong with it.
    case invalidMerge(path: String, location: String, merge: String, problem: String)
    /// A merge list with no merges: without them BPE would only ever emit single bytes.
    case noMerges(path: String)
    /// A well-formed file whose content GPT2Kit cannot use as a GPT-2 byte-level BPE vocabulary.
    case unsupportedVocabulary(path: String, problem: String, hint: String)
    /// `Vocabulary.load(path:)` found no vocabulary format it knows at `path`.
    case unrecognizedVocabulary(path: String, lookedFor: [String])
    /// A character-level vocabulary (nanoGPT `meta.pkl`) has no token for this character.
    case unknownCharacter(scalar: UInt32, byteOffset: Int)

    /// The message shown to the user, with a HINT line where there is one.
    public var description: String {
        switch self {
        case let .cannotRead(path, errno):
            return "cannot read '\(path)': \(String(cString: strerror(errno))) (errno \(errno))\nHINT: check the path; run Tools/setup to install Vocab/"
        case let .malformed(path, offset, expected, found):
            return "'\(path)' is malformed at byte \(offset): expected \(expected), found \(found)\nHINT: the file is truncated or not in the format its name says"
        case let .unknownMergeToken(path, line, token):
            return "'\(path)' line \(line): merge names token '\(token)' that the vocabulary does not have\nHINT: encoder.json and vocab.bpe must come from the same tokenizer"
        case let .duplicateToken(path, token, id):
            return "'\(path)': token '\(token)' appears twice (again as id \(id))"
        case let .badTokenID(path, id, expected):
            return "'\(path)': token id \(id) is invalid: expected \(expected)"
        case let .invalidVocabulary(why):
            return "invalid vocabulary: \(why)"
        case let .vocabularyNotFound(searched):
            return "no GPT-2 vocabulary found (searched: \(searched.joined(separator: ", ")))\nHINT: run Tools/setup, set GPT2KIT_VOCAB to a directory with encoder.json + vocab.bpe, or pass --vocab"
        case let .disallowedSpecialToken(token, offset):
            return "the text contains the special token '\(token)' at byte \(offset), which is not allowed\nHINT: allow it to encode it as its id, or encode it as ordinary text"
        case let .invalidTokenID(id, position, size):
            return "token id \(id) at position \(position) is not in the vocabulary (\(size) ids)"
        case let .invalidMerge(path, location, merge, problem):
            return "'\(path)' \(location): merge '\(merge)': \(problem)\nHINT: the merges and the vocabulary must come from the same tokenizer, in rank order"
        case let .noMerges(path):
            return "'\(path)' has zero merges\nHINT: a byte-level BPE needs its merge list; the file is empty, cut short or not a BPE vocabulary"
        case let .unsupportedVocabulary(path, problem, hint):
            return "'\(path)': \(problem)\nHINT: \(hint)"
        case let .unrecognizedVocabulary(path, lookedFor):
            return "no vocabulary found at '\(path)'; looked for: \(lookedFor.joined(separator: "; "))\nHINT: pass a directory or file in one of these formats"
        case let .unknownCharacter(scalar, offset):
            return "character U+\(String(scalar, radix: 16, uppercase: true)) at byte \(offset) is not in the character vocabulary\nHINT: a character-level model can only encode the characters it was trained on"
        }
    }
}
