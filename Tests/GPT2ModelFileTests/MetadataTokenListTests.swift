import Testing
@testable import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// The token list read beside json-c (MetadataTokenList): the oracle is json-c's parse of the
/// whole document (`FileLayout.parseJSON`) and the typed metadata built from it.
@Suite struct MetadataTokenListTests {
    let written = tinyMetadata().json.serialized()

    func text(_ s: String) -> [UInt8] { Array(s.utf8) }

    func extract(_ t: [UInt8]) -> MetadataTokenList? { t.withUnsafeBytes { MetadataTokenList.extract($0) } }

    /// Both paths of `FileLayout.parseMetadata` and the whole-document parse, as typed metadata.
    func typed(_ t: [UInt8]) throws -> (fast: ModelMetadata, whole: ModelMetadata, usedList: Bool) {
        let (json, tokens) = try t.withUnsafeBytes { try FileLayout.parseMetadata($0) }
        let full = try t.withUnsafeBytes { try FileLayout.parseJSON($0) }
        return (try ModelMetadata(json: json, tokens: tokens, file: "m", at: 96),
                try ModelMetadata(json: full, file: "m", at: 96), tokens != nil)
    }

    @Test func writerOutputTakesTheListPathAndMeansTheSame() throws {
        let r = try typed(written)
        #expect(r.usedList)
        #expect(r.fast == r.whole && r.fast == tinyMetadata())
        #expect(r.fast.vocabulary?.tokens == tinyVocabulary.tokens)
        // The remainder is the document with `[]` where the array was.
        let list = try #require(extract(written))
        let rest = written.withUnsafeBytes { list.remainder(of: $0) }
        #expect(String(decoding: rest, as: UTF8.self).contains("\"tokens\":[]"))
        #expect(written.count - rest.count == list.span.count - 2)
    }

    @Test func spacingAndOrderAreAccepted() throws {
        let docs = [
            #"{ "tokenizer" : { "kind" : "byte_level_bpe" , "tokens" : [ "QQ==" ,"4oI=",  "" ] } , "architecture":"x" }"#,
            "{\n\t\"architecture\": \"x\",\r\n\"a\": [{\"tokenizer\": {\"tokens\": [\"Qg==\"]}}, \"}\\\"]\"],\n \"tokenizer\": {\"x\": {\"tokens\": 1}, \"tokens\": [\"QQ==\", \"4oI=\", \"\"], \"kind\": \"byte_level_bpe\"}}",
        ]
        for d in docs {
            let r = try typed(text(d))
            #expect(r.usedList, "\(d)")
            #expect(r.fast == r.whole)
            #expect(r.fast.vocabulary?.tokens == [[65], [0xE2, 0x82], []])
        }
        let empty = try typed(text(#"{"architecture":"x","tokenizer":{"kind":"characters","tokens":[ ]}}"#))
        #expect(empty.usedList && empty.fast == empty.whole && empty.fast.vocabulary?.count == 0)
    }

    @Test func otherShapesGoThroughJSONC() throws {
        // Each is valid JSON the list reader does not take; json-c's reading must win.
        let docs = [
            #"{"architecture":"x","tokeni\u007aer":{"kind":"characters","tokens":["QQ=="]}}"#,   // escaped key
            #"{"architecture":"x","tokenizer":{"kind":"characters","tok\u0065ns":["QQ=="]}}"#,
            #"{"architecture":"x","tokenizer":{"kind":"characters","tokens":["QQ\u003d\u003d"]}}"#,  // escaped token
            // Repeated keys: json-c keeps the last value, so the list reader must not pick one.
            #"{"architecture":"x","tokenizer":{"kind":"characters","tokens":["Qg=="]},"tokenizer":{"kind":"characters","tokens":["QQ=="]}}"#,
            #"{"architecture":"x","tokenizer":{"kind":"characters","tokens":["Qg=="],"tokens":["QQ=="]}}"#,
            #"{"architecture":"x","tokenizer":{"kind":"characters","tokens":["QQ==",]}}"#,
        ]
        for d in docs.dropLast() {
            #expect(extract(text(d)) == nil, "\(d)")
            let r = try typed(text(d))
            #expect(!r.usedList && r.fast == r.whole && r.fast.vocabulary?.tokens == [[65]], "\(d)")
        }
        // A trailing comma is not JSON: the list reader declines and json-c reports it.
        #expect(extract(text(docs.last!)) == nil)
        #expect(throws: FileLayout.MetadataParseError.self) { _ = try typed(text(docs.last!)) }
    }

    @Test func badTokensKeepTheirErrors() throws {
        // Invalid base64: the list reader declines, the typed metadata names the token.
        let bad = text(#"{"architecture":"x","tokenizer":{"kind":"characters","tokens":["QQ==","Q==="]}}"#)
        #expect(extract(bad) == nil)
        let (json, tokens) = try bad.withUnsafeBytes { try FileLayout.parseMetadata($0) }
        #expect(tokens == nil)
        let e = try #require(throws: ModelFileError.self) { _ = try ModelMetadata(json: json, tokens: tokens, file: "m", at: 96) }
        #expect(e.kind == .badMetadata && e.expected?.hasPrefix("tokenizer.tokens[1]") == true)
    }

    @Test func syntaxErrorOffsetsAreThoseOfTheWholeDocument() throws {
        // Errors before, inside the remainder after, and at the end of the document.
        let docs = [
            #"{"architecture":"x","n":tru,"tokenizer":{"kind":"characters","tokens":["QQ==","Qg=="]}}"#,
            #"{"architecture":"x","tokenizer":{"kind":"characters","tokens":["QQ==","Qg=="],"eos_id":1x}}"#,
            #"{"architecture":"x","tokenizer":{"kind":"characters","tokens":["QQ==","Qg=="]}"#,
            #"{"architecture":"x","tokenizer":{"kind":"characters","tokens":["QQ==","Qg=="]}} x"#,
        ]
        for d in docs {
            let t = text(d)
            let whole = try #require(throws: FileLayout.MetadataParseError.self) { _ = try t.withUnsafeBytes { try FileLayout.parseJSON($0) } }
            let split = try #require(throws: FileLayout.MetadataParseError.self) { _ = try t.withUnsafeBytes { try FileLayout.parseMetadata($0) } }
            #expect(split.offset == whole.offset && split.message == whole.message, "\(d)")
        }
    }

    @Test func openedFileKeepsTheWholeDocument() throws {
        let dir = makeTempDir()
        defer { cleanup(dir) }
        let f = try ModelFile(path: try writeTinyModel(dir))
        #expect(f.vocabulary?.tokens == tinyVocabulary.tokens)
        let stored = try written.withUnsafeBytes { try FileLayout.parseJSON($0) }
        #expect(f.metadataJSON == stored)
        #expect(f.metadataJSON["tokenizer"]?["tokens"]?.arrayValue?.count == tinyVocabulary.tokens.count)
    }
}
