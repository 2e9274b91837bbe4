/// Token ids written as text — decimal numbers separated by whitespace or commas, optionally in
/// JSON brackets, so `tokenize`, `tokenize --json` and hand-typed lists all read back — parsed
/// incrementally: a number cut by a chunk boundary continues in the next chunk.
struct IDTextParser {
    private var value = 0
    private var digits = 0
    private var numberStart = 0
    /// Ids parsed so far and the input offset each started at (for errors).
    var ids: [Int] = []
    var offsets: [Int] = []
    /// Input offset of the `[` still open, if any: `[1, 2` is a cut-off list, not two ids.
    private var openBracket: Int?

    /// Ten digits hold every id below 2^31; a longer number is refused rather than overflowed.
    static let maxDigits = 10

    /// Parses `bytes`, which start at input offset `base`.
    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, base: Int, input: String) throws {
        for (i, b) in bytes.enumerated() {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if digits == 0 { numberStart = base + i; value = 0 }
                digits += 1
                guard digits <= Self.maxDigits else {
                    throw TokenIOError.malformedIDText(input: input, offset: numberStart,
                                                       found: "a number of more than \(Self.maxDigits) digits")
                }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
            case 0x20, 0x09...0x0D, UInt8(ascii: ","):
                endNumber()
            case UInt8(ascii: "["):
                endNumber()
                guard openBracket == nil else {
                    throw TokenIOError.malformedIDText(input: input, offset: base + i, found: "'[' inside a list opened at byte offset \(openBracket!)")
                }
                openBracket = base + i
            case UInt8(ascii: "]"):
                endNumber()
                guard openBracket != nil else {
                    throw TokenIOError.malformedIDText(input: input, offset: base + i, found: "']' without an opening '['")
                }
                openBracket = nil
            default:
                throw TokenIOError.malformedIDText(input: input, offset: base + i, found: Self.show(b))
            }
        }
    }

    /// Ends the input: a number running up to the end is complete; an open `[` is an error.
    mutating func finish(input: String, at end: Int) throws {
        endNumber()
        if let open = openBracket {
            throw TokenIOError.malformedIDText(input: input, offset: end,
                                               found: "the end of the input inside the list opened by '[' at byte offset \(open) (missing ']')")
        }
    }

    private mutating func endNumber() {
        guard digits > 0 else { return }
        ids.append(value)
        offsets.append(numberStart)
        digits = 0
    }

    static func show(_ b: UInt8) -> String {
        (0x21...0x7E).contains(b) ? "'\(Character(UnicodeScalar(b)))'" : "byte 0x" + String(b, radix: 16)
    }
}
