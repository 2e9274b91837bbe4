import GPT2Tokenizer

/// How `tokenize` writes ids. Every text format gives one record per input:
///
///     ids (default)  31373 995              ids separated by one space, a newline at the end
///     --json         [31373, 995]           a JSON array per input (JSON Lines for several)
///     --tokens        31373 -> 'hello'      one token per line: id (width 6) and its bytes
///                       995 -> ' world'       quoted, like llama.cpp's llama-tokenize
///     --count        2                      the number of tokens (followed by the file name
///                                           when there are several inputs)
///     --format u16   little-endian uint16 per id, nanoGPT's train.bin layout, no framing
///
/// In `--tokens`, bytes that are not printable UTF-8 are escaped: `\n`, `\t`, `\r`, `\\`,
/// `\'` and `\xNN` for control bytes and for bytes of an incomplete or invalid UTF-8
/// sequence (a token like 49426 holds part of a character).
enum TokenOutputFormat: Sendable {
    case ids, json, tokens, count, u16

    /// What every id but the input's first is preceded by.
    var separator: [UInt8] {
        switch self {
        case .ids: return [0x20]
        case .json: return Array(", ".utf8)
        default: return []
        }
    }

    var opening: [UInt8] { self == .json ? [UInt8(ascii: "[")] : [] }
    var closing: [UInt8] {
        switch self {
        case .ids: return [0x0A]
        case .json: return Array("]\n".utf8)
        default: return []
        }
    }

    /// Appends `ids` to `out`, each with its separator in front. Returns the index of the first
    /// id that `u16` cannot hold, if any (nothing from it on is written).
    func append(_ ids: [Int], to out: inout [UInt8], tokenizer: Tokenizer) -> Int? {
        switch self {
        case .count:
            return nil
        case .u16:
            out.reserveCapacity(out.count + 2 * ids.count)
            for (i, id) in ids.enumerated() {
                guard id >= 0, id <= 0xFFFF else { return i }
                out.append(UInt8(truncatingIfNeeded: id))
                out.append(UInt8(truncatingIfNeeded: id >> 8))
            }
            return nil
        case .ids, .json:
            let sep = separator
            out.reserveCapacity(out.count + 6 * ids.count)
            for id in ids {
                out.append(contentsOf: sep)
                appendDecimal(id, to: &out)
            }
            return nil
        case .tokens:
            for id in ids {
                var digits: [UInt8] = []
                appendDecimal(id, to: &digits)
                if digits.count < 6 { out.append(contentsOf: repeatElement(0x20, count: 6 - digits.count)) }
                out.append(contentsOf: digits)
                out.append(contentsOf: " -> '".utf8)
                appendEscaped((try? tokenizer.tokenBytes(id)) ?? [], to: &out)
                out.append(contentsOf: "'\n".utf8)
            }
            return nil
        }
    }
}

/// Decimal digits of a non-negative `value`.
@inline(__always)
func appendDecimal(_ value: Int, to out: inout [UInt8]) {
    let start = out.count
    var v = value
    repeat {
        out.append(UInt8(truncatingIfNeeded: 0x30 + v % 10))
        v /= 10
    } while v > 0
    out[start...].reverse()
}

/// Token bytes as readable text for `--tokens` (see `TokenOutputFormat`).
func appendEscaped(_ bytes: [UInt8], to out: inout [UInt8]) {
    var parser = Unicode.UTF8.ForwardParser()
    var it = bytes.makeIterator()
    func hex(_ b: UInt8) {
        let digits = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [0x5C, 0x78, digits[Int(b >> 4)], digits[Int(b & 15)]])   // \xNN
    }
    var at = 0
    while true {
        switch parser.parseScalar(from: &it) {
        case .valid(let encoded):
            let n = encoded.count
            if n == 1 {
                let b = bytes[at]
                switch b {
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x27: out.append(contentsOf: [0x5C, 0x27])
                case 0x20...0x7E: out.append(b)
                default: hex(b)
                }
            } else {
                out.append(contentsOf: bytes[at..<(at + n)])
            }
            at += n
        case .error(let length):
            for b in bytes[at..<(at + length)] { hex(b) }
            at += length
        case .emptyInput:
            return
        }
    }
}
