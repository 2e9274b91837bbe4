import Foundation
import Testing
import GPT2ModelFile
import GPT2Support
@testable import GPT2Checkpoints

/// torch.save files (zip, ZIP64 extras, legacy) against what torch itself read back
/// (Fixtures/torch/*.json written by Tools/make-fixtures-torch), and every broken variant.
struct TorchFileTests {
    static let dir = TestPaths.fixtures + "/torch"

    static func json(_ name: String) throws -> JSON { try JSON.parse(fileAt: dir + "/" + name) }

    static func unhex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : c - 0x57 }
        while let a = it.next(), let b = it.next() { out.append(nibble(a) << 4 | nibble(b)) }
        return out
    }

    /// Writes `bytes` to a temp file, runs `body` on its path, removes it.
    static func withTemp<R>(_ bytes: [UInt8], name: String = "t.pt", _ body: (String) throws -> R) throws -> R {
        let d = try TestPaths.tempDir()
        defer { TestPaths.cleanup(d) }
        let p = d + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return try body(p)
    }

    /// Plain write(2) without the fsync Foundation's Data.write does (thousands of prefixes).
    static func quickWrite(_ bytes: ArraySlice<UInt8>, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
    }

    @Test(arguments: ["views.pt", "views-legacy.pt", "views-zip64.pt", "views-p4.pt"])
    func viewsMatchTorch(_ name: String) throws {
        // views-p4.pt: torch.save(pickle_protocol=4), i.e. FRAME, MEMOIZE, SHORT_BINUNICODE.
        let f = try TorchFile(path: Self.dir + "/" + name)
        #expect(f.format == (name == "views-legacy.pt" ? .legacy : .zip(archive: name == "views-p4.pt" ? "views-p4" : "views")))
        let expected = try Self.json("views.json")
        guard let entries = expected.objectValue else { Issue.record("views.json"); return }
        #expect(f.root.asDict?.count == entries.count)
        for (key, want) in entries {
            guard let v = f.root[key] else { Issue.record("\(key) missing"); continue }
            let t = try f.tensor(v, name: key)
            #expect(t.shape == want["shape"]?.arrayValue?.compactMap(\.intValue), "\(key)")
            #expect(t.stride == want["stride"]?.arrayValue?.compactMap(\.intValue), "\(key)")
            #expect(t.offset == want["storage_offset"]?.intValue, "\(key)")
            let bytes = try f.load(t, name: key)
            if let hex = want["hex"]?.stringValue {
                #expect(t.storage.type.elementType?.rawValue == want["dtype"]?.stringValue, "\(key)")
                #expect(bytes == Self.unhex(hex), "\(key) values differ from torch's")
            } else {
                #expect(want["dtype"]?.stringValue == "int64")
                #expect(t.storage.type == .long)
                #expect(bytes == [0, 1, 2, 3].flatMap { (i: UInt64) in withUnsafeBytes(of: i.littleEndian, Array.init) })
            }
        }
        // The transpose is a non-contiguous view of base's storage.
        let tr = try f.tensor(f.root["transposed"]!, name: "transposed")
        #expect(!tr.isContiguous)
    }

    @Test func legacyStorageView() throws {
        // Old PyTorch's storage views: ('storage', FloatStorage, '7', 'cpu', 10, ('7v', 3, 4)).
        let f = try TorchFile(path: Self.dir + "/legacy-view.pt")
        #expect(f.format == .legacy)
        let want = try Self.json("extras.json")["legacy_view"]
        let t = try f.tensor(f.root["v"]!, name: "v")
        #expect(t.storage.viewOffset == 3 && t.storage.numel == 4)
        #expect(t.shape == want?["shape"]?.arrayValue?.compactMap(\.intValue))
        #expect(try f.load(t, name: "v") == Self.unhex(want?["hex"]?.stringValue ?? ""))
    }

    @Test func numpyScalarsAreInertRecords() throws {
        // torch.load(weights_only=True) refuses numpy scalars; we parse them as records nobody
        // constructs (decision in TORCH.md), so a checkpoint holding one still opens.
        let extras = try Self.json("extras.json")
        #expect(extras["numpy_scalars_weights_only"]?.stringValue == "UnpicklingError")
        let f = try TorchFile(path: Self.dir + "/numpy-scalars.pt")
        guard case .object(let o)? = f.root["best_val_loss"] else { Issue.record("not an object"); return }
        #expect(o.callee.name == "scalar" && o.callee.module.hasPrefix("numpy"))
        // scalar(dtype('f8'), 8 raw bytes): the float64 torch read back, bit for bit.
        guard case .bytes(let raw)? = o.args.last, raw.count == 8 else { Issue.record("no raw bytes"); return }
        let v = Double(bitPattern: raw.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect(v == extras["numpy_best_val_loss"]?.doubleValue)
        _ = try f.load(try f.tensor(f.root["w"]!, name: "w"), name: "w")
    }

    @Test func compressedMemberIsRefused() throws {
        #expect {
            _ = try TorchFile(path: Self.dir + "/views-deflate.pt")
        } throws: { e in
            guard let e = e as? CheckpointError else { return false }
            return e.kind == .unsupported && e.message.contains("views/data/0") && e.message.contains("deflate")
        }
    }

    @Test func hostileTorchFilesAreRefusedByName() throws {
        // Written by torch.save itself; torch.load(weights_only=True) refuses them too (hostile.json).
        let torchSays = try Self.json("hostile.json")["torch_load"]
        for (name, global) in [("evil.pt", "posix.system"), ("whole-module.pt", "torch.nn.modules.linear.Linear")] {
            #expect(torchSays?[name]?.stringValue == "UnpicklingError")
            #expect {
                _ = try TorchFile(path: Self.dir + "/" + name)
            } throws: { e in
                (e as? PickleError)?.reason == .refusedGlobal(global) && (e as? PickleError)?.file == Self.dir + "/" + name
            }
        }
    }

    @Test func tensorExtentChecks() throws {
        let torchSays = try Self.json("hostile.json")["torch_load"]
        #expect(torchSays?["tensor-ok.pt"]?.stringValue == "ok")
        let ok = try TorchFile(path: Self.dir + "/tensor-ok.pt")
        let t = try ok.tensor(ok.root["w"]!, name: "w")
        #expect(try ok.load(t, name: "w") == [0, 1, 2, 3, 4, 5].flatMap { (x: Float) in withUnsafeBytes(of: x.bitPattern.littleEndian, Array.init) })
        // torch.load fails on each of these (RuntimeError); we give typed errors.
        let cases: [(String, CheckpointError.Kind)] = [
            ("storage-too-small.pt", .invalidOffset),    // pickle: 6 elements in a storage of 4
            ("storage-file-short.pt", .invalidOffset),   // pickle: storage of 6, file holds 4
            ("shape-overflow.pt", .shapeMismatch),       // 2^40 × 2^40 elements
            ("negative-stride.pt", .unsupported),
            ("empty-far-offset.pt", .invalidOffset),     // 0 elements at offset 2^30 of 6 stored
        ]
        for (name, kind) in cases {
            #expect(torchSays?[name]?.stringValue == "RuntimeError", "\(name)")
            let f = try TorchFile(path: Self.dir + "/" + name)
            #expect(throws: CheckpointError.self, "\(name)") { _ = try f.tensor(f.root["w"]!, name: "w") }
            do { _ = try f.tensor(f.root["w"]!, name: "w") } catch let e as CheckpointError {
                #expect(e.kind == kind, "\(name): \(e)")
            }
        }
    }

    @Test func broadcastViewIsNotMaterialised() throws {
        // size [2^62], stride [0] over one float: torch.load accepts the lazy view; we parse it
        // (its extent is one element) but refuse to materialise 2^64 bytes, and the checkpoint
        // path refuses it as non-contiguous before computing any byte range.
        #expect(try Self.json("hostile.json")["torch_load"]?["broadcast-huge.pt"]?.stringValue == "ok")
        let f = try TorchFile(path: Self.dir + "/broadcast-huge.pt")
        let t = try f.tensor(f.root["w"]!, name: "w")
        #expect(t.count == 1 << 62)
        #expect { _ = try f.load(t, name: "w") } throws: { ($0 as? CheckpointError)?.kind == .unsupported }
        let sd = try TorchStateDict(f.root, in: f, what: "sd")
        #expect { _ = try sd.source(sd.items[0], canonical: "x", transposed: false) } throws: {
            ($0 as? CheckpointError)?.kind == .unsupported
        }
    }

    @Test(arguments: ["views.pt", "views-legacy.pt", "views-zip64.pt", "tensor-ok.pt"])
    func truncatedAtEveryOffset(_ name: String) throws {
        let b = try Self.bytes(name)
        let p = (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + "/gpt2kit-cut-\(getpid())-\(name)"
        defer { unlink(p) }
        // Every offset in the headers and pickle at both ends, every 7th in between (debug
        // builds map and parse each prefix: ~1 ms each).
        for n in 0..<b.count where n < 700 || n > b.count - 300 || n % 7 == 0 {
            Self.quickWrite(b[0..<n], to: p)
            do {
                let f = try TorchFile(path: p)
                // A prefix can only open if the end of the zip survived, which it cannot.
                for e in f.root.asDict ?? [] { _ = try f.load(try f.tensor(e.value, name: "x"), name: "x") }
                Issue.record("\(name) cut to \(n) bytes opened")
            } catch is CheckpointError {
            } catch is PickleError {
            }
        }
    }

    @Test func corruptZipDirectory() throws {
        let b = try Self.bytes("views.pt")
        func find(_ sig: [UInt8], from end: Bool = false) -> Int {
            let idx = end ? (0...(b.count - 4)).reversed().first { Array(b[$0..<$0 + 4]) == sig }
                          : (0...(b.count - 4)).first { Array(b[$0..<$0 + 4]) == sig }
            return idx!
        }
        func kind(_ mutate: (inout [UInt8]) -> Void) throws -> CheckpointError.Kind? {
            var c = b
            mutate(&c)
            return try Self.withTemp(c) { p in
                do { _ = try TorchFile(path: p); return nil } catch let e as CheckpointError { return e.kind }
            }
        }
        let cd = find([0x50, 0x4B, 0x01, 0x02])
        let z64 = find([0x50, 0x4B, 0x06, 0x06], from: true)
        // Central directory signature broken.
        #expect(try kind { $0[cd] = 0 } == .corrupt)
        // Entry count too large for the directory (ZIP64 record: total entries at +32).
        #expect(try kind { $0[z64 + 32] = 0xFF; $0[z64 + 33] = 0xFF } == .corrupt)
        // Directory offset past the end (ZIP64 record: offset at +48).
        #expect(try kind { $0[z64 + 55] = 0x7F } == .corrupt)
        // A local header offset (central record +42) pointing into the directory itself.
        #expect(try kind { $0[cd + 42] = 0xF0; $0[cd + 43] = 0xFF } != nil)
        // Compressed size differs from size for a stored member (+20).
        #expect(try kind { $0[cd + 20] ^= 1 } == .corrupt)
        // data.pkl CRC (+16) wrong.
        #expect(try kind { $0[cd + 16] ^= 1 } == .checksumMismatch)
        // Name in the local header differs from the directory's.
        let local = find([0x50, 0x4B, 0x03, 0x04])
        #expect(try kind { $0[local + 30] ^= 0x20 } == .corrupt)
        // No end record at all.
        #expect(try kind { $0.removeLast(22) } == .corrupt)
    }

    @Test func legacyHeaderAndRecordErrors() throws {
        let b = try Self.bytes("views-legacy.pt")
        // Offsets of the five pickles, found with the reader itself.
        var ends: [Int] = []
        try b.withUnsafeBytes { raw in
            var pos = 0
            for _ in 0..<5 {
                pos = try PickleReader.read(raw, at: pos, policy: TorchFile.policy).end
                ends.append(pos)
            }
        }
        func kind(_ mutate: (inout [UInt8]) -> Void) throws -> CheckpointError.Kind? {
            var c = b
            mutate(&c)
            return try Self.withTemp(c) { p in
                do { _ = try TorchFile(path: p); return nil } catch let e as CheckpointError { return e.kind }
            }
        }
        #expect(try kind { _ in } == nil)
        // Protocol version 1001 (BININT2 at pickle 2) -> 1002.
        #expect(b[ends[0] + 2] == 0x4D && b[ends[0] + 3] == 0xE9)
        #expect(try kind { $0[ends[0] + 3] = 0xEA } == .unsupportedVersion)
        // sys_info little_endian True -> False.
        let le = Array("little_endian".utf8)
        let at = (ends[1]..<ends[2]).first { Array(b[$0..<$0 + le.count]) == le }! + le.count + 2   // skip BINPUT n
        #expect(b[at] == 0x88)
        #expect(try kind { $0[at] = 0x89 } == .unsupported)
        // First storage record's element count one larger than the pickle declares.
        #expect(try kind { $0[ends[4]] &+= 1 } == .shapeMismatch)
        // Element count so large the bytes cannot be there.
        #expect(try kind { $0[ends[4] + 6] = 0x7F } != nil)
        // Not the magic number at all.
        #expect(try kind { $0[5] ^= 1 } == .badMagic)
    }

    @Test func notATorchFile() throws {
        _ = try Self.withTemp(Array("hello, this is not a checkpoint".utf8)) { p in
            #expect { _ = try TorchFile(path: p) } throws: { ($0 as? CheckpointError)?.kind == .badMagic }
        }
    }

    @Test func crc32MatchesReference() {
        let data = (0..<20_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        // Short inputs take one chain; from 4 KB on, four quarters are combined.
        for n in [0, 1, 7, 8, 9, 1000, 4095, 4096, 4097, 4103, 8191, 19_999, 20_000] {
            let slice = Array(data[0..<n])
            #expect(slice.withUnsafeBytes { CRC32.checksum($0) } == CRC32.naive(slice))
        }
        // The check value of CRC-32/ISO-HDLC ("123456789" -> 0xCBF43926).
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
    }
}
