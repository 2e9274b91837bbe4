import Foundation
import Testing
@testable import GPT2Checkpoints
import GPT2ModelFile

/// Every way a GGUF file can be wrong gives a typed error naming the file, never a crash or an
/// allocation the file cannot back. Variants are built from the gguf-py fixture with one field
/// changed (GGUFBuilder).
@Suite struct GGUFBadInputTests {
    static let fixture = GGUFFixtures.dir + "/tiny-q8_0.gguf"

    func expect(_ kinds: Set<CheckpointError.Kind>, _ note: String, _ build: (inout GGUFBuilder) -> Void,
                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        var b = try GGUFBuilder(path: Self.fixture)
        build(&b)
        let path = try b.write(dir)
        BadInput.expectError(kinds, note, sourceLocation: sourceLocation) { try Self.openAndLoad(path) }
    }

    /// Through the GGUF reader itself (detection by magic would call a bad magic unknownLayout).
    static func openAndLoad(_ path: String) throws {
        let c = try GGUFCheckpoint(path: path)
        for t in c.tensors { _ = try c.load(t.name) }
    }

    @Test func unchangedRebuildOpens() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let path = try GGUFBuilder(path: Self.fixture).write(dir)
        #expect(try BadInput.read(path) == BadInput.read(Self.fixture))
        try Self.openAndLoad(path)
    }

    @Test func header() throws {
        try expect([.badMagic], "magic") { $0.magic = Array("GGUG".utf8) }
        try expect([.badMagic], "big-endian magic") { $0.magic = Array("FUGG".utf8) }
        try expect([.unsupportedVersion], "v1") { $0.version = 1 }
        try expect([.unsupportedVersion], "v4") { $0.version = 4 }
        try expect([.headerTooLarge], "kv count") { $0.kvCount = 1 << 40 }
        try expect([.headerTooLarge], "kv count past Int") { $0.kvCount = .max }
        try expect([.headerTooLarge], "tensor count") { $0.tensorCount = 1 << 40 }
        try expect([.truncated, .corrupt, .duplicateName, .headerTooLarge, .shapeMismatch, .unsupportedDType, .invalidOffset], "one kv too many") { $0.kvCount = UInt64($0.kvs.count + 1) }
    }

    @Test func metadataValues() throws {
        try expect([.duplicateName], "duplicate key") { $0.kvs.append(("gpt2.block_count", .u32(2))) }
        try expect([.corrupt], "alignment not a power of two") { $0["general.alignment"] = .u32(24) }
        try expect([.corrupt], "alignment of the wrong type") { $0["general.alignment"] = .u64(32) }
        try expect([.badConfig], "missing block_count") { $0["gpt2.block_count"] = nil }
        try expect([.badConfig], "missing epsilon") { $0["gpt2.attention.layer_norm_epsilon"] = nil }
        try expect([.badConfig], "missing architecture") { $0["general.architecture"] = nil }
        try expect([.badConfig], "string block_count") { $0["gpt2.block_count"] = .string("2") }
        try expect([.badConfig], "integer epsilon") { $0["gpt2.attention.layer_norm_epsilon"] = .u32(1) }
        try expect([.badConfig], "zero heads") { $0["gpt2.attention.head_count"] = .u32(0) }
        try expect([.badConfig], "heads do not divide n_embd") { $0["gpt2.attention.head_count"] = .u32(5) }
        try expect([.unsupported], "llama architecture") { $0["general.architecture"] = .string("llama") }
        try expect([.unsupported], "feed_forward_length") { $0["gpt2.feed_forward_length"] = .u32(100) }
        try expect([.missingTensor], "block_count disagrees with tensors") { $0["gpt2.block_count"] = .u32(3) }
        try expect([.shapeMismatch], "context disagrees with position_embd") { $0["gpt2.context_length"] = .u32(17) }
    }

    @Test func tokenizerMetadata() throws {
        try expect([.badTokenizer], "sentencepiece") { $0["tokenizer.ggml.model"] = .string("llama") }
        try expect([.unsupported], "other pre-tokenizer") { $0["tokenizer.ggml.pre"] = .string("llama3") }
        try expect([.badTokenizer], "no merges") { $0["tokenizer.ggml.merges"] = nil }
        try expect([.badTokenizer], "tokens not strings") { $0["tokenizer.ggml.tokens"] = .array(.u32, [.u32(1)]) }
        try expect([.badTokenizer], "token types of the wrong length") { $0["tokenizer.ggml.token_type"] = .array(.i32, [.i32(1)]) }
        try expect([.badTokenizer], "eos out of range") { $0["tokenizer.ggml.eos_token_id"] = .u32(100_000) }
        try expect([.badTokenizer], "merge of unknown tokens") { b in
            guard case .array(let t, var a) = b["tokenizer.ggml.merges"]! else { return }
            a[0] = .string("Q Z")
            b["tokenizer.ggml.merges"] = .array(t, a)
        }
        try expect([.badTokenizer], "tokenizer larger than the embedding") { b in
            guard case .array(let t, var a) = b["tokenizer.ggml.tokens"]!, case .array(let tt, var types) = b["tokenizer.ggml.token_type"]! else { return }
            a.append(.string("<|extra|>"))
            types.append(.i32(3))
            b["tokenizer.ggml.tokens"] = .array(t, a)
            b["tokenizer.ggml.token_type"] = .array(tt, types)
        }
    }

    @Test func tensorInfos() throws {
        try expect([.unsupportedDType], "q4_0") { $0.tensors[1].type = 2 }
        try expect([.unsupportedDType], "unknown ggml type") { $0.tensors[1].type = 999 }
        try expect([.shapeMismatch], "five dims") { $0.tensors[0].ne = [1, 1, 1, 1, 96] }
        try expect([.shapeMismatch], "huge dim") { $0.tensors[0].ne = [1 << 40] }
        try expect([.shapeMismatch], "q8_0 row of 16") { b in
            let i = b.tensors.firstIndex { $0.type == GGMLType.q8_0 }!
            b.tensors[i].ne = [16, b.tensors[i].ne[1] * 2]
        }
        try expect([.invalidOffset], "misaligned offset") { $0.tensors[1].offset += 4 }
        try expect([.invalidOffset], "offset past the end") { $0.tensors[1].offset = 1 << 40 }
        try expect([.invalidOffset], "offset near UInt64.max") { $0.tensors[1].offset = UInt64(Int.max) / 32 * 32 }
        try expect([.overlappingData], "overlap") { $0.tensors[1].offset = $0.tensors[0].offset }
        try expect([.duplicateName], "duplicate tensor") { $0.tensors[1].name = $0.tensors[0].name }
        try expect([.unknownTensor], "llama tensor name") { $0.tensors[0].name = "blk.0.attn_q.weight" }
        try expect([.missingTensor], "no token_embd") { b in b.tensors.removeAll { $0.name == "token_embd.weight" } }
        try expect([.missingTensor], "no layer tensor") { b in b.tensors.removeAll { $0.name == "blk.1.ffn_up.bias" } }
        try expect([.shapeMismatch], "transposed matrix") { b in
            let i = b.tensors.firstIndex { $0.name == "blk.0.ffn_up.weight" }!
            b.tensors[i].ne = [128, 32]
            b.tensors[i].type = GGMLType.f32      // same element count, f32 to keep rows whole
            b.data += [UInt8](repeating: 0, count: 128 * 32 * 4)
            b.tensors[i].offset = UInt64((b.data.count - 128 * 32 * 4))
        }
    }

    /// A huge count inside an array is refused from the bytes left, before any allocation.
    @Test func arrayCountBeyondTheFile() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        var b = try GGUFBuilder(path: Self.fixture)
        b.kvs.insert(("x.big", .array(.u64, [.u64(7)])), at: 0)
        var bytes = b.bytes()
        // magic, version, counts (24 bytes), key (8 + 5), type 9, element type: then the count.
        let at = 24 + 8 + 5 + 4 + 4
        #expect(bytes[at] == 1)
        for (i, v) in withUnsafeBytes(of: UInt64(1 << 50).littleEndian, Array.init).enumerated() { bytes[at + i] = v }
        try BadInput.write(dir + "/a.gguf", bytes)
        BadInput.expectError([.headerTooLarge], "array count") { try Self.openAndLoad(dir + "/a.gguf") }
        for (i, v) in withUnsafeBytes(of: UInt32(77).littleEndian, Array.init).enumerated() { bytes[at - 4 + i] = v }
        try BadInput.write(dir + "/b.gguf", bytes)
        BadInput.expectError([.corrupt], "array element type") { try Self.openAndLoad(dir + "/b.gguf") }
        var c = b.bytes()
        for (i, v) in withUnsafeBytes(of: UInt32(13).littleEndian, Array.init).enumerated() { c[at - 8 + i] = v }
        try BadInput.write(dir + "/c.gguf", c)
        BadInput.expectError([.corrupt], "value type") { try Self.openAndLoad(dir + "/c.gguf") }
        var d = b.bytes()
        for (i, v) in withUnsafeBytes(of: UInt64(1 << 62).littleEndian, Array.init).enumerated() { d[24 + i] = v }
        try BadInput.write(dir + "/d.gguf", d)
        BadInput.expectError([.truncated], "key length") { try Self.openAndLoad(dir + "/d.gguf") }
    }

    @Test func nestedArraysAndBools() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        var b = try GGUFBuilder(path: Self.fixture)
        b.kvs.append(("x.nested", .array(.array, [.array(.string, [.string("a")]), .array(.i8, [.i8(-1)])])))
        b.kvs.append(("x.flag", .bool(true)))
        b.kvs.append(("x.f64", .f64(0.5)))
        let g = try GGUFFile(path: try b.write(dir))
        #expect(g["x.nested"] == .array(.array, [.array(.string, [.string("a")]), .array(.i8, [.i8(-1)])]))
        #expect(g["x.flag"] == .bool(true) && g["x.f64"]?.doubleValue == 0.5)
        var deep: GGUFValue = .u8(1)
        for _ in 0..<6 { deep = .array(deep.type, [deep]) }
        b.kvs.append(("x.deep", deep))
        BadInput.expectError([.unsupported], "deep nesting") { _ = try GGUFFile(path: try b.write(dir, "deep.gguf")) }
        b.kvs.removeLast()
        var bytes = b.bytes()
        let flag = try #require(bytes.indices.first { i in i + 10 < bytes.count && Array(bytes[i..<(i + 6)]) == Array("x.flag".utf8) })
        bytes[flag + 6 + 4] = 2          // key, u32 type, then the bool byte
        try BadInput.write(dir + "/bool.gguf", bytes)
        BadInput.expectError([.corrupt], "bool 2") { _ = try GGUFFile(path: dir + "/bool.gguf") }
    }

    /// Every prefix of the header and some of the data: an error, never a crash.
    @Test func truncatedAtEveryHeaderOffset() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let bytes = try BadInput.read(Self.fixture)
        let g = try GGUFFile(path: Self.fixture)
        let cuts = Array(stride(from: 0, to: g.dataOffset + 64, by: 1)) + Array(stride(from: g.dataOffset + 64, to: bytes.count, by: 997))
        for n in cuts {
            let p = dir + "/t.gguf"
            try BadInput.write(p, Array(bytes.prefix(n)))
            BadInput.expectError([.truncated, .invalidOffset, .headerTooLarge], "cut at \(n)") {
                try Self.openAndLoad(p)
            }
        }
    }

    /// 300 random byte flips: an error or a load, never a crash.
    @Test func randomByteFlips() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let bytes = try BadInput.read(Self.fixture)
        let headerEnd = try GGUFFile(path: Self.fixture).dataOffset
        var rng = SystemRandomNumberGenerator()
        for i in 0..<300 {
            var b = bytes
            let at = Int.random(in: 0..<headerEnd, using: &rng)
            b[at] ^= UInt8.random(in: 1...255, using: &rng)
            let p = dir + "/f.gguf"
            try BadInput.write(p, b)
            do { try Self.openAndLoad(p) } catch is CheckpointError {} catch {
                Issue.record("flip \(i) at \(at): untyped error \(error)")
            }
        }
    }
}
