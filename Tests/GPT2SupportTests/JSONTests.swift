import Testing
import GPT2Support

@Suite struct JSONTests {
    func parse(_ s: String, _ options: JSONParseOptions = JSONParseOptions()) throws(JSONError) -> JSON {
        try JSON.parse(Array(s.utf8), options: options)
    }

    func error(_ s: String, _ options: JSONParseOptions = JSONParseOptions()) -> JSONError? {
        do { _ = try parse(s, options); return nil } catch { return error }
    }

    @Test func valuesKeepOrderAndNumberKinds() throws {
        let j = try parse(#"{"b":[1,2.5,"x\u0000y",null,true],"a":{"c":-3}}  "#)
        #expect(j == .object([
            ("b", .array([.int(1), .double(2.5), .string("x\u{0}y"), .null, .bool(true)])),
            ("a", .object([("c", .int(-3))])),
        ]))
        #expect(j["a"]?["c"]?.intValue == -3 && j["b"]?.arrayValue?[1].intValue == nil)
        #expect(j["b"]?.arrayValue?[0].integerValue == 1 && JSON.double(1).integerValue == nil)
        #expect(JSON.double(1).intValue == 1 && j["b"]?.arrayValue?[1].doubleValue == 2.5)
        #expect(j["b"]?.arrayValue?.map(\.typeName) == ["int", "double", "string", "null", "boolean"])
    }

    /// Integers above Int64.max (a 64-bit seed or generator state) keep every digit: Python's
    /// json.loads("[9223372036854775807, 9223372036854775808, 18446744073709551615]") gives these
    /// numbers back exactly.
    @Test func unsignedIntegersAboveInt64Survive() throws {
        let j = try parse("[9223372036854775807, 9223372036854775808, 18446744073709551615, -1]")
        #expect(j == .array([.int(Int64.max), .uint(1 << 63), .uint(UInt64.max), .int(-1)]))
        #expect(j.arrayValue?.map(\.uint64Value) == [UInt64(Int64.max), 1 << 63, UInt64.max, nil])
        #expect(j.arrayValue?.map(\.intValue) == [Int.max, nil, nil, -1])
        #expect(j.arrayValue?[2].typeName == "int" && j.arrayValue?[2].doubleValue == 18446744073709551615.0)
        #expect(JSON.double(1).uint64Value == nil)
        #expect(String(decoding: j.serialized(), as: UTF8.self) == "[9223372036854775807,9223372036854775808,18446744073709551615,-1]")
        #expect(JSON.number(UInt64.max) == .uint(UInt64.max) && JSON.number(UInt64(7)) == .int(7))
    }

    @Test func duplicateTopLevelKeysOnlyWhenAsked() {
        let dup = #"{"a\"b":1, "c":[{"a\"b":2}], "a\"b" :3}"#
        #expect(error(dup) == nil)
        #expect(error(dup, JSONParseOptions(rejectDuplicateTopLevelKeys: true)) == JSONError(.duplicateKey(#"a\"b"#), offset: 0))
        // Same key in nested objects and keys that differ only by escaping are not duplicates.
        #expect(error(#"{"a":{"k":1},"b":{"k":2},"x\"y":1,"x":2}"#, JSONParseOptions(rejectDuplicateTopLevelKeys: true)) == nil)
    }

    @Test func errorsCarryOffsets() {
        #expect(error("") == JSONError(.unexpectedEnd, offset: 0))
        #expect(error(#"{"a": [1, 2"#)?.kind == .unexpectedEnd)
        if case .syntax = error(#"{"a": tru}"#)?.kind {} else { Issue.record("expected a syntax error") }
        #expect(error("[1] x") == JSONError(.trailing(UInt8(ascii: "x")), offset: 4))
        #expect(error("[1]\t", JSONParseOptions(allowTrailingWhitespace: true)) == nil)
        #expect(error("[1]}", JSONParseOptions(allowTrailingWhitespace: false)) == JSONError(.trailing(UInt8(ascii: "}")), offset: 3))
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        if case .syntax = error(deep)?.kind {} else { Issue.record("expected the depth limit") }
        #expect(error(deep, JSONParseOptions(maxDepth: 200)) == nil)
    }

    /// A document that is one scalar: Python's json.loads("42"), ("-1.5e3"), ("true"), ("null"),
    /// ('"x"') give 42, -1500.0, True, None, 'x'; and json.loads("4 2") / ("-") fail.
    @Test func topLevelScalars() throws {
        #expect(try parse("42") == .int(42))
        #expect(try parse("-1.5e3") == .double(-1500))
        #expect(try parse("18446744073709551615") == .uint(UInt64.max))
        #expect(try parse("true") == .bool(true) && parse("null") == .null && parse(#""x""#) == .string("x"))
        #expect(try parse("7 ") == .int(7))
        #expect(error("4 2") == JSONError(.trailing(UInt8(ascii: "2")), offset: 2))
        #expect(error("-") != nil && error("tr")?.kind == .unexpectedEnd && error(#""ab"#)?.kind == .unexpectedEnd)
        #expect(error("[1, 2")?.kind == .unexpectedEnd)
    }

    @Test func strictModeRefusesExtensions() {
        // json-c accepts a trailing comma and single quotes unless strict.
        #expect(error("[1,2,]") == nil)
        if case .syntax = error("[1,2,]", JSONParseOptions(strict: true))?.kind {} else { Issue.record("strict mode") }
        #expect(error("['a']") == nil)
        if case .syntax = error("['a']", JSONParseOptions(strict: true))?.kind {} else { Issue.record("strict mode quotes") }
    }
}
