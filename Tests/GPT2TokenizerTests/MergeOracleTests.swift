import Testing
@testable import GPT2Tokenizer

/// The fast merge paths (linear scan, heap, chunked with seam repair) against a naive
/// reference of tiktoken's algorithm written for clarity, on long pieces of many kinds.
@Suite struct MergeOracleTests {
    static func randomPiece(_ rng: inout SplitMix64, length: Int, alphabet: [String]) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < length { out += Array(alphabet[Int(rng.next() % UInt64(alphabet.count))].utf8) }
        return out
    }

    @Test(TestSupport.needsVocab) func fastPathsEqualTheNaiveMerge() throws {
        let tok = try TestSupport.tokenizer()
        let naive = NaiveBytePairMerge(tok.vocabulary)
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

    /// Vocabularies whose ranks are not their ids (as tiktoken files may be): GPT-2's tokens
    /// with permuted ranks take the linear scan and the chunked path; ranks of 2^24 and more do
    /// not fit the linear scan's keys and take the heap at every length (ranks straddling 2^25,
    /// where `rank << 6` wraps past Int32, would scramble its order).
    @Test(TestSupport.needsVocab, arguments: [0, 1 << 24, (1 << 25) - 25_000])
    func rankedVocabulariesEqualTheNaiveMerge(rankOffset: Int) throws {
        let gpt2 = try TestSupport.tokenizer().vocabulary
        let n = gpt2.tokens.count
        let ranks = (0..<n).map { UInt32(($0 * 7919) % n + rankOffset) }   // 7919 is prime to 50,257
        let vocabulary = Vocabulary(tokens: gpt2.tokens, ranks: ranks)
        let tok = try Tokenizer(vocabulary: vocabulary)
        let naive = NaiveBytePairMerge(vocabulary)
        let idOf = Dictionary(uniqueKeysWithValues: vocabulary.tokens.enumerated().map { ($1, $0) })
        let letters = (UInt8(ascii: "a")...UInt8(ascii: "z")).map { String(UnicodeScalar($0)) }
        var rng = SplitMix64(seed: 7)
        var compared = 0
        for length in [2, 3, 5, 20, 40, 63, 64, 200, 1100] {
            for alphabet in [letters, ["a", "b"], ["e", "t", "a", "o", "n", "th", "er", "in"]] {
                let piece = Self.randomPiece(&rng, length: length, alphabet: alphabet)
                guard idOf[piece] == nil, PreTokenizer().pieces(piece).count == 1 else { continue }
                #expect(tok.encodeOrdinary(bytes: piece) == naive.merge(piece).map { idOf[$0]! },
                        "length \(length), alphabet \(alphabet.prefix(3))")
                compared += 1
            }
        }
        #expect(compared >= 20)
    }

    /// A special token listed among the ordinary ids is never made by a merge, on the short
    /// path and the heap alike: ordinary text stays in ordinary ids.
    @Test func specialAmongOrdinaryIDsIsNeverMerged() throws {
        let bytes = (0..<256).map { [UInt8($0)] }
        let tok = try Tokenizer(vocabulary: Vocabulary(tokens: bytes + [Array("ab".utf8)], specialTokens: ["ab": 256]))
        for piece in ["abab", String(repeating: "ab", count: 40)] {
            #expect(tok.encodeOrdinary(piece) == piece.utf8.map { Int($0) }, "\(piece.count) bytes")
        }
    }
}
