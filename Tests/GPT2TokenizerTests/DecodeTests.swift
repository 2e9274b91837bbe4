import Testing
@testable import GPT2Tokenizer

/// Byte-exact and lossy decoding, the streaming decoder, and bad ids. Ids and bytes from
/// tiktoken 0.14 (`decode_single_token_bytes`).
@Suite struct DecodeTests {
    /// "hello 👋 world 🌍": the emoji are split across tokens.
    static let waveIDs = [31373, 50169, 233, 995, 12520, 234, 235]

    @Test(TestSupport.needsVocab) func decodeBytesIsExactEvenWhenNotUTF8() throws {
        let tok = try TestSupport.tokenizer()
        #expect(try tok.decodeBytes([49426]) == [0xE7, 0x90])
        #expect(try tok.decodeBytes([50169]) == [0x20, 0xF0, 0x9F, 0x91])
        #expect(try tok.decode([31373, 49426, 995]) == "hello\u{FFFD} world")
        #expect(try tok.decode(Self.waveIDs) == "hello 👋 world 🌍")
        #expect(try tok.decodeBytes([]) == [])
    }

    @Test(TestSupport.needsVocab) func badIDsNameTheirPosition() throws {
        let tok = try TestSupport.tokenizer()
        #expect(throws: TokenizerError.invalidTokenID(id: 50257, position: 1, vocabularySize: 50257)) {
            try tok.decodeBytes([31373, 50257])
        }
        #expect(throws: TokenizerError.invalidTokenID(id: -1, position: 0, vocabularySize: 50257)) {
            try tok.decode([-1])
        }
        var stream = StreamingDecoder(tokenizer: tok)
        #expect(throws: TokenizerError.invalidTokenID(id: Int.max, position: 0, vocabularySize: 50257)) {
            try stream.push(Int.max)
        }
    }

    @Test(TestSupport.needsVocab) func streamingHoldsBackSplitCharacters() throws {
        let tok = try TestSupport.tokenizer()
        var stream = StreamingDecoder(tokenizer: tok)
        var pieces: [String] = []
        for id in Self.waveIDs { pieces.append(try stream.push(id)) }
        pieces.append(stream.finish())
        // 50169 is " \xF0\x9F\x91": the space comes out, the 3 emoji bytes wait for 233.
        #expect(pieces == ["hello", " ", "👋", " world", " ", "", "🌍", ""])
        #expect(!pieces.joined().contains("\u{FFFD}"))
    }

    @Test(TestSupport.needsVocab) func streamingFinishReplacesAnUnfinishedCharacter() throws {
        let tok = try TestSupport.tokenizer()
        var stream = StreamingDecoder(tokenizer: tok)
        #expect(try stream.push(49426) == "")   // \xE7\x90: 2 of 3 bytes
        #expect(stream.finish() == "\u{FFFD}")
        #expect(stream.finish() == "")
        // Bytes that can never complete are replaced at once, not held back.
        #expect(try stream.push(49426) == "")
        #expect(try stream.push(31373) == "\u{FFFD}hello")
    }

    @Test(TestSupport.needsVocab) func streamingEqualsWholeDecodeOnEveryCorpus() throws {
        let tok = try TestSupport.tokenizer()
        var texts = ["€ 中文 ‘quoted’ naïve", "hello 👋 world 🌍", "👨‍👩‍👧‍👦 ❤️ 🇺🇦"]
        if let shared = TestSupport.sharedDir {
            for f in ["UTF-8-demo.txt", "blns.txt"] {
                if let b = TestSupport.readBytes(shared + "/corpora/" + f) { texts.append(String(decoding: b, as: UTF8.self)) }
            }
        }
        for text in texts {
            let ids = tok.encodeOrdinary(text)
            var stream = StreamingDecoder(tokenizer: tok)
            var out = ""
            for id in ids {
                let piece = try stream.push(id)
                #expect(!piece.contains("\u{FFFD}") || text.contains("\u{FFFD}"))
                out += piece
            }
            out += stream.finish()
            #expect(out == text)
        }
        // Random ids: the stream equals the lossy whole decode.
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let ids = (0..<Int(rng.next() % 12)).map { _ in Int(rng.next() % 50257) }
            var stream = StreamingDecoder(tokenizer: tok)
            var out = ""
            for id in ids { out += try stream.push(id) }
            out += stream.finish()
            #expect(out == (try tok.decode(ids)), "ids \(ids)")
        }
    }
}

/// Small deterministic generator for test inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// nanoGPT's character-level vocabulary (`meta.pkl`: one token per character).
@Suite struct CharacterVocabularyTests {
    // Like shakespeare_char's: sorted characters of the text.
    static let chars = ["\n", " ", "!", "a", "b", "c", "é", "中"]
    static let tok = try! Tokenizer(vocabulary: Vocabulary(kind: .characters, tokens: chars.map { Array($0.utf8) }))

    @Test func eachCharacterIsOneID() throws {
        #expect(Self.tok.encodeOrdinary("abc é中!\n") == [3, 4, 5, 1, 6, 7, 2, 0])
        #expect(try Self.tok.encode("cab") == [5, 3, 4])
        #expect(try Self.tok.decode([7, 6, 2]) == "中é!")
    }

    @Test func unknownCharactersAreRefusedByEncode() {
        #expect(throws: TokenizerError.unknownCharacter(scalar: 0x7A, byteOffset: 2)) { try Self.tok.encode("abz") }
        #expect(Self.tok.encodeOrdinary("abz") == [3, 4])   // skipped, as documented
        #expect("\(TokenizerError.unknownCharacter(scalar: 0x7A, byteOffset: 2))".contains("U+7A"))
    }
}
