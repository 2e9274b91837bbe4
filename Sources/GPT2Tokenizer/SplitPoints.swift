/// Where a large input can be cut so that encoding the chunks separately and concatenating the
/// ids gives exactly the ids of encoding the whole (used by the CLI's 2-thread and streaming
/// encode; agreed name: `Tokenizer.safeSplitPoint(in:from:)`).
///
/// Rule: cut before an ASCII whitespace byte (space, `\t`, `\n`, `\v`, `\f`, `\r`) whose
/// preceding character is not whitespace, e.g. in `"a b"` before the space, or in `"。\n中"`
/// before the newline. Why that is safe:
/// - a pre-token always ends there: no piece of the GPT-2 pattern runs from a non-whitespace
///   character into whitespace (` ?` only *starts* a piece, and the whitespace pieces hold
///   whitespace only);
/// - the pieces before the cut are the same when the text stops there: the only
///   look-ahead-sensitive piece is `\s+(?!\S)`, and no whitespace run reaches the cut; every
///   other piece stops at the whitespace byte exactly as at the end of the text;
/// - the pieces after it are the same: the pattern has no look-behind.
/// The character before the cut is decoded (multi-byte whitespace such as U+00A0 or U+3000
/// would join a whitespace run, so it is no cut); bytes that are not valid UTF-8 count as
/// characters of class "other", as in the pre-tokenizer. Text without ASCII whitespace after
/// a non-whitespace character (1 GB of `a`) has no cut: it is one pre-token.
/// Special-token text (`<|endoftext|>`) contains no whitespace, so a cut never splits one.
extension Tokenizer {
    /// The first safe cut position `p` with `from <= p < bytes.count`, or nil if there is none.
    public static func safeSplitPoint(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let n = bytes.count
        var p = max(from, 1)
        while p < n {
            // 8 bytes at a time while none is <= 0x20 (every ASCII whitespace byte is): text
            // without spaces (one long pre-token) is passed over at memory speed. The test is
            // exact for "some byte < 0x21" (Hacker's Delight "hasless").
            if p + 8 <= n {
                let w = UnsafeRawPointer(bytes.baseAddress! + p).loadUnaligned(as: UInt64.self)
                if (w &- 0x2121_2121_2121_2121) & ~w & 0x8080_8080_8080_8080 == 0 { p += 8; continue }
            }
            let end = min(p + 8, n)
            while p < end {
                let b = bytes[p]
                if (b == 0x20 || (0x09...0x0D).contains(b)) && !endsWithWhitespace(bytes, p) { return p }
                p += 1
            }
        }
        return nil
    }

    /// Whether the character that ends just before `end` (`end >= 1`, `bytes[end]` ASCII) is
    /// whitespace (`\s`, as the pre-tokenizer classes it).
    @inline(__always)
    static func endsWithWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ end: Int) -> Bool {
        let last = bytes[end - 1]
        if last < 0x80 { return last == 0x20 || (0x09...0x0D).contains(last) }
        // Walk back to the lead byte (at most 3 continuation bytes) and decode forward: only a
        // well-formed scalar ending exactly at `end` can be whitespace; anything else is one or
        // more invalid bytes, class "other".
        var lead = end - 1
        while lead > 0, lead > end - 4, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        let (scalar, length) = UTF8Scalar.decode(bytes.baseAddress!, lead, end)
        guard let scalar, lead + length == end else { return false }
        return CharacterClassTable.shared.classOf(scalar) == CharacterClass.space
    }
}
