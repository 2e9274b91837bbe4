/// Where a large input can be cut so that encoding the chunks separately and concatenating the
/// ids gives exactly the ids of encoding the whole (used by the CLI's 2-thread and streaming
/// encode; agreed name: `Tokenizer.safeSplitPoint(in:from:)`).
///
/// Rule: cut before a space (U+0020) that sits between two ASCII non-whitespace bytes, e.g. in
/// `"a b"` before the space. No piece of the GPT-2 pattern runs from a non-space character into
/// a following space (` ?` only *starts* a piece, and whitespace pieces contain no non-space), so
/// a piece always ends there; and as the pattern has no look-behind, the pieces after a piece
/// boundary do not depend on the text before it. ASCII neighbours keep it simple to check: a
/// space next to a multi-byte whitespace (U+00A0, U+3000, ...) would join a whitespace run.
/// Special-token text (`<|endoftext|>`) contains no space, so a cut never splits one.
extension Tokenizer {
    /// The first safe cut position `p` with `from <= p < bytes.count`, or nil if there is none.
    public static func safeSplitPoint(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let n = bytes.count
        var p = max(from, 1)
        while p + 1 < n {
            if bytes[p] == 0x20 && isASCIINonSpace(bytes[p - 1]) && isASCIINonSpace(bytes[p + 1]) {
                return p
            }
            p += 1
        }
        return nil
    }

    @inline(__always)
    private static func isASCIINonSpace(_ b: UInt8) -> Bool {
        // \s in ASCII: \t \n \v \f \r and space (U+001C..U+001F are not \s in tiktoken).
        b < 0x80 && b != 0x20 && !(0x09...0x0D).contains(b)
    }
}
