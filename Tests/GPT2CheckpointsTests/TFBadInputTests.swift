import GPT2Support
import Foundation
import Testing
import GPT2ModelFile
@testable import GPT2Checkpoints

/// Hostile TensorFlow checkpoints (index table and data shard): typed errors, never a crash.
struct TFBadInputTests {
    static let indexName = "/model.ckpt.index"
    static let dataName = "/model.ckpt.data-00000-of-00002"

    /// The fixture's index bytes and the ranges of its data block and index block.
    struct Index {
        var bytes: [UInt8]
        var dataBlock: Range<Int>
        var indexBlock: Range<Int>

        init(_ path: String) throws {
            bytes = try BadInput.read(path)
            let file = try MappedFile(path: path)
            var footer = try file.reader().slice(range: (bytes.count - 48)..<(bytes.count - 8))
            _ = try TFTable.handle(&footer, limit: bytes.count - 48, what: "metaindex")
            indexBlock = try TFTable.handle(&footer, limit: bytes.count - 48, what: "index")
            let ie = try TFTable.entries(of: try file.reader().slice(range: indexBlock), file: path)
            var hv = ByteReader(bytes: ie[0].value, file: path)
            dataBlock = try TFTable.handle(&hv, limit: bytes.count - 48, what: "data")
        }

        /// Entries of the data block (value offsets are file offsets).
        func entries() throws -> [TFTable.Entry] {
            try TFTable.entries(of: ByteReader(bytes: bytes, file: "index").slice(range: dataBlock), file: "index")
        }

        /// Recomputes the masked crc32c of `block` after an edit, so only the edit is wrong.
        mutating func fixCRC(_ block: Range<Int>) {
            let crc = CRC32C.masked(CRC32C.checksum(bytes[block.lowerBound...block.upperBound]))
            withUnsafeBytes(of: crc.littleEndian) { for k in 0..<4 { bytes[block.upperBound + 1 + k] = $0[k] } }
        }
    }

    /// A copy of the TF fixture with its index replaced; returns the directory.
    func withIndex(_ bytes: [UInt8]) throws -> String {
        let dir = try BadInput.copy(fixture: "tf")
        try BadInput.write(dir + Self.indexName, bytes)
        return dir
    }

    func expectIndex(_ bytes: [UInt8], _ kinds: Set<CheckpointError.Kind>, _ note: String,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try withIndex(bytes)
        defer { TestPaths.cleanup(dir) }
        BadInput.expectError(kinds, note, sourceLocation: sourceLocation) { try BadInput.openAndLoad(dir) }
    }

    @Test func corruptBlockCRC() throws {
        let ix = try Index(TestPaths.fixtures + "/tf" + Self.indexName)
        for at in [ix.dataBlock.lowerBound + 3, ix.dataBlock.upperBound - 1, ix.dataBlock.upperBound + 2,
                   ix.indexBlock.lowerBound, ix.indexBlock.upperBound + 4] {
            var b = ix.bytes
            b[at] ^= 0x10
            try expectIndex(b, [.checksumMismatch], "flip at \(at)")
        }
    }

    @Test func corruptBlockWithValidCRC() throws {
        let good = try Index(TestPaths.fixtures + "/tf" + Self.indexName)
        let entries = try good.entries()
        let byName = Dictionary(uniqueKeysWithValues: entries.map { (String(decoding: $0.key, as: UTF8.self), $0) })
        func edit(_ note: String, _ kinds: Set<CheckpointError.Kind>, _ f: (inout [UInt8]) -> Void) throws {
            var ix = good
            f(&ix.bytes)
            ix.fixCRC(ix.dataBlock)
            try expectIndex(ix.bytes, kinds, note)
        }
        let end = good.dataBlock.upperBound
        try edit("restart count huge", [.corrupt]) { $0[end - 1] = 0x7f }
        try edit("compression type snappy", [.unsupported]) { $0[end] = 1 }
        // c_attn/w follows c_attn/b sharing 21 bytes: its one own key byte is just before its value.
        let w = try #require(byName["model/h0/attn/c_attn/w"])
        try edit("duplicate key", [.duplicateName]) { $0[w.valueOffset - 1] = UInt8(ascii: "b") }
        try edit("unsorted key", [.corrupt]) { $0[w.valueOffset - 1] = UInt8(ascii: "a") }
        try edit("shared > previous key", [.corrupt]) { $0[w.valueOffset - 4] = 0x7f }
        // model/wte is the block's last entry: shared 7, own key "te", then the value length.
        let wte = try #require(byName["model/wte"])
        try edit("value length past block", [.truncated]) { $0[wte.valueOffset - 3] = 0x7f }
        // BundleEntryProto of model/h0/ln_1/b (shard 0): 08 01 (DT_FLOAT) 12 04 12 02 08 08
        // (shape [8]) 20 xx yy (a 2-byte offset varint) 28 .. (size) 35 .. (crc)
        let lnf = try #require(byName["model/h0/ln_1/b"])
        #expect(Array(lnf.value.prefix(9)) == [0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x08, 0x20])
        #expect(lnf.value[9] & 0x80 != 0 && lnf.value[10] & 0x80 == 0)
        try edit("dtype DT_INT32", [.unsupportedDType]) { $0[lnf.valueOffset + 1] = 3 }
        try edit("dtype DT_DOUBLE", [.unsupportedDType]) { $0[lnf.valueOffset + 1] = 2 }
        try edit("shape disagrees with size", [.shapeMismatch]) { $0[lnf.valueOffset + 7] = 9 }
        try edit("offset out of range", [.invalidOffset]) { $0[lnf.valueOffset + 10] = 0x7f }
        // the 3-byte offset field becomes shard_id = 3 as a 2-byte varint (18 83 00)
        try edit("shard id 3 of 2", [.invalidOffset]) {
            $0[lnf.valueOffset + 8] = 0x18; $0[lnf.valueOffset + 9] = 0x83; $0[lnf.valueOffset + 10] = 0
        }
        try edit("wire type 7", [.corrupt]) { $0[lnf.valueOffset] = 0x0f }
        try edit("partitioned variable", [.unsupported]) { $0[lnf.valueOffset + 2] = 0x3a }
    }

    @Test func truncatedIndexAtEveryOffset() throws {
        let good = try BadInput.read(TestPaths.fixtures + "/tf" + Self.indexName)
        let dir = try BadInput.copy(fixture: "tf")
        defer { TestPaths.cleanup(dir) }
        for n in 0..<good.count {
            try BadInput.write(dir + Self.indexName, Array(good[..<n]))
            BadInput.expectError([.truncated, .badMagic, .invalidOffset, .checksumMismatch, .corrupt], "cut at \(n)") {
                _ = try TFCheckpoint(path: dir)
            }
        }
    }

    @Test func flippedBitInDataShard() throws {
        let good = try BadInput.read(TestPaths.fixtures + "/tf" + Self.dataName)
        let dir = try BadInput.copy(fixture: "tf")
        defer { TestPaths.cleanup(dir) }
        for at in stride(from: 0, to: good.count, by: 97) {
            var b = good
            b[at] ^= 1 << UInt8(at % 8)
            try BadInput.write(dir + Self.dataName, b)
            let e = BadInput.expectError([.checksumMismatch], "bit flip at \(at)") { try BadInput.openAndLoad(dir) }
            #expect(e?.file.hasSuffix("data-00000-of-00002") == true)
        }
        try BadInput.write(dir + Self.dataName, good)
        try BadInput.openAndLoad(dir)
    }

    @Test func shardAndHparamsErrors() throws {
        let good = try BadInput.read(TestPaths.fixtures + "/tf" + Self.dataName)
        let dir = try BadInput.copy(fixture: "tf")
        defer { TestPaths.cleanup(dir) }
        try BadInput.write(dir + Self.dataName, Array(good.dropLast(4)))
        BadInput.expectError([.invalidOffset], "short shard") { _ = try TFCheckpoint(path: dir) }
        unlink(dir + Self.dataName)
        BadInput.expectError([.io], "missing shard") { _ = try TFCheckpoint(path: dir) }
        try BadInput.write(dir + Self.dataName, good)
        try BadInput.write(dir + "/hparams.json", Array(#"{"n_vocab":64,"n_ctx":16,"n_embd":8,"n_head":2}"#.utf8))
        BadInput.expectError([.badConfig], "no n_layer") { _ = try TFCheckpoint(path: dir) }
        try BadInput.write(dir + "/hparams.json", Array(#"{"n_vocab":64,"n_ctx":16,"n_embd":8,"n_head":2,"n_layer":3}"#.utf8))
        BadInput.expectError([.missingTensor], "n_layer 3 for 2 layers") { _ = try TFCheckpoint(path: dir) }
    }

    /// Random byte flips in the index: an error or a successful load, never a crash.
    @Test func randomIndexFlipsNeverCrash() throws {
        let good = try BadInput.read(TestPaths.fixtures + "/tf" + Self.indexName)
        let dir = try BadInput.copy(fixture: "tf")
        defer { TestPaths.cleanup(dir) }
        var rng = SplitMix(seed: 11)
        var failures = 0
        for _ in 0..<300 {
            var b = good
            b[Int(rng.next() % UInt64(b.count))] ^= UInt8(1 << (rng.next() % 8))
            try BadInput.write(dir + Self.indexName, b)
            do { try BadInput.openAndLoad(dir) } catch is CheckpointError { failures += 1 } catch {
                Issue.record("untyped error \(error)")
            }
        }
        // Every block is crc-protected and the footer is checked: no flip goes unnoticed except
        // in the footer's zero padding and handle bytes that only alter unused metaindex bounds.
        #expect(failures >= 250)
    }
}
