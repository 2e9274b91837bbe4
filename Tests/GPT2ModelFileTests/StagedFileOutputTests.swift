import Foundation
import Testing
@testable import GPT2ModelFile

/// The writer's block-aligned output: whatever mix of appends, patches behind the staging
/// buffer and truncations, the file must equal the same operations on a plain byte array.
@Suite struct StagedFileOutputTests {
    /// Directories to write in: the temp dir, and one inside the package (a disk file system, so
    /// O_DIRECT is exercised where tmpfs would refuse it).
    static let places: [String] = [NSTemporaryDirectory(), URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/.build/"]

    func withOutput(in place: String, _ body: (StagedFileOutput, String) throws -> Void) throws {
        let path = place + "staged-\(UUID().uuidString).bin"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        try body(StagedFileOutput(fd: fd, path: path), path)
    }

    func bytes(_ n: Int, seed: UInt64) -> [UInt8] {
        var g = SplitMix(seed: seed)
        var out = [UInt8](repeating: 0, count: (n + 7) / 8 * 8)
        out.withUnsafeMutableBytes { b in for i in 0..<(b.count / 8) { b.storeBytes(of: g.next(), toByteOffset: 8 * i, as: UInt64.self) } }
        return Array(out.prefix(n))
    }

    @Test(arguments: places)
    func appendsPatchesAndTruncationsMatchAnArray(place: String) throws {
        try withOutput(in: place) { out, path in
            let stage = StagedFileOutput.stageSize
            var model: [UInt8] = []
            func append(_ b: [UInt8]) throws { try b.withUnsafeBytes { try out.append($0) }; model += b }
            func patch(_ b: [UInt8], at o: Int) throws { try out.patch(b, at: o); model.replaceSubrange(o..<(o + b.count), with: b) }
            func truncate(_ o: Int) throws { try out.truncate(to: o); model.removeLast(model.count - o) }
            try append(bytes(100, seed: 1))
            try out.appendZeros(5000); model += [UInt8](repeating: 0, count: 5000)
            try append(bytes(2 * stage + 12_345, seed: 2))                // two buffers on their way out
            try patch(bytes(96, seed: 3), at: 0)                          // the header, long flushed
            try patch(bytes(9000, seed: 4), at: stage - 4000)             // across a flushed buffer's end
            try patch(bytes(300, seed: 5), at: 2 * stage - 100)           // straddles disk and memory
            try patch(bytes(50, seed: 6), at: model.count - 60)           // inside the current buffer
            try truncate(stage + 777)                                     // back into flushed blocks
            try append(bytes(stage + 3, seed: 7))
            try truncate(model.count - 10)                                // inside the current buffer
            try append(bytes(4096, seed: 8))
            try out.finish()
            #expect(out.position == model.count)
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == model)
        }
    }

    @Test(arguments: places)
    func emptyAndTinyFiles(place: String) throws {
        try withOutput(in: place) { out, path in
            try out.finish()
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
        }
        try withOutput(in: place) { out, path in
            try [UInt8](arrayLiteral: 1, 2, 3).withUnsafeBytes { try out.append($0) }
            try out.patch([9], at: 1)
            try out.finish()
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == [1, 9, 3])
        }
    }

    /// A descriptor that cannot be written: the background write's failure comes back as a
    /// typed .io error naming the file and the offset, at the next call.
    @Test func failedBackgroundWriteIsReported() throws {
        let dir = makeTempDir(); defer { cleanup(dir) }
        let path = dir + "/ro.bin"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let out = StagedFileOutput(fd: fd, path: path)
        let chunk = [UInt8](repeating: 1, count: StagedFileOutput.stageSize)
        #expect { for _ in 0..<3 { try chunk.withUnsafeBytes { try out.append($0) } }; try out.finish() } throws: { e in
            let m = e as? ModelFileError
            return m?.kind == .io && m?.file == path && m?.offset == 0 && m?.found == String(cString: strerror(EBADF))
        }
    }
}
