/// Errors of `tokenize` / `detokenize` about their input and output (vocabulary problems are
/// `TokenizerError`s). ArgumentParser prints the description to stderr and exits with 1.
enum TokenIOError: Error, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    case cannotWrite(path: String, errno: Int32)
    /// Input that is not UTF-8; `offset` counts bytes from the start of that input.
    case invalidUTF8(input: String, offset: Int)
    case specialTokenInText(input: String, token: String, offset: Int, id: Int)
    /// `--format u16` met an id that does not fit in 16 bits; `position` counts ids from 0.
    case idTooLargeForU16(input: String, id: Int, position: Int)
    case malformedIDText(input: String, offset: Int, found: String)
    case idOutOfRange(input: String, id: Int, position: Int, offset: Int?, vocabularySize: Int)
    case oddU16Length(input: String, length: Int)

    var description: String {
        switch self {
        case let .cannotOpen(path, errno):
            return "cannot open '\(path)': \(errnoText(errno))\nHINT: \(PathHint.text(path, errno: errno))"
        case let .cannotWrite(path, errno):
            return "cannot write '\(path)': \(errnoText(errno))\nHINT: " + Self.writeHint(errno)
        case let .invalidUTF8(input, offset):
            return "\(input): invalid UTF-8 at byte offset \(offset)\nHINT: pass --lossy to replace invalid bytes with U+FFFD"
        case let .specialTokenInText(input, token, offset, id):
            return "\(input): the text contains the special token \(token) at byte offset \(offset)\n"
                + "HINT: pass --allow-special to encode it as the special token (id \(id)), "
                + "or --special-as-text to encode it as ordinary text"
        case let .idTooLargeForU16(input, id, position):
            return "\(input): token id \(id) at position \(position) does not fit in --format u16 (max 65535)\n"
                + "HINT: use the text output for vocabularies of more than 65536 ids"
        case let .malformedIDText(input, offset, found):
            return "\(input): expected token ids (decimal, separated by spaces, newlines or commas) at byte offset \(offset), found \(found)\n"
                + "HINT: detokenize reads the ids `gpt2kit tokenize` prints; binary uint16 ids need --format u16"
        case let .idOutOfRange(input, id, position, offset, size):
            return "\(input): token id \(id) at position \(position)" + (offset.map { " (byte offset \($0))" } ?? "")
                + " is not in the vocabulary (\(size) ids)\nHINT: were the ids made with another vocabulary? pass it with --vocab"
        case let .oddU16Length(input, length):
            return "\(input): \(length) bytes is not a whole number of uint16 ids (2 bytes each): the input is truncated\n"
                + "HINT: the file was cut short, or it holds ids as text (drop --format u16)"
        }
    }

    /// What to do about a write that failed with `code`.
    static func writeHint(_ code: Int32) -> String {
        switch code {
        case ENOSPC, EDQUOT: return "the disk is full; free space or write elsewhere"
        case EPIPE: return "the reader of the output went away before the end"
        default: return "check that the output's directory exists and is writable"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }
