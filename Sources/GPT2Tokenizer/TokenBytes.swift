import Synchronization

/// Token bytes by id, in one buffer: token `i` is `bytes[starts[i]..<starts[i + 1]]`.
///
/// How a `Vocabulary` holds its tokens. 50,257 tokens as 50,257 `[UInt8]` arrays cost ~19 % of
/// the instructions of a one-line `gpt2kit tokenize` (each array ~650: the standard library's
/// generic allocation path and its metadata lookup, callgrind), and what reads the tokens (the
/// token table, equality) wants them flat anyway.
package struct TokenBytes: Sendable, Equatable {
    package private(set) var bytes: [UInt8] = []
    package private(set) var starts: [Int] = [0]

    package init() {}

    /// Tokens stored one after another in `bytes`, token `i` from `starts[i]` to `starts[i + 1]`
    /// (`starts` runs from 0 up to `bytes.count` without decreasing).
    package init(bytes: [UInt8], starts: [Int]) {
        precondition(starts.first == 0 && starts.last == bytes.count && zip(starts, starts.dropFirst()).allSatisfy { $0 <= $1 },
                     "token offsets out of order")
        self.bytes = bytes
        self.starts = starts
    }

    package init(_ tokens: [[UInt8]]) {
        var total = 0
        for t in tokens { total += t.count }
        reserve(tokens: tokens.count, bytes: total)
        for t in tokens { append(t) }
    }

    /// Number of tokens.
    package var count: Int { starts.count - 1 }

    package mutating func reserve(tokens: Int, bytes n: Int) {
        bytes.reserveCapacity(n)
        starts.reserveCapacity(tokens + 1)
    }

    /// Appends the next token.
    package mutating func append<C: Collection>(_ token: C) where C.Element == UInt8 {
        bytes.append(contentsOf: token)
        starts.append(bytes.count)
    }

    /// Token `i`'s bytes.
    package subscript(i: Int) -> ArraySlice<UInt8> { bytes[starts[i]..<starts[i + 1]] }

    package func length(_ i: Int) -> Int { starts[i + 1] - starts[i] }

    /// The first `n` tokens.
    package func prefix(_ n: Int) -> TokenBytes {
        var p = TokenBytes()
        p.bytes = Array(bytes[..<starts[n]])
        p.starts = Array(starts[...n])
        return p
    }

    /// One array per token (what `Vocabulary.tokens` shows).
    package var arrays: [[UInt8]] { (0..<count).map { Array(self[$0]) } }
}

/// What `Vocabulary.tokens` reads: the flat bytes, and the per-token arrays made from them on
/// the first read and kept (one owner, immutable but for that cache).
final class TokenStore: Sendable {
    let flat: TokenBytes
    private let cache: Mutex<[[UInt8]]?>

    init(flat: TokenBytes) {
        self.flat = flat
        cache = Mutex(nil)
    }

    init(arrays: [[UInt8]]) {
        flat = TokenBytes(arrays)
        cache = Mutex(arrays)
    }

    var arrays: [[UInt8]] {
        cache.withLock { c in
            if let a = c { return a }
            let a = flat.arrays
            c = a
            return a
        }
    }
}
