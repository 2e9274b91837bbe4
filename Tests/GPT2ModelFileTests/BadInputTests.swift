import Foundation
import Testing
@testable import GPT2ModelFile
import GPT2Support

/// Rewrites a model file: `edit` may change the header fields, the metadata bytes (same length:
/// the data follows them) and the tensor table (it is last in the file, so its length may change).
/// File size, table size and the header CRC are then recomputed unless `recomputeCRC` is false,
/// so each test reaches the check it is aimed at instead of stopping at the checksum.
func rewrite(_ path: String, recomputeCRC: Bool = true,
             _ edit: (inout FileHeader, inout [UInt8], inout [UInt8]) -> Void) {
    let bytes = readFile(path)
    var h = bytes.withUnsafeBytes { try! FileHeader.decode($0, file: path) }
    let mo = Int(h.metadataOffset), ms = Int(h.metadataSize), to = Int(h.tableOffset), ts = Int(h.tableSize)
    var meta = Array(bytes[mo..<(mo + ms)])
    var table = Array(bytes[to..<(to + ts)])
    edit(&h, &meta, &table)
    precondition(meta.count == ms, "metadata must keep its length")
    h.tableSize = UInt64(table.count)
    h.fileSize = UInt64(to + table.count)
    var out = Array(bytes[0..<to]) + table
    out.replaceSubrange(mo..<(mo + ms), with: meta)
    if recomputeCRC {
        var c = CRC32C()
        h.encoded(withCRC: false).withUnsafeBytes { c.update($0) }
        meta.withUnsafeBytes { c.update($0) }
        table.withUnsafeBytes { c.update($0) }
        h.crc = c.value
    }
    out.replaceSubrange(0..<FileHeader.size, with: h.encoded())
    writeFile(path, out)
}

/// Rewrites the table from edited entries.
func rewriteEntries(_ path: String, _ edit: (inout [ModelTensorInfo]) -> Void) throws {
    var entries = try ModelFile(path: path).tensors
    edit(&entries)
    rewrite(path) { h, _, table in
        table = entries.flatMap { $0.encoded() }
        h.tensorCount = UInt32(entries.count)
    }
}

@Suite struct BadInputTests {
    let dir = makeTempDir()

    func fresh(_ codec: TensorCodec = .raw) throws -> String {
        try writeTinyModel(dir, name: UUID().uuidString, codec: codec)
    }

    /// A file with one 20000-element trained-like f32 tensor "w" that compresses.
    func freshCompressed() throws -> String {
        var g = SplitMix(seed: 4)
        let w = TensorData(name: "w", shape: [20000], type: .f32, bytes: floatBytes((0..<20000).map { _ in g.weight(0.02) }))
        return try writeTinyModel(dir, name: UUID().uuidString, codec: .bytePlanesZstd, tensors: [w] + tinyTensors())
    }

    @Test func truncationAtAnyOffsetIsATypedError() throws {
        defer { cleanup(dir) }
        let path = try fresh(.bytePlanesZstd)
        let full = readFile(path)
        var cuts = Array(0..<200) + Array(stride(from: 200, to: full.count, by: 211)) + Array((full.count - 64)..<full.count)
        cuts = cuts.filter { $0 < full.count }
        let cut = dir + "/cut"
        for n in cuts {
            writeFile(cut, Array(full[0..<n]))
            let e = expectError(.truncated) { _ = try ModelFile(path: cut) }
            #expect(e?.file == cut)
        }
    }

    @Test func headerLengthsLargerThanTheFile() throws {
        defer { cleanup(dir) }
        for edit: (inout FileHeader) -> Void in [
            { $0.metadataSize = 1 << 40 }, { $0.metadataSize = UInt64.max }, { $0.tableOffset = UInt64.max - 3 },
            { $0.dataSize += 4096 }, { $0.dataOffset = $0.fileSize },
        ] {
            let path = try fresh()
            rewrite(path) { h, _, _ in edit(&h) }
            let e = expectError(.truncated) { _ = try ModelFile(path: path) }
            #expect(e?.offset != nil)
        }
        let path = try fresh()
        rewrite(path) { h, _, _ in h.tensorCount += 1 }      // more entries than the table holds
        expectError(.badTable) { _ = try ModelFile(path: path) }
    }

    @Test func regionsOverlappingEachOtherOrTheHeader() throws {
        defer { cleanup(dir) }
        var path = try fresh()
        rewrite(path) { h, _, _ in h.metadataOffset = 40 }
        expectError(.badHeader) { _ = try ModelFile(path: path) }
        path = try fresh()
        rewrite(path) { h, _, _ in h.tableOffset = h.metadataOffset }
        expectError(.overlap) { _ = try ModelFile(path: path) }
        path = try fresh()
        rewrite(path) { h, _, _ in h.dataOffset += 8; h.dataSize -= 8 }
        expectError(.misaligned) { _ = try ModelFile(path: path) }
        path = try fresh()
        rewrite(path) { h, _, _ in h.alignment = 1000 }
        expectError(.badHeader) { _ = try ModelFile(path: path) }
    }

    @Test func overlappingOutOfRangeAndMisalignedTensorOffsets() throws {
        defer { cleanup(dir) }
        var path = try fresh()
        try rewriteEntries(path) { $0[1].offset = $0[0].offset }
        let e = expectError(.overlap) { _ = try ModelFile(path: path) }
        #expect(e?.tensor != nil)
        path = try fresh()
        try rewriteEntries(path) { $0[2].offset = $0.last!.offset + 4096 * 50 }
        expectError(.outOfRange) { _ = try ModelFile(path: path) }
        path = try fresh()
        try rewriteEntries(path) { $0[2].offset = Int.max - 100 }
        expectError(.outOfRange) { _ = try ModelFile(path: path) }
        path = try fresh()
        try rewriteEntries(path) { $0[2].offset += 64 }
        expectError(.misaligned) { _ = try ModelFile(path: path) }
    }

    @Test func shapesThatDisagreeWithSizes() throws {
        defer { cleanup(dir) }
        for edit: (inout ModelTensorInfo) -> Void in [
            { $0.shape[0] += 1 }, { $0.rawSize += 4 }, { $0.storedSize -= 4 }, { $0.shape = [Int.max, 3] },
            { $0.type = .q8_0 },   // 8·10 f32 elements are not whole q8_0 blocks of these sizes
        ] {
            let path = try fresh()
            try rewriteEntries(path) { edit(&$0[0]) }
            expectError(.shapeMismatch) { _ = try ModelFile(path: path) }
        }
    }

    @Test func unknownDTypeOrCodecAndBadEntries() throws {
        defer { cleanup(dir) }
        let nameLen = "wte.weight".utf8.count
        for (at, value, kind) in [(2 + nameLen, UInt8(9), ModelFileError.Kind.unknownDType),
                                  (3 + nameLen, 7, .unknownCodec), (4 + nameLen, 200, .badTable),
                                  (5 + nameLen, 1, .badTable), (0, 0, .badTable), (2, 0xFF, .badTable)] {
            let path = try fresh()
            rewrite(path) { _, _, table in table[at] = value }
            let e = expectError(kind) { _ = try ModelFile(path: path) }
            #expect(e?.offset != nil)
        }
        let path = try fresh()
        try rewriteEntries(path) { $0[0].codec = .bytePlanesZstd; $0[0].type = .q8_0; $0[0].shape = [64]; $0[0].rawSize = 68 }
        expectError(.unknownCodec) { _ = try ModelFile(path: path) }
    }

    @Test func newerMajorVersionAndUnknownFlags() throws {
        defer { cleanup(dir) }
        var path = try fresh()
        rewrite(path) { h, _, _ in h.major = 2 }
        let e = expectError(.unsupportedVersion) { _ = try ModelFile(path: path) }
        #expect(e?.hint.contains("newer") == true)
        path = try fresh()
        rewrite(path) { h, _, _ in h.major = 0x0100 }
        let swapped = expectError(.unsupportedVersion) { _ = try ModelFile(path: path) }
        #expect(swapped?.hint.contains("endianness") == true)
        path = try fresh()
        rewrite(path) { h, _, _ in h.minor = 7 }                 // newer minor: still readable
        _ = try ModelFile(path: path)
        path = try fresh()
        rewrite(path) { h, _, _ in h.flags = 1 }
        expectError(.unsupportedVersion) { _ = try ModelFile(path: path) }
    }

    @Test func duplicateNames() throws {
        defer { cleanup(dir) }
        let path = try fresh()
        try rewriteEntries(path) { $0[3].name = $0[1].name }
        let e = expectError(.duplicateName) { _ = try ModelFile(path: path) }
        #expect(e?.tensor == "wpe.weight")
    }

    @Test func badMagicAndHeaderChecksum() throws {
        defer { cleanup(dir) }
        var path = try fresh()
        var b = readFile(path); b[1] = UInt8(ascii: "X"); writeFile(path, b)
        expectError(.badMagic) { _ = try ModelFile(path: path) }
        path = dir + "/text"
        writeFile(path, Array(String(repeating: "not a model file\n", count: 20).utf8))
        expectError(.badMagic) { _ = try ModelFile(path: path) }
        path = try fresh()
        rewrite(path, recomputeCRC: false) { _, meta, _ in meta[meta.count / 2] ^= 0x20 }
        expectError(.headerChecksum) { _ = try ModelFile(path: path) }
        path = try fresh()
        rewrite(path, recomputeCRC: false) { _, _, table in table[table.count - 1] ^= 1 }
        expectError(.headerChecksum) { _ = try ModelFile(path: path) }
        expectError(.io) { _ = try ModelFile(path: dir) }
        expectError(.io) { _ = try ModelFile(path: dir + "/nope") }
    }

    @Test func malformedOrIncompleteMetadata() throws {
        defer { cleanup(dir) }
        func replacing(_ old: String, _ new: String) -> (inout [UInt8]) -> Void {
            { meta in
                let s = String(decoding: meta, as: UTF8.self)
                precondition(s.contains(old) && old.utf8.count == new.utf8.count)
                meta = Array(s.replacingOccurrences(of: old, with: new).utf8)
            }
        }
        let cases: [((inout [UInt8]) -> Void, ModelFileError.Kind)] = [
            ({ $0[0] = UInt8(ascii: "[") }, .badMetadata),                        // not JSON
            ({ $0[$0.count - 1] = UInt8(ascii: ",") }, .badMetadata),             // cut-off object
            ({ $0[3] = 0xFF }, .badMetadata),                                       // invalid UTF-8
            (replacing("\"n_layer\":1", "\"n_layer\":0"), .badMetadata),
            (replacing("\"n_head\":2", "\"n_head\":3"), .badMetadata),             // n_embd % n_head
            (replacing("\"gelu_erf\"", "\"gelu_xyz\""), .badMetadata),
            (replacing("\"bias\":true", "\"bias\":\"ye\""), .badMetadata),
            (replacing("\"tokens\":[\"QQ==\"", "\"tokens\":[\"Q!==\""), .badMetadata),
            (replacing("\"gpt2\":{", "\"gpt3\":{"), .badMetadata),
        ]
        for (edit, kind) in cases {
            let path = try fresh()
            rewrite(path) { _, meta, _ in edit(&meta) }
            let e = expectError(kind) { _ = try ModelFile(path: path) }
            #expect((e?.offset ?? 0) >= FileHeader.size)
        }
    }

    @Test func flippedPayloadBitIsAChecksumError() throws {
        defer { cleanup(dir) }
        // Raw: opening stays lazy; verify() reads the pages and finds it.
        var path = try fresh()
        var f = try ModelFile(path: path)
        var t = try #require(f.info("h.0.mlp.fc.weight"))
        var b = readFile(path); b[t.offset + 77] ^= 0x04; writeFile(path, b)
        f = try ModelFile(path: path)
        let e = expectError(.checksumMismatch) { try f.verify("h.0.mlp.fc.weight") }
        #expect(e?.tensor == "h.0.mlp.fc.weight" && e?.offset == t.offset)
        expectError(.checksumMismatch) { try f.verifyAll() }
        // Compressed: decoding checks it, in the zstd plane and in a raw plane.
        for delta in [20, t.storedSize - 3] {
            path = try freshCompressed()
            f = try ModelFile(path: path)
            t = try #require(f.info("w"))
            #expect(t.codec == .bytePlanesZstd)
            b = readFile(path); b[t.offset + BytePlanesCodec.headerSize + 4 * 4 + delta] ^= 0x10; writeFile(path, b)
            f = try ModelFile(path: path)
            do {
                _ = try f.tensorData("w")
                Issue.record("corrupt payload decoded without error")
            } catch let e as ModelFileError {
                #expect(e.kind == .checksumMismatch || e.kind == .corruptPayload)
                #expect(e.tensor == "w")
            }
        }
    }

    @Test func corruptPlaneTableIsATypedError() throws {
        defer { cleanup(dir) }
        for (at, value) in [(2, UInt8(0)), (3, 0x7F), (4, 9), (8, 3), (12, 0xFF), (13, 0xFF), (27, 0x00), (26, 0x7F)] {
            let path = try freshCompressed()
            let t = try #require(try ModelFile(path: path).info("w"))
            #expect(t.codec == .bytePlanesZstd)
            var b = readFile(path); b[t.offset + at] = value; writeFile(path, b)
            let f = try ModelFile(path: path)
            expectError(.corruptPayload) { _ = try f.tensorData("w") }
        }
    }

    @Test func hugeShapeOfACompressedTensorFailsBeforeAllocating() throws {
        defer { cleanup(dir) }
        let path = try freshCompressed()
        // 2^38 f32 elements = 1 TiB decoded: the chunk table disagrees, and nothing is allocated.
        try rewriteEntries(path) { e in
            let i = e.firstIndex { $0.name == "w" }!
            e[i].shape = [1 << 38]; e[i].rawSize = 4 << 38
        }
        let f = try ModelFile(path: path)
        let e = expectError(.corruptPayload) { _ = try f.tensorData("w") }
        #expect(e?.expected?.contains("chunks") == true)
    }

    @Test func randomTableCorruptionNeverCrashes() throws {
        defer { cleanup(dir) }
        var g = SplitMix(seed: 99)
        let original = try freshCompressed()
        let bytes = readFile(original)
        for i in 0..<300 {
            let path = dir + "/fuzz"
            writeFile(path, bytes)
            rewrite(path) { h, _, table in
                for _ in 0..<(1 + Int(g.next() % 4)) {
                    table[Int(g.next() % UInt64(table.count))] ^= UInt8(truncatingIfNeeded: g.next() | 1)
                }
                if i % 10 == 0 { table.removeLast(Int(g.next() % 40)) }
                _ = h
            }
            do {
                let f = try ModelFile(path: path)
                try? f.verifyAll()
            } catch {
                #expect(!error.hint.isEmpty, "\(error)")   // typed throws: every failure is a ModelFileError with a hint
            }
        }
    }
}
