import Testing
@testable import GPT2Tokenizer

@Test func countIncludesSpecialTokens() {
    let v = Vocabulary(tokens: [[0x61], [0x62]], specialTokens: ["<|endoftext|>": 5])
    #expect(v.count == 6)
}
