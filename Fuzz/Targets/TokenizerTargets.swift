import Glibc
@testable import GPT2Tokenizer

/// The GPT-2 tokenizer from Vocab/ (Tools/setup fetches it), built once per process.
enum GPT2 {
    static let tokenizer: Tokenizer = {
        do { return try Tokenizer(vocabulary: Vocabulary.load(gpt2At: "\(Scratch.root)/Vocab")) }
        catch { fatalError("the GPT-2 vocabulary is needed (run Tools/setup): \(error)") }
    }()
    static let naive = NaiveBytePairMerge(tokenizer.vocabulary)
    static let idOf: [[UInt8]: Int] = Dictionary(uniqueKeysWithValues:
        tokenizer.vocabulary.tokens.enumerated().map { ($1, $0) })
}

let tokenizerTargets: [FuzzTarget] = [
    FuzzTarget(name: "tokenizer", about: "arbitrary bytes: decode(encode(x)) == x, fast merge == naive merge") { bytes in
        let tok = GPT2.tokenizer
        let ids = tok.encodeOrdinary(bytes: bytes)
        let back = try tok.decodeBytes(ids)
        guard back == bytes else { fatalError("round trip differs: \(bytes) -> \(ids) -> \(back)") }
        var expected: [Int] = []
        for r in PreTokenizer().pieces(bytes) {
            let piece = Array(bytes[r])
            expected += GPT2.idOf[piece].map { [$0] } ?? GPT2.naive.merge(piece).map { GPT2.idOf[$0]! }
        }
        guard ids == expected else { fatalError("fast merge \(ids) != naive merge \(expected) for \(bytes)") }
    },
]
