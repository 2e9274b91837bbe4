import Foundation
import Testing
@testable import GPT2Tokenizer

/// The tiny byte-level BPE that `Tools/make-tokenizer-fixtures` trained with Hugging Face
/// `tokenizers`, in each of its spellings; expected bytes and ranks come from tiktoken.
struct TinyBPEFixtureTests {
    typealias S = LoaderTestSupport
    static var dir: String { S.fixtures + "/tiny-bpe" }

    struct Expected: Decodable {
        struct Case: Decodable { var text: String; var ids: [Int] }
        var tokens_hex: [String]
        var special_tokens: [String: Int]
        var encodings: [Case]
    }

    static func expected() throws -> (tokens: [[UInt8]], specials: [String: Int]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/expected.json"))
        let e = try JSONDecoder().decode(Expected.self, from: data)
        let tokens = e.tokens_hex.map { hex in
            stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
                let s = hex.index(hex.startIndex, offsetBy: i)
                return UInt8(hex[s..<hex.index(s, offsetBy: 2)], radix: 16)!
            }
        }
        return (tokens, e.special_tokens)
    }

    static func check(_ v: Vocabulary, hasSpecials: Bool = true) throws {
        let (tokens, specials) = try expected()
        #expect(tokens.count == 300)
        #expect(v.tokens == tokens)
        #expect(S.effectiveRanks(v) == tokens.indices.map { UInt32($0) })
        #expect(v.specialTokens == (hasSpecials ? specials : [:]))
        #expect(v.eosID == (hasSpecials ? 300 : nil))
    }

    /// `tokenizers`' `model.save` writes the BPE model alone: added tokens are not in vocab.json.
    @Test func vocabJSONAndMergesTXT() throws {
        try Self.check(Vocabulary.load(vocabJSON: Self.dir + "/vocab.json", mergesTXT: Self.dir + "/merges.txt"),
                       hasSpecials: false)
    }

    @Test func tokenizerJSONWithPairMerges() throws {
        try Self.check(Vocabulary.load(tokenizerJSON: Self.dir + "/tokenizer.json"))
    }

    @Test func tokenizerJSONWithStringMerges() throws {
        try Self.check(Vocabulary.load(tokenizerJSON: Self.dir + "/tokenizer-strings.json"))
    }

    @Test func directoryPrefersTokenizerJSON() throws {
        try Self.check(Vocabulary.load(path: Self.dir))
    }

    /// The loaded ranks drive our BPE to the ids `tokenizers` (and tiktoken) gave.
    @Test func encodesLikeTokenizers() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.dir + "/expected.json"))
        let cases = try JSONDecoder().decode(Expected.self, from: data).encodings
        let tok = try Tokenizer(vocabulary: Vocabulary.load(tokenizerJSON: Self.dir + "/tokenizer.json"))
        #expect(cases.count == 5)
        for c in cases { #expect(tok.encodeOrdinary(c.text) == c.ids, "\(c.text)") }
    }

    /// tokenizers put `<|endoftext|>` first (id 0) when it is a trainer special token, as
    /// RoBERTa-style vocabularies do; GPT2Kit keeps specials after the ordinary ids and says so.
    @Test func specialTokenBeforeOrdinaryTokensIsRefused() throws {
        let path = S.fixtures + "/tiny-bpe-special-first/tokenizer.json"
        #expect {
            try Vocabulary.load(tokenizerJSON: path)
        } throws: { error in
            guard case let .unsupportedVocabulary(p, problem, _) = error as? TokenizerError else { return false }
            return p == path && problem.contains("'<|endoftext|>' has id 0")
        }
    }
}
