import Testing
@testable import GPT2Checkpoints

/// Hostile llm.c model files: typed errors, never a crash.
struct LLMCBadInputTests {
    let good: [UInt8] = (try? BadInput.read(TestPaths.fixtures + "/llmc-bf16/gpt2.bin")) ?? []

    func withHeader(_ i: Int, _ v: Int32) -> [UInt8] {
        var b = good
        withUnsafeBytes(of: v.littleEndian) { for k in 0..<4 { b[4 * i + k] = $0[k] } }
        return b
    }

    func open(_ bytes: [UInt8], in dir: String, name: String = "gpt2.bin") throws {
        try BadInput.write(dir + "/" + name, bytes)
        _ = try LLMCCheckpoint(path: dir + "/" + name)
    }

    @Test func headerErrors() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        try open(good, in: dir)
        let cases: [(String, [UInt8], CheckpointError.Kind)] = [
            ("bad magic", withHeader(0, 20240328), .badMagic),
            ("version 4", withHeader(1, 4), .unsupportedVersion),
            ("version 3 with bf16 data (size disagrees)", withHeader(1, 3), .truncated),
            ("n_layer 0", withHeader(4, 0), .badConfig),
            ("negative vocab", withHeader(3, -1), .badConfig),
            ("huge layers", withHeader(4, Int32.max), .badConfig),
            ("padded vocab below vocab", withHeader(7, 10), .badConfig),
            ("n_head does not divide", withHeader(5, 3), .badConfig),
            ("trailing bytes", good + [0, 0], .invalidOffset),
        ]
        for (note, bytes, kind) in cases {
            BadInput.expectError([kind], note) { try open(bytes, in: dir, name: "c.bin") }
        }
    }

    /// Found by the `llmc-model` fuzz target (minimized header, 277 bytes): 3584 layers of
    /// width 8 passed the config limits, and the reader built 12 tensor sources per layer
    /// before comparing the implied size with the file's. The size is now checked first.
    @Test func manyLayersInATinyFileAreRefusedBySizeFirst() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        let header: [Int32] = [20240326, 5, 16, 64, 3584, 2, 8, 160]
        var bytes = header.flatMap { v in withUnsafeBytes(of: v.littleEndian, Array.init) }
        bytes += [UInt8](repeating: 0, count: 277 - bytes.count)
        let e = BadInput.expectError([.truncated], "3584 layers in 277 bytes") { try open(bytes, in: dir) }
        // 1024-byte header + (Vp·C + maxT·C + L·(12·C² + 13·C) + 2·C) bf16 elements.
        let elements = 160 * 8 + 16 * 8 + 3584 * (12 * 64 + 13 * 8) + 2 * 8
        #expect(e?.message == "header implies \(1024 + 2 * elements) bytes, file has 277")
    }

    @Test func truncatedAtManyOffsets() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        for n in Array(0..<40) + Array(stride(from: 40, to: good.count, by: 17)) {
            BadInput.expectError([.truncated, .badMagic], "cut at \(n)") {
                try open(Array(good[..<n]), in: dir, name: "cut\(n).bin")
            }
        }
    }

    /// Random values in the 8 header fields: an error or a load, never a crash.
    @Test func randomHeaderFieldsNeverCrash() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        var rng = SplitMix(seed: 3)
        for i in 0..<300 {
            let field = Int(rng.next() % 8)
            let value = Int32(truncatingIfNeeded: i % 3 == 0 ? rng.next() : rng.next() % 300)
            do {
                try open(withHeader(field, value), in: dir, name: "f\(i).bin")
                let ck = try LLMCCheckpoint(path: dir + "/f\(i).bin")
                for t in ck.tensors { _ = try ck.load(t.name) }
            } catch is CheckpointError {} catch {
                Issue.record("header[\(field)] = \(value): untyped error \(error)")
            }
        }
    }

    @Test func directoryWithoutModelFile() throws {
        let dir = try TestPaths.tempDir()
        defer { TestPaths.cleanup(dir) }
        try BadInput.write(dir + "/notes.bin", [1, 2, 3, 4, 5])
        let e = BadInput.expectError([.unknownLayout], "no model") { _ = try CheckpointLoader.open(dir) }
        #expect(e?.hint?.contains("safetensors") == true)
        #expect(e?.hint?.contains("20240326") == true)
    }
}
