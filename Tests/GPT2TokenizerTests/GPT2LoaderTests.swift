import Foundation
import Testing
@testable import GPT2Tokenizer

/// encoder.json + vocab.bpe and `.tiktoken` loaders: real files, the tiny committed fixture
/// (ids from tiktoken, Tools/tokenizer-parity --fixtures), and every kind of bad input.
@Suite struct GPT2LoaderTests {
    static var tiny: String { TestSupport.fixtures + "/tiny-gpt2" }

    struct Expected: Decodable {
        struct Case: Decodable { let text: String; let ids: [Int]; let allowed_special: String? }
        let token_count: Int
        let eot: Int
        let cases: [Case]
    }

    @Test(TestSupport.needsVocab) func realVocabularyLoads() throws {
        try TestSupport.requireVocab()
        let v = try Vocabulary.load(encoderJSON: TestSupport.vocabDir + "/encoder.json",
                                    vocabBPE: TestSupport.vocabDir + "/vocab.bpe")
        #expect(v.tokens.count == 50256)
        #expect(v.count == 50257)
        #expect(v.ranks == nil)   // GPT-2: rank == id
        #expect(v.specialTokens == ["<|endoftext|>": 50256])
        #expect(v.eosID == 50256)
        #expect(v.tokens[0] == Array("!".utf8))     // bytes_to_unicode order, not byte order
        #expect(v.tokens[31373] == Array("hello".utf8))
        #expect(v.tokens.map(\.count).max() == 128)
    }

    @Test(TestSupport.needsShared, TestSupport.needsVocab) func tiktokenFileMatchesEncoderJSON() throws {
        let shared = try #require(TestSupport.sharedDir)
        let tok = try TestSupport.tokenizer()
        let v = try Vocabulary.load(tiktoken: shared + "/vocab/gpt2.tiktoken")
        #expect(v.tokens == tok.vocabulary.tokens)
        #expect(v.specialTokens == ["<|endoftext|>": 50256])
        #expect(try Tokenizer(vocabulary: v).encodeOrdinary("hello world") == [31373, 995])
    }

    @Test(arguments: ["json", "tiktoken"])
    func tinyFixtureMatchesTiktoken(_ format: String) throws {
        let data = try #require(FileManager.default.contents(atPath: Self.tiny + "/expected.json"))
        let expected = try JSONDecoder().decode(Expected.self, from: data)
        let v = format == "json"
            ? try Vocabulary.load(encoderJSON: Self.tiny + "/encoder.json", vocabBPE: Self.tiny + "/vocab.bpe")
            : try Vocabulary.load(tiktoken: Self.tiny + "/tiny.tiktoken")
        #expect(v.tokens.count == expected.token_count)
        #expect(v.specialTokens == ["<|endoftext|>": expected.eot])
        let tok = try Tokenizer(vocabulary: v)
        for c in expected.cases {
            let ids = c.allowed_special == "all" ? try tok.encode(c.text, allowedSpecial: .all) : tok.encodeOrdinary(c.text)
            #expect(ids == c.ids, "\(c.text)")
            #expect(try tok.decode(ids) == c.text)
        }
    }

    @Test(TestSupport.needsVocab) func defaultLocationFindsVocab() throws {
        try TestSupport.requireVocab()
        // From the test executable inside .build/, the upward search reaches the package's Vocab/.
        let found = try Vocabulary.defaultLocation()
        #expect(FileManager.default.fileExists(atPath: found + "/encoder.json"))
        #expect(try Vocabulary.load(gpt2At: Self.tiny).tokens.count == 556)
        #expect(throws: TokenizerError.vocabularyNotFound(searched: ["/nonexistent"])) {
            try Vocabulary.load(gpt2At: "/nonexistent")
        }
        #expect("\(TokenizerError.vocabularyNotFound(searched: ["x"]))".contains("GPT2KIT_VOCAB"))
    }

    /// $GPT2KIT_VOCAB wins when it names a vocabulary; a bad value falls through to the search.
    /// (Only values that leave every concurrent loadDefault() caller with the real vocabulary.)
    @Test(TestSupport.needsVocab) func environmentVariable() throws {
        try TestSupport.requireVocab()
        let real = URL(fileURLWithPath: TestSupport.vocabDir).standardizedFileURL.path
        defer { unsetenv(Vocabulary.environmentVariable) }
        setenv(Vocabulary.environmentVariable, real, 1)
        #expect(try Vocabulary.defaultLocation() == real)
        setenv(Vocabulary.environmentVariable, "/nonexistent/vocab", 1)
        #expect(FileManager.default.fileExists(atPath: try Vocabulary.defaultLocation() + "/encoder.json"))
    }

    // MARK: bad input

    /// Writes encoder.json / vocab.bpe variants of the tiny fixture into a temp dir.
    static func variant(json: ((String) -> String)? = nil, bpe: ((String) -> String)? = nil) -> (String, String) {
        let dir = TestSupport.tempDir()
        let j = String(decoding: FileManager.default.contents(atPath: tiny + "/encoder.json")!, as: UTF8.self)
        let b = String(decoding: FileManager.default.contents(atPath: tiny + "/vocab.bpe")!, as: UTF8.self)
        TestSupport.write(json?(j) ?? j, to: dir + "/encoder.json")
        TestSupport.write(bpe?(b) ?? b, to: dir + "/vocab.bpe")
        return (dir + "/encoder.json", dir + "/vocab.bpe")
    }

    static func loadError(_ paths: (String, String)) -> TokenizerError? {
        do { _ = try Vocabulary.load(encoderJSON: paths.0, vocabBPE: paths.1); return nil } catch {
            return error as? TokenizerError
        }
    }

    @Test func missingFilesAndDirectories() {
        #expect(throws: TokenizerError.cannotRead(path: "/nonexistent/encoder.json", errno: ENOENT)) {
            try Vocabulary.load(encoderJSON: "/nonexistent/encoder.json", vocabBPE: Self.tiny + "/vocab.bpe")
        }
        #expect(throws: TokenizerError.cannotRead(path: Self.tiny, errno: EISDIR)) {
            try Vocabulary.load(tiktoken: Self.tiny)
        }
    }

    @Test func malformedJSONNamesOffsetAndWhatWasExpected() {
        let cases: [(String, (String) -> String, String)] = [
            ("truncated", { String($0.prefix(100)) }, "end of file"),
            ("trailing comma", { String($0.dropLast()) + ",}" }, "'}'"),
            ("float id", { $0.replacingOccurrences(of: ": 0,", with: ": 0.5,") }, "an integer id"),
            ("string id", { $0.replacingOccurrences(of: ": 0,", with: ": \"0\",") }, "'\"'"),
            ("bad escape", { "{\"\\x\": 0}" + $0.dropFirst(0).prefix(0) }, "a JSON escape"),
            ("lone surrogate", { _ in "{\"\\udc00\": 0}" }, "no lone low surrogate"),
            ("not an object", { _ in "[1, 2]" }, "'['"),
            ("garbage after", { $0 + " x" }, "'x'"),
        ]
        for (name, edit, found) in cases {
            let e = Self.loadError(Self.variant(json: edit))
            guard case let .malformed(_, offset, expected, foundText)? = e else {
                Issue.record("\(name): expected .malformed, got \(String(describing: e))")
                continue
            }
            #expect(offset >= 0)
            #expect((expected + " " + foundText).contains(found), "\(name): \(expected) / \(foundText)")
        }
    }

    @Test func tokenOutsideTheByteAlphabet() {
        let e = Self.loadError(Self.variant(json: { $0.replacingOccurrences(of: "{", with: "{\"中\": 900, ") }))
        guard case let .malformed(_, _, expected, found)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(expected.contains("byte-level alphabet") && found.contains("U+4E2D"))
    }

    @Test func duplicateAndMissingIDs() {
        // Id 0 twice ("!" is id 0; "\"" id 1 is rewritten to 0).
        let dup = Self.loadError(Self.variant(json: { $0.replacingOccurrences(of: "\"\\\"\": 1,", with: "\"\\\"\": 0,") }))
        guard case .duplicateToken(_, _, 0)? = dup else { Issue.record("got \(String(describing: dup))"); return }
        // Id 5 missing: a hole in 0..<n.
        let hole = Self.loadError(Self.variant(json: { $0.replacingOccurrences(of: "\"&\": 5,", with: "") }))
        guard case .badTokenID(_, 5, _)? = hole else { Issue.record("got \(String(describing: hole))"); return }
    }

    @Test func mergesNamingUnknownTokens() {
        let e = Self.loadError(Self.variant(bpe: { $0 + "Ġzz qq\n" }))
        #expect(e == .unknownMergeToken(path: e.flatMap { if case let .unknownMergeToken(p, _, _) = $0 { p } else { nil } } ?? "",
                                        line: 302, token: "Ġzz"))
        let bad = Self.loadError(Self.variant(bpe: { $0 + "a b c\n" }))
        guard case let .malformed(_, _, expected, _)? = bad else { Issue.record("got \(String(describing: bad))"); return }
        #expect(expected.contains("line 302"))
        let empty = Self.loadError(Self.variant(bpe: { _ in "#version: 0.2\n" }))
        guard case .noMerges? = empty else { Issue.record("got \(String(describing: empty))"); return }
    }

    @Test func badTiktokenFiles() {
        let dir = TestSupport.tempDir()
        func load(_ text: String) -> TokenizerError? {
            TestSupport.write(text, to: dir + "/t.tiktoken")
            do { _ = try Vocabulary.load(tiktoken: dir + "/t.tiktoken"); return nil } catch { return error as? TokenizerError }
        }
        guard case let .malformed(_, _, e1, _)? = load("IQ== 0\nIg== x\n") else { Issue.record("rank"); return }
        #expect(e1.contains("rank on line 2") || e1.contains("decimal rank"))
        guard case let .malformed(_, _, e2, _)? = load("I@== 0\n") else { Issue.record("base64"); return }
        #expect(e2.contains("base64"))
        guard case .malformed? = load("IQ==\n") else { Issue.record("no space"); return }
        guard case .duplicateToken(_, _, 0)? = load("IQ== 0\nIg== 0\n") else { Issue.record("duplicate"); return }
        guard case .badTokenID(_, 1, let gap)? = load("IQ== 0\nIg== 2\n") else { Issue.record("gap"); return }
        #expect(gap.contains("rank 1 is missing"))
        guard case .badTokenID(_, 16_777_216, let big)? = load("IQ== 16777216\n") else { Issue.record("rank 2^24"); return }
        #expect(big.contains("ranks in 0..<2^24"))
        // A tiny but complete file loads; a vocabulary without all 256 bytes cannot make a tokenizer.
        let v = try? Vocabulary.load(tiktoken: { TestSupport.write("IQ== 0\n", to: dir + "/ok.tiktoken"); return dir + "/ok.tiktoken" }())
        #expect(v?.tokens == [[0x21]])
        #expect(throws: TokenizerError.self) { try Tokenizer(vocabulary: v!) }
    }
}

/// Vocabulary values that cannot make a tokenizer (e.g. from a hostile model file).
@Suite struct InvalidVocabularyTests {
    static let bytes = (0..<256).map { [UInt8($0)] }

    @Test func absurdSpecialIDIsRefusedBeforeAllocating() {
        #expect(throws: TokenizerError.self) {
            try Tokenizer(vocabulary: Vocabulary(tokens: Self.bytes, specialTokens: ["<|x|>": 1 << 40]))
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(vocabulary: Vocabulary(tokens: Self.bytes, specialTokens: ["<|x|>": -1]))
        }
    }

    @Test func duplicateAndEmptyTokensAreRefused() {
        #expect(throws: TokenizerError.self) { try Tokenizer(vocabulary: Vocabulary(tokens: Self.bytes + [[0x61]])) }
        #expect(throws: TokenizerError.self) { try Tokenizer(vocabulary: Vocabulary(tokens: Self.bytes + [[]])) }
        #expect(throws: TokenizerError.self) { try Tokenizer(vocabulary: Vocabulary(tokens: Self.bytes, ranks: [0, 1])) }
    }

    @Test func bytesOnlyVocabularyEncodesBytes() throws {
        // No merges: every byte is its own token (ids = byte values here).
        let tok = try Tokenizer(vocabulary: Vocabulary(tokens: Self.bytes))
        #expect(tok.encodeOrdinary("hi!") == [0x68, 0x69, 0x21])
    }
}
