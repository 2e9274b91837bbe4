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

    /// A Float is written as its shortest text (what Foundation's JSONEncoder wrote: 1e-05,
    /// 0.1, 2.592824) and reads back as the same Float.
    @Test func floatsAsTheirShortestText() throws {
        let floats: [Float] = [1e-5, 0.1, 2.592824, 1e-8, 0.99, 3, 1e20, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 2.6237345]
        let text = String(decoding: JSON.array(floats.map { .number($0) }).serialized(), as: UTF8.self)
        #expect(text == "[1e-05,0.1,2.592824,1e-08,0.99,3,1e+20,1e-45,3.4028235e+38,2.6237345]")
        let back = try JSON.parse(Array(text.utf8)).arrayValue?.map(\.floatValue)
        #expect(back == floats.map { $0 })
        // Every Float that a training run stores (losses, rates) comes back bit for bit: a sweep
        // over one binade of them.
        var f: Float = 1, bad = 0
        while f < 2 {
            if try JSON.parse(JSON.array([.number(f)]).serialized()).arrayValue?[0].floatValue != f { bad += 1 }
            f = Float(bitPattern: f.bitPattern &+ 997)
        }
        #expect(bad == 0)
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
