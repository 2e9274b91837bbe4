import Foundation
import Testing

/// `gpt2kit tokenize`, run as a process; expected ids come from tiktoken (cli-cases.json).
@Suite(.enabled(if: CLIProcess.hasVocab, "needs Vocab/ (Tools/setup)"))
struct TokenizeCommandTests {
    typealias P = CLIProcess

    @Test func defaultOutputIsSpaceSeparatedIDs() throws {
        let c = CLICase["hello-newline"]
        let r = try P.run(["tokenize"], stdin: c.text)
        #expect(r.status == 0)
        #expect(r.text == "31373 995 198\n" && r.text == c.idsLine)
    }

    @Test func jsonCountAndTokens() throws {
        let c = CLICase["hello"]
        #expect(try P.run(["tokenize", "--json"], stdin: c.text).text == "[31373, 995]\n")
        #expect(try P.run(["tokenize", "--count"], stdin: c.text).text == "2\n")
        #expect(try P.run(["tokenize", "--tokens"], stdin: c.text).text == " 31373 -> 'hello'\n   995 -> ' world'\n")
        #expect(try P.run(["tokenize", "--json"], stdin: "").text == "[]\n")
        #expect(try P.run(["tokenize"], stdin: "").text == "\n")
    }

    /// Pieces that are not UTF-8 on their own (a 4-byte emoji split over tokens) are escaped.
    @Test func tokensEscapesPartialCharacters() throws {
        let c = CLICase["emoji"]
        let r = try P.run(["tokenize", "--tokens"], stdin: c.text)
        let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == c.ids.count)
        // tiktoken's bytes per token: the emoji F0 9F 99 82 is cut into pieces of 1-2 bytes.
        #expect(c.token_bytes_hex.first == "f09f")
        #expect(lines.first == "\(String(repeating: " ", count: 6 - String(c.ids[0]).count))\(c.ids[0]) -> '\\xf0\\x9f'")
        #expect(lines.last?.hasSuffix("-> '\\n'") == true)
    }

    @Test func u16IsLittleEndianAndRoundTrips() throws {
        let c = CLICase["mixed"]
        let r = try P.run(["tokenize", "--format", "u16"], stdin: c.text)
        #expect(r.status == 0)
        #expect(r.stdout == u16Bytes(c.ids))
        let back = try P.run(["detokenize", "--format", "u16"], stdin: r.stdout)
        #expect(back.status == 0 && back.stdout == c.text)
        // Reads of an odd number of bytes split ids; the partner byte is fetched.
        let odd = try P.run(["detokenize", "--format", "u16", "--chunk-size", "3"], stdin: r.stdout)
        #expect(odd.status == 0 && odd.stdout == c.text)
    }

    /// Streaming cuts the input into pieces at safe split points; with tiny pieces, on 1 and 2
    /// threads, the ids are still exactly tiktoken's for the whole text.
    @Test(arguments: [("7", "1"), ("7", "2"), ("100", "2"), ("4096", "2"), ("100000000", "1")])
    func chunkedStreamingEqualsWholeText(chunk: String, threads: String) throws {
        let c = CLICase["mixed"]
        let r = try P.run(["tokenize", "--chunk-size", chunk, "--threads", threads], stdin: c.text)
        #expect(r.status == 0)
        #expect(r.text == c.idsLine)
    }

    /// CJK text whose only ASCII whitespace is newlines is cut before the newlines.
    @Test(arguments: ["1", "2"])
    func chunkedCJKLinesEqualWholeText(threads: String) throws {
        let c = CLICase["cjk-lines"]
        let r = try P.run(["tokenize", "--chunk-size", "7", "--threads", threads], stdin: c.text)
        #expect(r.status == 0 && r.text == c.idsLine)
    }

    @Test func specialTokenTextIsRefusedNamingBothFlags() throws {
        let r = try P.run(["tokenize"], stdin: CLICase["special-allowed"].text)
        #expect(r.status != 0 && r.stdout.isEmpty)
        #expect(r.stderr.contains("<|endoftext|> at byte offset 5"))
        #expect(r.stderr.contains("--allow-special") && r.stderr.contains("--special-as-text")
                && r.stderr.contains("50256"))
        let allowed = CLICase["special-allowed"]
        #expect(try P.run(["tokenize", "--allow-special"], stdin: allowed.text).text == allowed.idsLine)
        #expect(allowed.ids.contains(50256))
        let asText = CLICase["special-as-text"]
        #expect(try P.run(["tokenize", "--special-as-text"], stdin: asText.text).text == asText.idsLine)
    }

    @Test func invalidUTF8NamesTheByteOffset() throws {
        let r = try P.run(["tokenize"], stdin: Array("ab ".utf8) + [0xFF] + Array(" cd".utf8))
        #expect(r.status != 0)
        #expect(r.stderr.contains("invalid UTF-8 at byte offset 3") && r.stderr.contains("--lossy"))
        // Far into the input, behind many chunk boundaries; and a sequence cut by the end.
        let long = Array(String(repeating: "word ", count: 2000).utf8)
        let far = try P.run(["tokenize", "--chunk-size", "64"], stdin: long + [0xE2, 0x82, 0x20] + long)
        #expect(far.stderr.contains("invalid UTF-8 at byte offset 10000"))
        let cut = try P.run(["tokenize", "--chunk-size", "64", "--threads", "2"], stdin: long + [0xE2, 0x82])
        #expect(cut.stderr.contains("invalid UTF-8 at byte offset 10000"))
    }

    @Test func lossyReplacesLikePython() throws {
        let c = CLICase["invalid-lossy"]
        #expect(try P.run(["tokenize", "--lossy"], stdin: c.text).text == c.idsLine)
        #expect(try P.run(["tokenize", "--lossy", "--chunk-size", "1"], stdin: c.text).text == c.idsLine)
    }

    @Test func filesOutputFileAndCounts() throws {
        let a = P.scratch("a.txt"), b = P.scratch("b.txt"), out = P.scratch("ids.txt")
        P.write(CLICase["hello"].text, to: a); P.write(CLICase["hello-newline"].text, to: b)
        let r = try P.run(["tokenize", a, b, "-o", out])
        #expect(r.status == 0 && r.stdout.isEmpty)
        #expect(FileManager.default.contents(atPath: out).map { String(decoding: $0, as: UTF8.self) }
                == "31373 995\n31373 995 198\n")
        #expect(try P.run(["tokenize", "--count", a, b]).text == "2 \(a)\n3 \(b)\n5 total\n")
    }

    @Test func errorsLeaveNoOutputFileAndNameTheProblem() throws {
        let out = P.scratch("never.txt")
        let missing = P.scratch("missing.txt")
        let r = try P.run(["tokenize", missing, "-o", out])
        #expect(r.status != 0 && r.stderr.contains("cannot open '\(missing)'"))
        #expect(!FileManager.default.fileExists(atPath: out))
        let bad = try P.run(["tokenize", "-o", out], stdin: [0x61, 0xFF])
        #expect(bad.status != 0 && !FileManager.default.fileExists(atPath: out))
        let unwritable = try P.run(["tokenize", "-o", "/nonexistent-dir/ids.txt"], stdin: "x")
        #expect(unwritable.status != 0 && unwritable.stderr.contains("cannot write '/nonexistent-dir/ids.txt'"))
        let conflict = try P.run(["tokenize", "--json", "--count"], stdin: "x")
        #expect(conflict.status == 64 && conflict.stderr.contains("choose one of"))
        let vocab = try P.run(["tokenize", "--vocab", missing], stdin: "x")
        #expect(vocab.status != 0 && vocab.stderr.contains(missing))
    }

    /// `--vocab` takes any format through `Vocabulary.load(path:)`: here the tiny BPE that
    /// Hugging Face tokenizers trained (its ids are in that fixture's expected.json).
    @Test func vocabOptionLoadsAnyFormat() throws {
        let dir = P.packageRoot + "/Tests/GPT2TokenizerTests/Fixtures/tiny-bpe"
        let r = try P.run(["tokenize", "--vocab", dir], stdin: "hello world")
        #expect(r.text == "267 75 75 78 220 86 78 81 75 67\n")
    }

    /// An added token whose text has a space (tokenizer.json allows it) is never cut in two by
    /// the streaming split: tiny chunks give the same ids as the whole text, special id included.
    @Test func chunkCutsAvoidSpecialTokenText() throws {
        let src = P.packageRoot + "/Tests/GPT2TokenizerTests/Fixtures/tiny-bpe/tokenizer.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: src))) as! [String: Any]
        var added = json["added_tokens"] as! [[String: Any]]
        added.append(["id": 301, "content": "a b", "special": true])
        json["added_tokens"] = added
        let dir = P.scratch("vocab")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
        let text = "xx a b yy a b"
        let whole = try P.run(["tokenize", "--vocab", dir, "--allow-special"], stdin: text)
        let tiny = try P.run(["tokenize", "--vocab", dir, "--allow-special", "--chunk-size", "1", "--threads", "2"], stdin: text)
        #expect(whole.status == 0 && whole.text.split(separator: " ").filter { $0.hasPrefix("301") }.count == 2)
        #expect(tiny.text == whole.text)
    }

    /// Ids above 65535 cannot be written as u16: a hand-made llm.c vocabulary whose token "ab"
    /// has id 65536 (rank == id, so "ab" merges to it).
    @Test func u16RefusesLargeIDsNamingThePosition() throws {
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var filler = 0
        while tokens.count < 65536 {   // unique 3-byte fillers that no text here contains
            tokens.append([0x01, UInt8(filler >> 8), UInt8(filler & 0xFF)]); filler += 1
        }
        tokens.append(Array("ab".utf8))
        tokens.append(Array("<|endoftext|>".utf8))
        var file = [UInt32](repeating: 0, count: 256)
        file[0] = 20240328; file[1] = 2; file[2] = UInt32(tokens.count); file[3] = UInt32(tokens.count - 1)
        var bytes = file.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        for t in tokens { bytes.append(UInt8(t.count)); bytes += t }
        let path = P.scratch("big.bin")
        P.write(bytes, to: path)
        #expect(try P.run(["tokenize", "--vocab", path], stdin: "x ab").text == "120 32 65536\n")
        let r = try P.run(["tokenize", "--vocab", path, "--format", "u16"], stdin: "x ab")
        #expect(r.status != 0 && r.stderr.contains("token id 65536 at position 2"))
    }
}
