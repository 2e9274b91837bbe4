import Foundation
import Testing
import GPT2ModelFile
@testable import GPT2Checkpoints

/// Hostile safetensors files: each must give a typed error, never a crash.
struct SafetensorsBadInputTests {
    func open(_ bytes: [UInt8]) throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        try BadInput.write(dir + "/x.safetensors", bytes)
        _ = try SafetensorsFile(path: dir + "/x.safetensors")
    }

    @Test func truncatedAtEveryOffset() throws {
        let good = try BadInput.read(TestPaths.fixtures + "/hf-f16/model.safetensors")
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let path = dir + "/model.safetensors"
        // Every cut in the length field and header, then every 13th byte of the data area.
        let headerEnd = 8 + Int(good[0]) + Int(good[1]) << 8
        let cuts = Array(0..<headerEnd) + Array(stride(from: headerEnd, to: good.count, by: 13))
        for n in cuts {
            try BadInput.write(path, Array(good[..<n]))
            BadInput.expectError([.truncated, .headerTooLarge, .badJSON, .invalidOffset], "cut at \(n)") {
                _ = try SafetensorsFile(path: path)
            }
        }
        try BadInput.write(path, good)
        #expect(try SafetensorsFile(path: path).entries.count == 28)
    }

    @Test func headerLengthLargerThanFile() throws {
        var good = try BadInput.read(TestPaths.fixtures + "/hf-f16/model.safetensors")
        for len: UInt64 in [UInt64(good.count), 99_999_999, 100_000_001, UInt64(Int64.max), .max] {
            withUnsafeBytes(of: len.littleEndian) { for i in 0..<8 { good[i] = $0[i] } }
            let e = BadInput.expectError([.headerTooLarge], "header length \(len)") { try open(good) }
            #expect(e?.offset == 0)
        }
    }

    @Test func offsetsAndShapes() throws {
        let d = [UInt8](repeating: 0, count: 16)
        let cases: [(String, [UInt8], CheckpointError.Kind)] = [
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, Array(d[..<12]), .overlappingData),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, Array(d[..<8]), .overlappingData),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, Array(d[..<12]), .invalidOffset),
            (#"{"a":{"dtype":"F32","shape":[25],"data_offsets":[0,100]}}"#, Array(d[..<8]), .invalidOffset),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, Array(d[..<4]), .invalidOffset),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, Array(d[..<8]), .invalidOffset),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, d, .invalidOffset),  // trailing bytes
            (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, Array(d[..<8]), .shapeMismatch),
            (#"{"a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}}"#, d, .shapeMismatch),
            (#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#, d, .shapeMismatch),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, Array(d[..<4]), .shapeMismatch),
            (#"{"a":{"dtype":"X9","shape":[4],"data_offsets":[0,4]}}"#, Array(d[..<4]), .unsupportedDType),
            (#"{"a":{"dtype":"F4","shape":[8],"data_offsets":[0,4]}}"#, Array(d[..<4]), .unsupportedDType),
            (#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,4]}}"#, Array(d[..<4]), .shapeMismatch),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, Array(d[..<8]), .duplicateName),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#, Array(d[..<4]), .badJSON),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} x"#, Array(d[..<4]), .badJSON),
            (#"[1,2]"#, [], .badJSON),
            (#"{"a":{"dtype":"F32","shape":[1]}}"#, Array(d[..<4]), .badJSON),
            (#"{"__metadata__":{"k":1}}"#, [], .badJSON),
        ]
        for (header, data, kind) in cases {
            BadInput.expectError([kind], header) { try open(BadInput.safetensors(header: header, data: data)) }
        }
        // Valid edge cases: metadata only, zero-size tensor, padded header, buffer-only dtypes.
        try open(BadInput.safetensors(header: #"{"m":{"dtype":"BOOL","shape":[2,2],"data_offsets":[0,4]},"n":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}}"#, data: Array(d[..<12])))
        try open(BadInput.safetensors(header: #"{"__metadata__":{"format":"pt"}}"#, data: []))
        try open(BadInput.safetensors(header: #"{"a":{"dtype":"BF16","shape":[0],"data_offsets":[0,0]}}   "#, data: []))
    }

    /// Rewrites hf-f16 with `edit` applied to its (name, entry bytes) list, returns the directory.
    func rewrittenF16(_ edit: (inout [(String, String, [Int], [UInt8])]) -> Void) throws -> String {
        let dir = try BadInput.copy(fixture: "hf-f16")
        let f = try SafetensorsFile(path: dir + "/model.safetensors")
        var items = try f.entries.map { e in
            (e.name, "F16", e.shape, try f.file.bytes(at: e.range.lowerBound, count: e.range.count))
        }
        edit(&items)
        var header = "{", data: [UInt8] = []
        for (i, (name, dtype, shape, bytes)) in items.enumerated() {
            header += (i > 0 ? "," : "") + "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}"
            data += bytes
        }
        try BadInput.write(dir + "/model.safetensors", BadInput.safetensors(header: header + "}", data: data))
        return dir
    }

    @Test func checkpointLevelErrors() throws {
        let cases: [(String, CheckpointError.Kind, (inout [(String, String, [Int], [UInt8])]) -> Void)] = [
            ("same tensor with and without prefix", .duplicateName, { $0.append(("transformer." + $0[0].0, $0[0].1, $0[0].2, $0[0].3)) }),
            ("missing tensor", .missingTensor, { $0.removeAll { $0.0 == "h.1.ln_2.bias" } }),
            ("unknown tensor", .unknownTensor, { $0.append(("score.weight", "F16", [2], [0, 0, 0, 0])) }),
            ("extra layer", .unknownTensor, { $0.append(("h.2.ln_1.weight", "F16", [8], [UInt8](repeating: 0, count: 16))) }),
            ("leading-zero layer index", .unknownTensor, { $0.append(("h.01.ln_1.weight", "F16", [8], [UInt8](repeating: 0, count: 16))) }),
            ("integer weight", .unsupportedDType, { items in
                let i = items.firstIndex { $0.0 == "ln_f.bias" }!
                items[i].1 = "I16" }),
            ("shape disagrees with config", .shapeMismatch, { items in
                let i = items.firstIndex { $0.0 == "wpe.weight" }!
                items[i].2 = [8, 16] }),
            ("Conv1D weight not 2-D", .shapeMismatch, { items in
                let i = items.firstIndex { $0.0 == "h.0.attn.c_attn.weight" }!
                items[i].2 = [8, 3, 8] }),
        ]
        for (note, kind, edit) in cases {
            let dir = try rewrittenF16(edit)
            defer { TestPaths.cleanup(dir) }
            BadInput.expectError([kind], note) { try BadInput.openAndLoad(dir) }
        }
        let same = try rewrittenF16 { _ in }
        defer { TestPaths.cleanup(same) }
        try BadInput.openAndLoad(same)
        // transformers 4.x saved the causal mask as a BOOL `attn.bias` buffer: ignored.
        let mask = try rewrittenF16 { $0.append(("h.0.attn.bias", "BOOL", [1, 1, 16, 16], [UInt8](repeating: 1, count: 256))) }
        defer { TestPaths.cleanup(mask) }
        try BadInput.openAndLoad(mask)
    }

    /// `tie_word_embeddings: false`: lm_head.weight becomes a canonical tensor, and is required.
    @Test func untiedHead() throws {
        let head = (0..<(64 * 8 * 2)).map { UInt8(truncatingIfNeeded: $0) }
        let dir = try rewrittenF16 { $0.append(("lm_head.weight", "F16", [64, 8], head)) }
        defer { TestPaths.cleanup(dir) }
        var config = String(decoding: try BadInput.read(dir + "/config.json"), as: UTF8.self)
        config = config.replacingOccurrences(of: #""tie_word_embeddings": true"#, with: #""tie_word_embeddings": false"#)
        try BadInput.write(dir + "/config.json", Array(config.utf8))
        let ck = try SafetensorsCheckpoint(path: dir)
        #expect(!ck.config.tiedHead)
        #expect(ck.tensors.last?.name == "lm_head.weight")
        let t = try ck.load("lm_head.weight")
        #expect(t.shape == [64, 8] && t.bytes == head)
        let noHead = try rewrittenF16 { _ in }
        defer { TestPaths.cleanup(noHead) }
        try BadInput.write(noHead + "/config.json", Array(config.utf8))
        BadInput.expectError([.missingTensor], "untied without lm_head") { _ = try SafetensorsCheckpoint(path: noHead) }
    }

    /// A tokenizer with more ids (300, GPT2TokenizerTests' tiny BPE) than the model has rows (64).
    @Test func tokenizerLargerThanModel() throws {
        let dir = try BadInput.copy(fixture: "hf-f16")
        defer { TestPaths.cleanup(dir) }
        let tok = TestPaths.packageRoot + "/Tests/GPT2TokenizerTests/Fixtures/tiny-bpe"
        for f in ["vocab.json", "merges.txt"] { try BadInput.write(dir + "/" + f, try BadInput.read(tok + "/" + f)) }
        let e = BadInput.expectError([.badTokenizer], "300 ids, 64 rows") { _ = try SafetensorsCheckpoint(path: dir) }
        #expect(e?.message.contains("300") == true)
        unlink(dir + "/merges.txt")
        BadInput.expectError([.badTokenizer], "vocab.json without merges.txt") { _ = try SafetensorsCheckpoint(path: dir) }
    }

    @Test func configErrors() throws {
        let cases: [(String, CheckpointError.Kind)] = [
            (#"{"n_layer":2,"n_head":2,"n_positions":16,"vocab_size":64}"#, .badConfig),
            (#"{"n_layer":2,"n_head":3,"n_embd":8,"n_positions":16,"vocab_size":64}"#, .badConfig),
            (#"{"n_layer":0,"n_head":2,"n_embd":8,"n_positions":16,"vocab_size":64}"#, .badConfig),
            (#"{"n_layer":2,"n_head":2,"n_embd":"8","n_positions":16,"vocab_size":64}"#, .badConfig),
            (#"{"n_layer":2,"n_head":2,"n_embd":8,"n_positions":16,"vocab_size":64,"activation_function":"relu"}"#, .unsupported),
            (#"{"n_layer":2,"n_head":2,"n_embd":8,"n_positions":16,"vocab_size":64,"model_type":"llama"}"#, .unsupported),
            (#"{"n_layer":2,"n_head":2,"n_embd":8,"n_positions":16,"vocab_size":9223372036854775807}"#, .badConfig),
            (#"{"n_layer":2,"#, .badJSON),
        ]
        for (json, kind) in cases {
            let dir = try BadInput.copy(fixture: "hf-f16")
            defer { TestPaths.cleanup(dir) }
            try BadInput.write(dir + "/config.json", Array(json.utf8))
            BadInput.expectError([kind], json) { _ = try SafetensorsCheckpoint(path: dir) }
        }
        let dir = try BadInput.copy(fixture: "hf-f16")
        defer { TestPaths.cleanup(dir) }
        try FileManager.default.removeItem(atPath: dir + "/config.json")
        BadInput.expectError([.badConfig], "no config.json") { _ = try SafetensorsCheckpoint(path: dir) }
    }

    @Test func shardIndexErrors() throws {
        let index = #"{"metadata":{},"weight_map":{"transformer.wte.weight":"../model-00001-of-00002.safetensors"}}"#
        let cases: [(String, CheckpointError.Kind)] = [
            (index, .badJSON),
            (#"{"metadata":{}}"#, .badJSON),
            (#"{"weight_map":{"transformer.wte.weight":"model-00003-of-00003.safetensors"}}"#, .io),
            (#"{"weight_map":{"transformer.wte.weight":"model-00002-of-00002.safetensors"}}"#, .unknownTensor),
        ]
        for (json, kind) in cases {
            let dir = try BadInput.copy(fixture: "hf-sharded")
            defer { TestPaths.cleanup(dir) }
            try BadInput.write(dir + "/model.safetensors.index.json", Array(json.utf8))
            BadInput.expectError([kind], json) { _ = try SafetensorsCheckpoint(path: dir) }
        }
        // The index lists a tensor its shard does not hold / puts a tensor in the wrong shard.
        for (from, to, kind) in [("\"transformer.wpe.weight\"", "\"transformer.wpx.weight\"", CheckpointError.Kind.unknownTensor)] {
            let dir = try BadInput.copy(fixture: "hf-sharded")
            defer { TestPaths.cleanup(dir) }
            let s = String(decoding: try BadInput.read(dir + "/model.safetensors.index.json"), as: UTF8.self)
            try BadInput.write(dir + "/model.safetensors.index.json", Array(s.replacingOccurrences(of: from, with: to).utf8))
            BadInput.expectError([kind], "\(from) -> \(to)") { _ = try SafetensorsCheckpoint(path: dir) }
        }
    }

    /// Random byte flips anywhere in the file: an error or a successful load, never a crash.
    @Test func randomByteFlipsNeverCrash() throws {
        let good = try BadInput.read(TestPaths.fixtures + "/hf-bf16/model.safetensors")
        let dir = try BadInput.copy(fixture: "hf-bf16")
        defer { TestPaths.cleanup(dir) }
        var rng = SplitMix(seed: 7)
        let headerEnd = 8 + Int(good[0]) + Int(good[1]) << 8
        for i in 0..<300 {
            var bad = good
            let at = Int(rng.next() % UInt64(i % 2 == 0 ? headerEnd : good.count))
            bad[at] ^= UInt8(1 << (rng.next() % 8))
            try BadInput.write(dir + "/model.safetensors", bad)
            do { try BadInput.openAndLoad(dir) } catch is CheckpointError {} catch {
                Issue.record("flip at \(at): untyped error \(error)")
            }
        }
    }
}

/// A small deterministic generator for the fuzz-style tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
