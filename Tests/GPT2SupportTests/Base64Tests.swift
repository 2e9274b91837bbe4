import Testing
import GPT2Support

/// Test vectors from RFC 4648 §10 (https://www.rfc-editor.org/rfc/rfc4648#section-10).
@Suite struct Base64Tests {
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test func rfcVectorsEncode() {
        for (plain, encoded) in Self.vectors { #expect(Base64.encode(Array(plain.utf8)) == encoded) }
    }

    @Test func rfcVectorsDecode() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.decode(encoded) == Array(plain.utf8))
            #expect(Base64.decode(Array(encoded.utf8)[...]) == Array(plain.utf8))
        }
    }

    @Test func allByteValuesRoundTrip() {
        let bytes = (0..<256).map { UInt8($0) } + [0xFF, 0xFE]
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }

    @Test func rejectsMalformed() {
        for bad in ["Zg=", "Zm9", "Z===", "====", "Zg=a", "Zg==Zm8=", "Zm9v!A==", "Zm 9", "Zm9v\n"] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }

    /// The appending form (the model file's token list): bytes go after what `out` holds, and a
    /// malformed string leaves `out` as it was.
    @Test func appendsAndLeavesOutAloneOnFailure() {
        var out: [UInt8] = [7]
        for (_, encoded) in Self.vectors { #expect(Base64.decode(encoded, appendingTo: &out)) }
        #expect(out == [7] + Array("ffofoofoobfoobafoobar".utf8))
        for bad in ["Zg=", "Z===", "Zg=a", "Zm9v!A=="] {
            #expect(!Base64.decode(bad, appendingTo: &out), "\(bad)")
        }
        #expect(out == [7] + Array("ffofoofoobfoobafoobar".utf8))
    }
}
