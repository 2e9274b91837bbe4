import Testing
@testable import GPT2Tokenizer

/// The fast merge paths (linear scan, heap, chunked with seam repair) against a naive
/// reference of tiktoken's algorithm written for clarity, on long pieces of many kinds.
@Suite struct MergeOracleTests {
    /// tiktoken's `byte_pair_encode` in its plainest form: parts as byte arrays, a dictionary of
    /// token bytes → rank, merge the leftmost lowest-rank adjacent pair until none is a token.
    struct NaiveBPE {
        let rankOf: [[UInt8]: Int]

        init(_ v: Vocabulary) {
            var d: [[UInt8]: Int] = [:]
            for (id, t) in v.tokens.enumerated() { d[t] = v.ranks.map { Int($0[id]) } ?? id }
            rankOf = d
        }

        func merge(_ piece: [UInt8]) -> [[UInt8]] {
            var parts = piece.map { [$0] }
            // rank of merging parts[i] and parts[i+1], kept up to date (O(n) lookups overall).
            var pairRank = (0..<max(0, parts.count - 1)).map { rankOf[parts[$0] + parts[$0 + 1]] ?? Int.max }
            while let best = pairRank.min(), best != Int.max {
                let i = pairRank.firstIndex(of: best)!
                parts[i] += parts[i + 1]
                parts.remove(at: i + 1)
                pairRank.remove(at: i)
                if i < parts.count - 1 { pairRank[i] = rankOf[parts[i] + parts[i + 1]] ?? Int.max }
                if i > 0 { pairRank[i - 1] = rankOf[parts[i - 1] + parts[i]] ?? Int.max }
            }
            return parts
        }
    }

    static func randomPiece(_ rng: inout SplitMix64, length: Int, alphabet: [String]) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < length { out += Array(alphabet[Int(rng.next() % UInt64(alphabet.count))].utf8) }
        return out
    }

    @Test(TestSupport.needsVocab) func fastPathsEqualTheNaiveMerge() throws {
        let tok = try TestSupport.tokenizer()
        let naive = NaiveBPE(tok.vocabulary)
        let idOf = Dictionary(uniqueKeysWithValues: tok.vocabulary.tokens.enumerated().map { ($1, $0) })
        let letters = (UInt8(ascii: "a")...UInt8(ascii: "z")).map { String(UnicodeScalar($0)) }
        let alphabets: [[String]] = [
            letters, ["a"], ["a", "b"], ["e", "t", "a", "o", "n", "th", "er", "in"], ["0", "1", "9"],
            ["中", "文", "的", "是"], ["é", "ü", "ß", "a", "n"], ["!", "?", "-", "=", "*"],
        ]
        var rng = SplitMix64(seed: 2026)
        // Lengths around each algorithm switch (heap at 64, chunked at 1024, chunk 32).
        for length in [2, 3, 20, 63, 64, 65, 200, 1023, 1024, 1025, 1100, 3000] {
            for alphabet in alphabets {
                let piece = Self.randomPiece(&rng, length: length, alphabet: alphabet)
                // One piece for the pre-tokenizer: these alphabets are each within one class.
                let expected = naive.merge(piece).map { idOf[$0]! }
                let pieces = PreTokenizer().pieces(piece)
                guard pieces.count == 1 else { continue }
                let ours = tok.encodeOrdinary(bytes: piece)
                if let whole = idOf[piece] {
                    #expect(ours == [whole])   // a piece that is a token is emitted as it is
                } else {
                    #expect(ours == expected, "length \(length), alphabet \(alphabet.prefix(3))")
                }
            }
        }
    }
}
