import Testing
import GPT2Support

/// `serialized()` and the builders. The expected text is Python's
/// `json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` of the same
/// document (model files rely on this form: the same metadata always gives the same bytes).
@Suite struct JSONWritingTests {
    let doc: JSON = .object([
        "b": .array([.number(1), .number(2.5), .string("x\ny\"\\\u{1}"), .null, .bool(true)]),
        "a": .object(["z": .number(-3), "é": .number(1e20), "k": .number(1e-05)]),
    ])

    @Test func compactSortedLikePython() {
        let want = #"{"a":{"k":1e-05,"z":-3,"é":1e+20},"b":[1,2.5,"x\ny\"\\\u0001",null,true]}"#
        #expect(String(decoding: doc.serialized(), as: UTF8.self) == want)
    }

    @Test func readBackEqualsWhatWasBuilt() throws {
        #expect(try JSON.parse(doc.serialized(), options: JSONParseOptions(strict: true)) == doc)
    }

    @Test func numbersAndObjects() {
        #expect(JSON.number(3) == .int(3) && JSON.number(2.0) == .int(2) && JSON.number(2.5) == .double(2.5))
        #expect(JSON.number(1e15) == .double(1e15) && JSON.number(-0.0) == .int(0))
        #expect(JSON.double(.nan).serialized() == Array("null".utf8) && JSON.double(4).serialized() == Array("4".utf8))
        // A key given twice: the last value is written, once.
        let dup = JSON.object([(key: "b", value: .int(1)), (key: "a", value: .int(2)), (key: "b", value: .int(3))])
        #expect(dup.serialized() == Array(#"{"a":2,"b":3}"#.utf8))
        #expect(dup.dictionaryValue == ["a": .int(2), "b": .int(3)] && JSON.int(1).dictionaryValue == nil)
    }
}
