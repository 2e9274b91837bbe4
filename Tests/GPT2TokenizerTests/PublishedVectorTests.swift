import Foundation
import Testing
@testable import GPT2Tokenizer

/// Published GPT-2 token-id vectors in ../shared/vectors (tiktoken's own tests, GPT-3-Encoder,
/// tiktoken-rs). Skips when shared/ is absent.
@Suite struct PublishedVectorTests {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let allowed_special: String?
    }
    struct File: Decodable {
        let cases: [Case]
        let roundtrip_only: [String]?
        let non_utf8_single_token: Int?
    }

    static let files = ["tiktoken/gpt2_vectors.json", "GPT-3-Encoder/vectors.json", "tiktoken-rs/r50k_vectors.json"]

    @Test(TestSupport.needsShared, TestSupport.needsVocab, arguments: files)
    func vectors(_ name: String) throws {
        let shared = try #require(TestSupport.sharedDir)
        let tok = try TestSupport.tokenizer()
        let data = try #require(FileManager.default.contents(atPath: shared + "/vectors/" + name))
        let file = try JSONDecoder().decode(File.self, from: data)
        #expect(!file.cases.isEmpty)
        for c in file.cases {
            let ids = c.allowed_special == "all"
                ? try tok.encode(c.text, allowedSpecial: .all)
                : try tok.encode(c.text)
            #expect(ids == c.ids, "\(name): \(c.text.debugDescription)")
            #expect(try tok.decode(c.ids) == c.text)
        }
        for text in file.roundtrip_only ?? [] {
            #expect(try tok.decode(tok.encodeOrdinary(text)) == text)
        }
        if let id = file.non_utf8_single_token {
            let bytes = try tok.decodeBytes([id])
            #expect(String(validating: bytes, as: UTF8.self) == nil, "token \(id) should not be valid UTF-8 alone")
        }
    }
}
