import Foundation
import Testing

/// `gpt2kit detokenize`, run as a process.
@Suite(.enabled(if: CLIProcess.hasVocab, "needs Vocab/ (Tools/setup)"))
struct DetokenizeCommandTests {
    typealias P = CLIProcess

    @Test func textIDsInEverySpellingGiveTheExactBytes() throws {
        let c = CLICase["mixed"]
        #expect(try P.run(["detokenize"], stdin: c.idsLine).stdout == c.text)
        let json = "[" + c.ids.map(String.init).joined(separator: ", ") + "]\n"
        #expect(try P.run(["detokenize", "--chunk-size", "3"], stdin: json).stdout == c.text)
        // A character split over tokens comes back byte-exact, even split over two reads.
        let emoji = CLICase["emoji"]
        #expect(try P.run(["detokenize", "--chunk-size", "2"], stdin: emoji.idsLine).stdout == emoji.text)
    }

    @Test func outOfRangeIDNamesItsPosition() throws {
        let r = try P.run(["detokenize"], stdin: "31373 995\n50257 995")
        #expect(r.status != 0)
        #expect(r.stderr.contains("token id 50257 at position 2 (byte offset 10)"))
        #expect(r.stdout == Array("hello world".utf8))   // what came before is written
        let u = try P.run(["detokenize", "--format", "u16"], stdin: u16Bytes([31373, 60000]))
        #expect(u.status != 0 && u.stderr.contains("token id 60000 at position 1"))
    }

    @Test func malformedIDTextNamesTheOffset() throws {
        let r = try P.run(["detokenize"], stdin: "31373 99x5")
        #expect(r.status != 0 && r.stderr.contains("at byte offset 8, found 'x'"))
        let neg = try P.run(["detokenize"], stdin: "-1")
        #expect(neg.status != 0 && neg.stderr.contains("at byte offset 0, found '-'"))
        let long = try P.run(["detokenize"], stdin: "1 123456789012")
        #expect(long.status != 0 && long.stderr.contains("at byte offset 2, found a number of more than 10 digits"))
    }

    @Test func oddU16LengthIsTruncation() throws {
        let r = try P.run(["detokenize", "--format", "u16"], stdin: [0x8D, 0x7A, 0xE3])
        #expect(r.status != 0 && r.stderr.contains("3 bytes is not a whole number of uint16 ids"))
    }

    /// Found by the `detokenize-stream` fuzz target (minimized input): with the input read in
    /// one chunk the odd length was reported, in 6-byte chunks the bad id before it. Now the
    /// first error in input order wins whatever the chunk size.
    @Test func firstErrorInInputOrderWhateverTheChunkSize() throws {
        let u16: [UInt8] = [0x75, 0x7A, 0xE3, 0xFA, 0xC6, 0x00, 0x01]   // 31349, 64227, 198, half an id
        for chunk in ["2", "6", "1048576"] {
            let r = try P.run(["detokenize", "--format", "u16", "--chunk-size", chunk], stdin: u16)
            #expect(r.status != 0 && r.stderr.contains("token id 64227 at position 1"), "chunk \(chunk): \(r.stderr)")
        }
        for chunk in ["2", "3", "1048576"] {
            let r = try P.run(["detokenize", "--chunk-size", chunk], stdin: "31373 99999 x")
            #expect(r.status != 0 && r.stderr.contains("token id 99999 at position 1 (byte offset 6)"), "chunk \(chunk): \(r.stderr)")
            let odd = try P.run(["detokenize", "--format", "u16", "--chunk-size", chunk], stdin: [0x8D, 0x7A, 0xE3])
            #expect(odd.status != 0 && odd.stderr.contains("3 bytes is not a whole number of uint16 ids"))
        }
    }
}
