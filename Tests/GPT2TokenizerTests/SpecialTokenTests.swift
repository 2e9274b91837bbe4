import Testing
@testable import GPT2Tokenizer

/// tiktoken's special-token policy. Expected ids come from tiktoken 0.14 (GPT-2 encoding built
/// from Vocab/ as in Tools/tokenizer-parity).
@Suite struct SpecialTokenTests {
    static let text = "hello <|endoftext|> world"

    @Test(TestSupport.needsVocab) func defaultRefusesSpecialTextAndNamesIt() throws {
        let tok = try TestSupport.tokenizer()
        #expect(throws: TokenizerError.disallowedSpecialToken(token: "<|endoftext|>", byteOffset: 6)) {
            try tok.encode(Self.text)
        }
        let message = "\(TokenizerError.disallowedSpecialToken(token: "<|endoftext|>", byteOffset: 6))"
        #expect(message.contains("<|endoftext|>") && message.contains("HINT"))
    }

    @Test(TestSupport.needsVocab) func allowedAllMapsToEndOfText() throws {
        let tok = try TestSupport.tokenizer()
        // tiktoken: enc.encode(text, allowed_special="all")
        #expect(try tok.encode(Self.text, allowedSpecial: .all) == [31373, 220, 50256, 995])
        #expect(try tok.encode("a<|endoftext|>b", allowedSpecial: .only(["<|endoftext|>"])) == [64, 50256, 65])
        #expect(tok.vocabulary.eosID == 50256)
    }

    @Test(TestSupport.needsVocab) func ordinaryAndDisallowedNoneEncodeItAsText() throws {
        let tok = try TestSupport.tokenizer()
        // tiktoken: enc.encode_ordinary(text)
        let expected = [31373, 1279, 91, 437, 1659, 5239, 91, 29, 995]
        #expect(tok.encodeOrdinary(Self.text) == expected)
        #expect(try tok.encode(Self.text, disallowedSpecial: .none) == expected)
        #expect(tok.encodeOrdinary("<|endoftext|>") == [27, 91, 437, 1659, 5239, 91, 29])
    }

    @Test(TestSupport.needsVocab) func disallowedOnlyChecksTheNamedStrings() throws {
        let tok = try TestSupport.tokenizer()
        // Like tiktoken, a disallowed set may name any string, special or not.
        #expect(throws: TokenizerError.disallowedSpecialToken(token: "<|custom|>", byteOffset: 2)) {
            try tok.encode("a <|custom|>", disallowedSpecial: .only(["<|custom|>"]))
        }
        // <|endoftext|> is not in that set: encoded as text.
        #expect(try tok.encode(Self.text, disallowedSpecial: .only(["<|custom|>"])) == tok.encodeOrdinary(Self.text))
    }

    @Test(TestSupport.needsVocab) func allowedWinsOverDefaultDisallowed() throws {
        let tok = try TestSupport.tokenizer()
        #expect(try tok.encode("<|endoftext|><|endoftext|>", allowedSpecial: .all) == [50256, 50256])
        #expect(try tok.encode("", allowedSpecial: .all) == [])
        #expect(try tok.encode("<|endoftext|", allowedSpecial: .all) == tok.encodeOrdinary("<|endoftext|"))
    }

    @Test(TestSupport.needsVocab) func decodeOfTheSpecialIdGivesItsText() throws {
        let tok = try TestSupport.tokenizer()
        #expect(try tok.decode([31373, 220, 50256, 995]) == Self.text)
    }
}
