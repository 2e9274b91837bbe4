import Testing
@testable import GPT2Tokenizer

/// Pre-tokenizer properties that the parity harness does not spell out: invalid UTF-8 and the
/// safe split points the CLI uses to encode chunks in parallel.
@Suite struct PreTokenizerTests {
    @Test(TestSupport.needsVocab) func invalidUTF8BytesAreOneByteOtherCharacters() throws {
        let tok = try TestSupport.tokenizer()
        // 0xFF is "other": it ends the letter run, and joins punctuation runs like `?`.
        let bytes: [UInt8] = Array("ab".utf8) + [0xFF] + Array("cd ?".utf8) + [0xC3] + Array("!".utf8)
        let pieces = PreTokenizer().pieces(bytes).map { Array(bytes[$0]) }
        #expect(pieces == [Array("ab".utf8), [0xFF], Array("cd".utf8), [0x20, 0x3F, 0xC3, 0x21]])
        #expect(try tok.decodeBytes(tok.encodeOrdinary(bytes: bytes)) == bytes)
        // A surrogate encoded in UTF-8 (ED A0 80) is invalid: three one-byte characters.
        #expect(PreTokenizer().pieces([0x61, 0xED, 0xA0, 0x80]).count == 2)
        // Valid UTF-8 given as bytes encodes exactly like the String.
        let text = "naïve café 中文 👋"
        #expect(tok.encodeOrdinary(bytes: Array(text.utf8)) == tok.encodeOrdinary(text))
    }

    @Test(TestSupport.needsVocab) func randomBytesRoundTripExactly() throws {
        let tok = try TestSupport.tokenizer()
        var rng = SplitMix64(seed: 99)
        for _ in 0..<300 {
            let bytes = (0..<Int(rng.next() % 400)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let ids = tok.encodeOrdinary(bytes: bytes)
            #expect(try tok.decodeBytes(ids) == bytes)
            #expect(tok.encodeOrdinary(bytes: bytes) == ids)   // deterministic
        }
    }

    @Test(TestSupport.needsVocab) func encodingChunksCutAtSafeSplitPointsEqualsTheWhole() throws {
        let tok = try TestSupport.tokenizer()
        var texts: [[UInt8]] = [Array("It's  a test:\u{00A0} of\tthe  split,\n\n points 12 345 ok ".utf8)]
        // Over PieceCache.minInput, so the whole encode uses the piece cache and the chunks don't.
        let mix = try ParityCases.read(TestSupport.fixtures + "/tiktoken-parity.bin").prefix(400).map(\.text)
        texts.append(Array(repeatElement(mix.joined(separator: [0x20]), count: 5).joined(separator: [0x20])))
        #expect(texts.last!.count >= PieceCache.minInput)
        if let shared = TestSupport.sharedDir {
            for f in ["taylorswift.txt", "UTF-8-demo.txt", "blns.txt"] {
                if let b = TestSupport.readBytes(shared + "/corpora/" + f) { texts.append(b) }
            }
        }
        for bytes in texts {
            let whole = tok.encodeOrdinary(bytes: bytes)
            for step in bytes.count > 50_000 ? [1000, 4096] : [1, 7, 100, 4096] {
                var ids: [Int] = []
                var cuts = 0
                bytes.withUnsafeBufferPointer { buf in
                    var start = 0
                    while start < buf.count {
                        let want = start + step
                        let end = want < buf.count ? (Tokenizer.safeSplitPoint(in: buf, from: want) ?? buf.count) : buf.count
                        tok.encodeOrdinary(UnsafeBufferPointer(rebasing: buf[start..<end]), into: &ids)
                        if end < buf.count { cuts += 1 }
                        start = end
                    }
                }
                #expect(ids == whole, "step \(step)")
                #expect(cuts > 0 || step >= bytes.count / 2)
            }
        }
        // Cuts: before ASCII whitespace after a non-whitespace character, also after CJK text
        // and before a newline; none after multi-byte whitespace or without ASCII whitespace.
        func cuts(_ text: String) -> [Int] {
            Array(text.utf8).withUnsafeBufferPointer { buf in
                var out: [Int] = [], from = 0
                while let p = Tokenizer.safeSplitPoint(in: buf, from: from) { out.append(p); from = p + 1 }
                return out
            }
        }
        #expect(cuts("aaaa\u{00A0} bbb\u{3000}ccc") == [])
        #expect(cuts("a b  c\td") == [1, 3, 6])
        #expect(cuts("東京。\n中文\n") == [9, 16])
        #expect(cuts("x\u{3000}\ny") == [])
    }
}
