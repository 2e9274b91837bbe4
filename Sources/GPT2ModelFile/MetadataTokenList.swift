#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GPT2Support
import GPT2Tokenizer

/// The fast read of the embedded vocabulary: `tokenizer.tokens` (50,257 base64 strings for
/// GPT-2, ~90 % of the metadata) decoded straight from the metadata text, and the rest of the
/// document handed to json-c with that array replaced by `[]`. Through json-c every token became
/// a json-c object, a Swift `JSON` value and a `String`, each made and freed: ~2,300
/// instructions a token, 115 M of the 186 M instructions of `gpt2kit generate` on a tiny model
/// (callgrind).
///
/// Only the plain shape writers produce takes this path: the one `"tokenizer"` key of the
/// top-level object, its one `"tokens"` key, an array of strings of base64 characters
/// (valid base64, no escapes). Anything else — an escaped key, an escape in a token, invalid
/// base64, malformed text — returns nil and the whole document goes through json-c, which
/// reports the error as before. The bytes before the array are unchanged in the remainder, so
/// json-c meets any error there at the same offset; after it, offsets shift by a known amount.
struct MetadataTokenList {
    /// Byte range of the array (from `[` to `]`) in the metadata.
    let span: Range<Int>
    let tokens: TokenBytes

    static func extract(_ text: UnsafeRawBufferPointer) -> MetadataTokenList? {
        guard let base = text.baseAddress, text.count > 0 else { return nil }
        let s = Scanner(p: base.assumingMemoryBound(to: UInt8.self), n: text.count)
        var list: MetadataTokenList?
        // One pass: each value is read where it is met, the token array by the decoder itself.
        let top = s.object(at: 0, key: "tokenizer") { tokenizer in
            s.object(at: tokenizer, key: "tokens") { array in
                list = s.base64Strings(at: array)
                return list?.span.upperBound
            }
        }
        return top == nil ? nil : list
    }

    /// The metadata with the array replaced by `[]`, for json-c.
    func remainder(of text: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count - span.count + 2)
        out.append(contentsOf: text[..<span.lowerBound])
        out.append(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "]")])
        out.append(contentsOf: text[span.upperBound...])
        return out
    }

    /// The offset in the original text of `offset` in the remainder.
    func originalOffset(_ offset: Int) -> Int {
        offset < span.lowerBound + 2 ? offset : offset + span.count - 2
    }
}

/// A forward-only reader of JSON structure: enough to find a value's position in a valid
/// document; on anything unexpected it gives up (nil) rather than judge validity.
private struct Scanner {
    let p: UnsafePointer<UInt8>
    let n: Int

    func skipSpace(_ i: Int) -> Int {
        var i = i
        while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
        return i
    }

    /// End (one past the closing quote) of the string starting at `i`, and whether it had
    /// escapes.
    func stringEnd(_ i: Int) -> (end: Int, escaped: Bool)? {
        guard i < n, p[i] == UInt8(ascii: "\"") else { return nil }
        var j = i + 1, escaped = false
        while j < n {
            switch p[j] {
            case UInt8(ascii: "\""): return (j + 1, escaped)
            case UInt8(ascii: "\\"): escaped = true; j += 2
            default: j += 1
            }
        }
        return nil
    }

    /// End of the value starting at `i` (strings, nested containers, literals and numbers).
    func valueEnd(_ i: Int) -> Int? {
        guard i < n else { return nil }
        switch p[i] {
        case UInt8(ascii: "\""):
            return stringEnd(i)?.end
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0, j = i
            while j < n {
                switch p[j] {
                case UInt8(ascii: "\""):
                    guard let e = stringEnd(j) else { return nil }
                    j = e.end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return j + 1 }
                default: break
                }
                j += 1
            }
            return nil
        default:
            var j = i
            while j < n, !isDelimiter(p[j]) { j += 1 }
            return j > i ? j : nil
        }
    }

    func isDelimiter(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]")
            || c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09
    }

    /// End of the object at `i` (after leading space), calling `read` on the start of the value
    /// of `key`, which returns that value's end. nil if `key` is absent or occurs twice (json-c
    /// keeps the last, JSON leaves it open), if any key is escaped (it might spell `key`), if
    /// `read` fails, or on malformed text.
    func object(at i: Int, key: StaticString, read: (Int) -> Int?) -> Int? {
        var i = skipSpace(i), found = false
        guard i < n, p[i] == UInt8(ascii: "{") else { return nil }
        i = skipSpace(i + 1)
        while i < n, p[i] == UInt8(ascii: "\"") {
            guard let k = stringEnd(i), !k.escaped else { return nil }
            let v = skipSpace(k.end)
            guard v < n, p[v] == UInt8(ascii: ":") else { return nil }
            let value = skipSpace(v + 1)
            let e: Int?
            if k.end - i - 2 == key.utf8CodeUnitCount, memcmp(p + i + 1, key.utf8Start, key.utf8CodeUnitCount) == 0 {
                guard !found else { return nil }
                found = true
                e = read(value)
            } else {
                e = valueEnd(value)
            }
            guard let e else { return nil }
            i = skipSpace(e)
            guard i < n, p[i] == UInt8(ascii: ",") else { break }
            i = skipSpace(i + 1)
        }
        return found && i < n && p[i] == UInt8(ascii: "}") ? i + 1 : nil
    }

    /// The array of base64 strings at `start`, decoded; nil if it is anything else.
    func base64Strings(at start: Int) -> MetadataTokenList? {
        guard start < n, p[start] == UInt8(ascii: "[") else { return nil }
        var starts = [0], end = -1
        // Decoded straight into one buffer: base64 never yields more than 3/4 of its text.
        let bytes = [UInt8](unsafeUninitializedCapacity: n / 4 * 3 + 3) { buf, count in
            count = 0
            var i = skipSpace(start + 1)
            if i < n, p[i] == UInt8(ascii: "]") { end = i + 1; return }
            while i < n, p[i] == UInt8(ascii: "\"") {
                var j = i + 1
                while j < n, Base64.isTextByte(p[j]) { j += 1 }
                guard j < n, p[j] == UInt8(ascii: "\""),
                      let k = Base64.decode(UnsafeBufferPointer(start: p + i + 1, count: j - i - 1),
                                            into: buf.baseAddress! + count) else { return }
                count += k
                starts.append(count)
                i = skipSpace(j + 1)
                guard i < n else { return }
                if p[i] == UInt8(ascii: "]") { end = i + 1; return }
                guard p[i] == UInt8(ascii: ",") else { return }
                i = skipSpace(i + 1)
            }
        }
        guard end > start else { return nil }
        return MetadataTokenList(span: start..<end, tokens: TokenBytes(bytes: bytes, starts: starts))
    }
}
