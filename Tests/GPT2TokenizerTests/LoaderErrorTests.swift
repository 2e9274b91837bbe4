import Foundation
import Testing
@testable import GPT2Tokenizer

/// Every way a vocabulary file can be bad, made by hand so each error is easy to verify.
struct LoaderErrorTests {
    typealias S = LoaderTestSupport

    /// A minimal valid vocab.json: all 256 byte tokens (in the byte-level alphabet, ids in
    /// alphabet order) plus the tokens named in `extra`, ids following.
    static func vocabJSON(extra: [String]) -> String {
        let bytes = ByteLevelAlphabet.byteOfRank.map { String(UnicodeScalar(ByteLevelAlphabet.scalarOf[Int($0)])!) }
        let entries = (bytes + extra).enumerated().map { (id, t) in "\(jsonString(t)): \(id)" }
        return "{" + entries.joined(separator: ", ") + "}"
    }

    static func jsonString(_ s: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: s, options: .fragmentsAllowed), encoding: .utf8)!
    }

    static func expectError(_ body: () throws -> Vocabulary, _ check: (TokenizerError) -> Bool,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try body()
            Issue.record("no error", sourceLocation: sourceLocation)
        } catch let e as TokenizerError {
            #expect(check(e), "\(e)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func validHandMadePairLoads() throws {
        let d = S.scratchDirectory()
        S.write(Self.vocabJSON(extra: ["ab", "abc", "<|endoftext|>"]), to: d + "/vocab.json")
        S.write("#version: 0.2\na b\nab c\n", to: d + "/merges.txt")
        let v = try Vocabulary.load(vocabJSON: d + "/vocab.json", mergesTXT: d + "/merges.txt")
        #expect(v.tokens.count == 258)
        #expect(v.tokens[256] == Array("ab".utf8) && v.tokens[257] == Array("abc".utf8))
        #expect(v.specialTokens == ["<|endoftext|>": 258])
    }

    @Test func missingFile() {
        let d = S.scratchDirectory()
        Self.expectError({ try Vocabulary.load(vocabJSON: d + "/vocab.json", mergesTXT: d + "/merges.txt") }) {
            $0 == .cannotRead(path: d + "/vocab.json", errno: ENOENT)
        }
        Self.expectError({ try Vocabulary.load(llmcTokenizer: d + "/none.bin") }) {
            $0 == .cannotRead(path: d + "/none.bin", errno: ENOENT)
        }
        Self.expectError({ try Vocabulary.load(path: d + "/nothing") }) {
            $0 == .cannotRead(path: d + "/nothing", errno: ENOENT)
        }
    }

    @Test func malformedJSONNamesTheOffset() {
        let d = S.scratchDirectory()
        S.write("{\"a\": 0, \"b\" 1}", to: d + "/vocab.json")   // missing ':' at byte 13
        S.write("a b\n", to: d + "/merges.txt")
        Self.expectError({ try Vocabulary.load(vocabJSON: d + "/vocab.json", mergesTXT: d + "/merges.txt") }) {
            guard case let .malformed(p, offset, _, _) = $0 else { return false }
            return p == d + "/vocab.json" && offset == 13
        }
        S.write("{\"model\": {\"vocab\" {}}}", to: d + "/tokenizer.json")   // missing ':' at byte 19
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            guard case let .malformed(p, offset, expected, _) = $0 else { return false }
            return p == d + "/tokenizer.json" && offset == 19 && expected == "JSON"
        }
        S.write("{\"model\": {\"vocab\": {\"a\": 0}, \"merges\": [", to: d + "/tokenizer.json")   // truncated
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            guard case let .malformed(_, offset, _, found) = $0 else { return false }
            return offset == 41 && found == "unexpected end of file"
        }
        S.write("{} x", to: d + "/tokenizer.json")
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            guard case let .malformed(_, offset, _, _) = $0 else { return false }
            return offset == 3
        }
    }

    @Test func mergeNamingAnUnknownToken() {
        let d = S.scratchDirectory()
        S.write(Self.vocabJSON(extra: ["ab"]), to: d + "/vocab.json")
        S.write("#version: 0.2\na b\nab zz\n", to: d + "/merges.txt")
        Self.expectError({ try Vocabulary.load(vocabJSON: d + "/vocab.json", mergesTXT: d + "/merges.txt") }) {
            $0 == .unknownMergeToken(path: d + "/merges.txt", line: 3, token: "zz")
        }
        S.write("{\"model\": {\"vocab\": \(Self.vocabJSON(extra: ["ab"])), \"merges\": [\"a b\", [\"ab\", \"zz\"]]}}",
                to: d + "/tokenizer.json")
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            $0 == .invalidMerge(path: d + "/tokenizer.json", location: "model.merges[1]", merge: "ab zz",
                                problem: "'zz' is not in model.vocab")
        }
    }

    @Test func mergedTokenMissingFromTheVocabulary() {
        let d = S.scratchDirectory()
        S.write(Self.vocabJSON(extra: ["ab"]), to: d + "/vocab.json")
        S.write("a b\nab c\n", to: d + "/merges.txt")
        Self.expectError({ try Vocabulary.load(vocabJSON: d + "/vocab.json", mergesTXT: d + "/merges.txt") }) {
            $0 == .unknownMergeToken(path: d + "/merges.txt", line: 2, token: "abc")
        }
    }

    @Test func mergeLineWithoutTwoTokens() {
        let d = S.scratchDirectory()
        S.write(Self.vocabJSON(extra: ["ab"]), to: d + "/vocab.json")
        S.write("#version: 0.2\nab\n", to: d + "/merges.txt")
        Self.expectError({ try Vocabulary.load(vocabJSON: d + "/vocab.json", mergesTXT: d + "/merges.txt") }) {
            guard case let .malformed(p, offset, expected, found) = $0 else { return false }
            return p == d + "/merges.txt" && offset == 14 && expected.contains("line 2") && found == "'ab'"
        }
    }

    @Test func zeroMergesIsAnError() {
        let d = S.scratchDirectory()
        S.write(Self.vocabJSON(extra: []), to: d + "/vocab.json")
        S.write("#version: 0.2\n", to: d + "/merges.txt")
        Self.expectError({ try Vocabulary.load(vocabJSON: d + "/vocab.json", mergesTXT: d + "/merges.txt") }) {
            $0 == .noMerges(path: d + "/merges.txt")
        }
        S.write("{\"model\": {\"type\": \"BPE\", \"vocab\": \(Self.vocabJSON(extra: [])), \"merges\": []}}",
                to: d + "/tokenizer.json")
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            $0 == .noMerges(path: d + "/tokenizer.json")
        }
    }

    @Test func tokenizerJSONMergeOfTheWrongShape() {
        let d = S.scratchDirectory()
        S.write("{\"model\": {\"vocab\": \(Self.vocabJSON(extra: ["ab"])), \"merges\": [[\"a\", \"b\"], [\"a\"]]}}",
                to: d + "/tokenizer.json")
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            guard case let .invalidMerge(_, location, _, _) = $0 else { return false }
            return location == "model.merges[1]"
        }
    }

    @Test func tokenizerJSONThatIsNotGPT2sKindIsRefused() {
        let d = S.scratchDirectory()
        S.write("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", to: d + "/tokenizer.json")
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            guard case let .unsupportedVocabulary(_, problem, _) = $0 else { return false }
            return problem.contains("Unigram")
        }
        S.write("{\"pre_tokenizer\": {\"type\": \"Metaspace\"}, \"model\": {\"vocab\": {}, \"merges\": []}}",
                to: d + "/tokenizer.json")
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            guard case let .unsupportedVocabulary(_, problem, _) = $0 else { return false }
            return problem.contains("pre_tokenizer")
        }
        S.write("{\"model\": {\"vocab\": {\"▁a\": 0}, \"merges\": []}}", to: d + "/tokenizer.json")
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            guard case let .unsupportedVocabulary(_, problem, _) = $0 else { return false }
            return problem.contains("'▁a'") && problem.contains("byte-level alphabet")
        }
    }

    /// Each structural problem of a tokenizer.json names what is wrong.
    @Test(arguments: [
        ("{\"version\": \"1.0\"}", "no \"model\" object"),
        ("{\"model\": {\"type\": \"BPE\"}}", "model.vocab is not an object"),
        ("{\"model\": {\"vocab\": {\"a\": \"x\"}}}", "expected an integer id"),
        ("{\"model\": {\"vocab\": {}}}", "no model.merges array"),
        ("{\"normalizer\": {\"type\": \"NFC\"}, \"model\": {}}", "normalizer"),
        ("{\"added_tokens\": [{\"id\": \"x\"}], \"model\": {\"vocab\": {}, \"merges\": [\"a b\"]}}", "added_tokens[0]"),
    ])
    func tokenizerJSONStructureErrors(json: String, expected: String) {
        let d = S.scratchDirectory()
        S.write(json, to: d + "/tokenizer.json")
        Self.expectError({ try Vocabulary.load(tokenizerJSON: d + "/tokenizer.json") }) {
            guard case let .unsupportedVocabulary(p, problem, _) = $0 else { return false }
            return p == d + "/tokenizer.json" && problem.contains(expected)
        }
    }

    @Test func missingByteTokenIsRefused() {
        let d = S.scratchDirectory()
        S.write("{\"a\": 0, \"b\": 1, \"ab\": 2}", to: d + "/vocab.json")
        S.write("a b\n", to: d + "/merges.txt")
        Self.expectError({ try Vocabulary.load(vocabJSON: d + "/vocab.json", mergesTXT: d + "/merges.txt") }) {
            guard case let .invalidVocabulary(problem) = $0 else { return false }
            return problem.contains("byte 0x21")   // '!' is the first byte in alphabet order
        }
    }

    // MARK: llm.c

    /// A hand-made llm.c tokenizer file: header, then length-prefixed tokens.
    static func llmcFile(magic: UInt32 = 20240328, version: UInt32 = 2, count: UInt32? = nil,
                         eot: UInt32 = 2, tokens: [[UInt8]] = [[0x61], [0x62], Array("<|endoftext|>".utf8)]) -> [UInt8] {
        var header = [UInt32](repeating: 0, count: 256)
        header[0] = magic; header[1] = version; header[2] = count ?? UInt32(tokens.count); header[3] = eot
        var out = header.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        for t in tokens { out.append(UInt8(t.count)); out += t }
        return out
    }

    @Test func handMadeLLMCFileLoads() throws {
        let d = S.scratchDirectory()
        S.write(Self.llmcFile(), to: d + "/t.bin")
        let v = try Vocabulary.load(llmcTokenizer: d + "/t.bin")
        #expect(v.tokens == [[0x61], [0x62]] && v.specialTokens == ["<|endoftext|>": 2] && v.eosID == 2)
        S.write(Self.llmcFile(version: 1, eot: 0), to: d + "/v1.bin")
        #expect(try Vocabulary.load(path: d + "/v1.bin").eosID == 2)   // v1: found by its text
    }

    @Test func truncatedLLMCFile() {
        let d = S.scratchDirectory()
        let full = Self.llmcFile()
        S.write(Array(full.prefix(1024 + 2 + 1 + 3)), to: d + "/t.bin")   // cut inside <|endoftext|>
        Self.expectError({ try Vocabulary.load(llmcTokenizer: d + "/t.bin") }) {
            guard case let .malformed(_, offset, expected, _) = $0 else { return false }
            return offset == 1028 && expected == "13 bytes of token 2"
        }
        S.write(Array(full.prefix(100)), to: d + "/h.bin")
        Self.expectError({ try Vocabulary.load(llmcTokenizer: d + "/h.bin") }) {
            guard case let .malformed(_, offset, _, found) = $0 else { return false }
            return offset == 100 && found == "end of file"
        }
        S.write(Self.llmcFile(count: 1_000_000), to: d + "/c.bin")     // count the file cannot hold
        Self.expectError({ try Vocabulary.load(llmcTokenizer: d + "/c.bin") }) {
            guard case let .malformed(_, offset, _, found) = $0 else { return false }
            return offset == 8 && found == "1000000"
        }
    }

    @Test func llmcEmptyTokenAndTrailingBytes() {
        let d = S.scratchDirectory()
        S.write(Self.llmcFile(tokens: [[0x61], [], Array("<|endoftext|>".utf8)]), to: d + "/z.bin")
        Self.expectError({ try Vocabulary.load(llmcTokenizer: d + "/z.bin") }) {
            $0 == .malformed(path: d + "/z.bin", offset: 1026, expected: "the length of token 1 (1...255)", found: "0")
        }
        S.write(Self.llmcFile() + [0x01, 0x7A], to: d + "/t.bin")
        Self.expectError({ try Vocabulary.load(llmcTokenizer: d + "/t.bin") }) {
            guard case let .malformed(_, offset, expected, found) = $0 else { return false }
            return offset == 1024 + 2 + 2 + 14 && expected == "end of file after token 2" && found == "2 more bytes"
        }
    }

    @Test func badLLMCMagicAndVersion() {
        let d = S.scratchDirectory()
        S.write(Self.llmcFile(magic: UInt32(20240328).byteSwapped), to: d + "/m.bin")
        Self.expectError({ try Vocabulary.load(llmcTokenizer: d + "/m.bin") }) {
            guard case let .malformed(_, offset, _, found) = $0 else { return false }
            return offset == 0 && found.contains("big-endian")
        }
        S.write(Self.llmcFile(version: 3), to: d + "/v.bin")
        Self.expectError({ try Vocabulary.load(llmcTokenizer: d + "/v.bin") }) {
            $0 == .malformed(path: d + "/v.bin", offset: 4, expected: "version 1 or 2", found: "version 3")
        }
        S.write(Self.llmcFile(eot: 0), to: d + "/e.bin")
        Self.expectError({ try Vocabulary.load(llmcTokenizer: d + "/e.bin") }) {
            guard case let .unsupportedVocabulary(_, problem, _) = $0 else { return false }
            return problem.contains("end-of-text id is 0")
        }
    }

    // MARK: detection

    @Test func unknownFileAndEmptyDirectoryListWhatWasLookedFor() {
        let d = S.scratchDirectory()
        Self.expectError({ try Vocabulary.load(path: d) }) {
            guard case let .unrecognizedVocabulary(p, lookedFor) = $0 else { return false }
            return p == d && lookedFor.contains("vocab.json + merges.txt") && lookedFor.contains("gpt2_tokenizer.bin")
        }
        S.write("hello", to: d + "/notes.txt")
        Self.expectError({ try Vocabulary.load(path: d + "/notes.txt") }) {
            guard case let .unrecognizedVocabulary(p, _) = $0 else { return false }
            return p == d + "/notes.txt"
        }
    }
}
