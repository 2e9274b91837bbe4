/// GPT-2's split pattern, written by hand over UTF-8 bytes (no regex engine):
///
///     '(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// with the leftmost-first, backtracking semantics of tiktoken's regex engine (fancy-regex):
/// - contractions are lower case only and win only at the start of a piece (`'S` is two pieces);
/// - ` ?` is U+0020 only, and attaches a space to the letter/number/other run that follows;
/// - `\s+(?!\S)` backtracks: a whitespace run followed by non-space gives up its last character,
///   which then starts the next piece (`"  x"` → `" "`, `" x"`); at the end of the text the run
///   is kept whole; a single whitespace character before non-space is matched by the final `\s+`.
/// Every character belongs to exactly one class (letter, number, whitespace, other), so the
/// pieces tile the input. Classes come from `CharacterClassTable`, generated from tiktoken itself.
struct PreTokenizer {
    let table: CharacterClassTable

    init(table: CharacterClassTable = .shared) { self.table = table }

    /// Calls `body(start, end)` for each piece of `p[0..<n]`, in order.
    @inline(__always)
    func split(_ p: UnsafePointer<UInt8>, _ n: Int, _ body: (Int, Int) -> Void) {
        table.blockIndex.withUnsafeBufferPointer { blockIndex in
            table.classes.withUnsafeBufferPointer { classes in
                let scanner = Scanner(p: p, n: n, blockIndex: blockIndex.baseAddress!,
                                      classes: classes.baseAddress!)
                var i = 0
                while i < n {
                    let end = scanner.pieceEnd(from: i)
                    body(i, end)
                    i = end
                }
            }
        }
    }

    /// Pieces as `(start, end)` pairs; for tests and tools (the encoder uses `split`).
    func pieces(_ bytes: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            split(base, buf.count) { out.append($0..<$1) }
        }
        return out
    }
}

/// The inner loop of `PreTokenizer`, over raw pointers that live only for one `split` call.
private struct Scanner {
    let p: UnsafePointer<UInt8>
    let n: Int
    let blockIndex: UnsafePointer<UInt8>
    let classes: UnsafePointer<UInt8>

    /// Class and byte length of the character at `i` (`i < n`).
    @inline(__always)
    func classAt(_ i: Int) -> (UInt8, Int) {
        let b = p[i]
        if b < 0x80 { return (classes[Int(b)], 1) }   // block 0 holds U+0000..U+00FF
        let (scalar, length) = UTF8Scalar.decode(p, i, n)
        guard let cp = scalar else { return (CharacterClass.other, 1) }
        let block = Int(blockIndex[Int(cp >> 8)])
        return (classes[block << 8 | Int(cp & 0xFF)], length)
    }

    /// End of the piece that starts at `start`.
    @inline(__always)
    func pieceEnd(from start: Int) -> Int {
        let b = p[start]
        if b == UInt8(ascii: "'"), start + 1 < n {
            let b1 = p[start + 1]
            switch b1 {
            case UInt8(ascii: "s"), UInt8(ascii: "d"), UInt8(ascii: "m"), UInt8(ascii: "t"):
                return start + 2
            case UInt8(ascii: "l"), UInt8(ascii: "v"), UInt8(ascii: "r"):
                if start + 2 < n {
                    let b2 = p[start + 2]
                    if (b1 == UInt8(ascii: "l") && b2 == UInt8(ascii: "l"))
                        || (b1 != UInt8(ascii: "l") && b2 == UInt8(ascii: "e")) {
                        return start + 3
                    }
                }
            default: break
            }
        }
        var (cls, length) = classAt(start)
        var j = start + length
        if b == 0x20, j < n {
            // ` ?X+`: a space joins a following letter, number or other run.
            let (next, nextLength) = classAt(j)
            if next != CharacterClass.space {
                cls = next
                j += nextLength
            }
        }
        if cls != CharacterClass.space {
            while j < n {
                let (c, l) = classAt(j)
                if c != cls { break }
                j += l
            }
            return j
        }
        // Whitespace: `\s+(?!\S)` then `\s+`.
        var lastStart = start
        while j < n {
            let (c, l) = classAt(j)
            if c != CharacterClass.space { break }
            lastStart = j
            j += l
        }
        if j == n || lastStart == start { return j }
        return lastStart
    }
}
