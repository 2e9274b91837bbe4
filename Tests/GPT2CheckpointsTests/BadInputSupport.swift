import Foundation
import Testing
@testable import GPT2Checkpoints

/// Helpers for feeding corrupted checkpoints to the readers.
enum BadInput {
    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes a new file with plain stdio. Foundation's `Data.write` fsyncs, and truncating an
    /// existing file costs ~2 ms in `openat` on this disk: either made the truncation loops take
    /// 12-25 s instead of well under one. So: unlink, then create.
    static func write(_ path: String, _ bytes: [UInt8]) throws {
        unlink(path)
        guard let f = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
        defer { fclose(f) }
        let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        guard n == bytes.count else { throw CocoaError(.fileWriteUnknown) }
    }

    /// A temporary copy of a fixture directory.
    static func copy(fixture name: String) throws -> String {
        let dir = try TestPaths.tempDir()
        let src = TestPaths.fixtures + "/" + name
        for f in try FileManager.default.contentsOfDirectory(atPath: src) {
            try FileManager.default.copyItem(atPath: src + "/" + f, toPath: dir + "/" + f)
        }
        return dir
    }

    /// Opens a checkpoint and loads every tensor (where data errors such as crc show up).
    static func openAndLoad(_ path: String) throws {
        let ck = try CheckpointLoader.open(path)
        for t in ck.tensors { _ = try ck.load(t.name) }
    }

    /// Runs `body`, which must throw a `CheckpointError` of one of `kinds`; returns it.
    @discardableResult
    static func expectError(_ kinds: Set<CheckpointError.Kind>, _ note: String,
                            sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () throws -> Void) -> CheckpointError? {
        do {
            try body()
            Issue.record("\(note): no error, expected \(kinds.map(\.rawValue).sorted())", sourceLocation: sourceLocation)
        } catch let e as CheckpointError {
            #expect(kinds.contains(e.kind), "\(note): \(e)", sourceLocation: sourceLocation)
            #expect(!e.file.isEmpty, sourceLocation: sourceLocation)
            return e
        } catch {
            Issue.record("\(note): untyped error \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// A safetensors file: u64 LE header length, header, data.
    static func safetensors(header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        var out = withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) }
        out += h
        out += data
        return out
    }
}
