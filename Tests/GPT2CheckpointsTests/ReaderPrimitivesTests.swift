import Testing
import GPT2ModelFile
import GPT2Support
@testable import GPT2Checkpoints

/// ByteReader, JSON, transposes and name maps on hand-made inputs.
struct ReaderPrimitivesTests {
    @Test func littleEndianAndBounds() throws {
        var r = ByteReader(bytes: [1, 2, 3, 4, 5, 6, 7, 8, 9], file: "mem", origin: 100)
        #expect(try r.u16() == 0x0201)
        #expect(try r.u32() == 0x0605_0403)
        #expect(r.position == 106)
        let e = BadInput.expectError([.truncated], "u32 past end") { _ = try r.u32() }
        #expect(e?.offset == 106)
        #expect(r.offset == 6)                       // a failed read does not move
        #expect(try r.bytes(3) == [7, 8, 9])
        #expect(r.isAtEnd)
        BadInput.expectError([.truncated], "negative count") { _ = try r.bytes(-1) }
        BadInput.expectError([.truncated], "seek past end") { try r.seek(to: 10) }
        var s = ByteReader(bytes: [1, 2, 3, 4], file: "mem")
        var sub = try s.slice(2)
        #expect(try sub.u16() == 0x0201)
        BadInput.expectError([.truncated], "slice is bounded") { _ = try sub.u8() }
        #expect(try s.u16() == 0x0403)
        BadInput.expectError([.truncated], "range outside") { _ = try s.slice(range: 2..<5) }
    }

    @Test func varints() throws {
        func v(_ b: [UInt8]) throws -> UInt64 {
            var r = ByteReader(bytes: b, file: "mem")
            return try r.varint()
        }
        #expect(try v([0]) == 0)
        #expect(try v([0x96, 0x01]) == 150)           // protobuf encoding guide's example
        #expect(try v([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) == UInt64.max)
        BadInput.expectError([.corrupt], "65 bits") { _ = try v([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]) }
        BadInput.expectError([.corrupt], "11 bytes") { _ = try v([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]) }
        BadInput.expectError([.truncated], "unterminated") { _ = try v([0x80, 0x80]) }
        var r = ByteReader(bytes: [0xff, 0x01], file: "mem")
        BadInput.expectError([.corrupt], "over limit") { _ = try r.varintAsInt(limit: 100) }
        var big = ByteReader(bytes: [0, 0, 0, 0, 0, 0, 0, 0x80], file: "mem")
        BadInput.expectError([.headerTooLarge], "u64 over Int.max") { _ = try big.u64AsInt() }
    }

    @Test func json() throws {
        let j = try JSON.parse(Array(#"{"a":[1,2.5,"x",null,true],"b":{"c":-3}}  "#.utf8), file: "j")
        #expect(j["a"] == .array([.int(1), .double(2.5), .string("x"), .null, .bool(true)]))
        #expect(j["b"]?["c"]?.intValue == -3)
        #expect(j["a"]?.arrayValue?[1].intValue == nil)
        // Duplicates only matter at the top level; escaped quotes do not end a key.
        _ = try JSON.parse(Array(#"{"a":{"k":1},"b":{"k":2},"x\"y":1,"x":2}"#.utf8), file: "j")
        BadInput.expectError([.duplicateName], "top-level duplicate") {
            _ = try JSON.parse(Array(#"{"a\"b":1, "c":[{"a\"b":2}], "a\"b" :3}"#.utf8), file: "j")
        }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        BadInput.expectError([.badJSON], "nesting depth") { _ = try JSON.parse(Array(deep.utf8), file: "j") }
        let e = BadInput.expectError([.badJSON], "garbage") { _ = try JSON.parse(Array("{\"a\": tru}".utf8), file: "j", origin: 8) }
        #expect((e?.offset ?? 0) >= 8)
        BadInput.expectError([.badJSON], "empty") { _ = try JSON.parse([], file: "j") }
    }

    @Test(arguments: [(0, 5), (1, 1), (3, 5), (33, 70), (45, 29), (64, 17), (100, 100), (96, 32), (200, 48)])
    func transposeMatchesNaive(_ dims: (Int, Int)) {
        let (rows, cols) = dims
        for size in [2, 4] {
            let src = (0..<(rows * cols * size)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
            let naive = TensorTransforms.transpose2DNaive(src, rows: rows, cols: cols, elementSize: size)
            for threads in [1, 2, 3, 8] {   // 8 > tile rows for most shapes: threads are capped
                let fast = src.withUnsafeBytes { TensorTransforms.transpose2D($0, rows: rows, cols: cols, elementSize: size, threads: threads) }
                #expect(fast == naive, "\(rows)x\(cols) size \(size) threads \(threads)")
            }
        }
        // The oracle itself on a 2×3 of 4-byte elements.
        let m: [UInt32] = [1, 2, 3, 4, 5, 6]
        let t = TensorTransforms.transpose2DNaive(m.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) },
                                                  rows: 2, cols: 3, elementSize: 4)
        #expect(stride(from: 0, to: t.count, by: 4).map { Int(t[$0]) } == [1, 4, 2, 5, 3, 6])
    }

    @Test func hfNames() {
        #expect(HFTensorNames.role(of: "transformer.h.11.attn.c_attn.weight") == .tensor("h.11.attn.qkv.weight", conv1D: true))
        #expect(HFTensorNames.role(of: "h.0.mlp.c_proj.bias") == .tensor("h.0.mlp.proj.bias", conv1D: false))
        #expect(HFTensorNames.role(of: "transformer.wte.weight") == .tensor("wte.weight", conv1D: false))
        #expect(HFTensorNames.role(of: "lm_head.weight") == .head)
        #expect(HFTensorNames.role(of: "transformer.h.3.attn.masked_bias") == .buffer)
        #expect(HFTensorNames.role(of: "h.3.attn.bias") == .buffer)
        for bad in ["h.-1.ln_1.weight", "h.01.ln_1.weight", "h..ln_1.weight", "transformer.h.0.ln_3.weight",
                    "model.h.0.ln_1.weight", "h.0.attn.c_attn.weight.x", "transformer.lm_head.weight"] {
            #expect(HFTensorNames.role(of: bad) == nil, "\(bad)")
        }
    }

    @Test func tfNames() {
        #expect(TFTensorNames.mapping(of: "model/h10/attn/c_proj/w") == .init(canonical: "h.10.attn.proj.weight", conv: true))
        #expect(TFTensorNames.mapping(of: "model/h0/ln_2/g") == .init(canonical: "h.0.ln_2.weight", conv: false))
        #expect(TFTensorNames.mapping(of: "model/ln_f/b") == .init(canonical: "ln_f.bias", conv: false))
        for bad in ["model/h/ln_1/g", "model/h00/ln_1/g", "model/hx/ln_1/g", "model/h0/ln_1/w", "wte"] {
            #expect(TFTensorNames.mapping(of: bad) == nil, "\(bad)")
        }
    }
}
