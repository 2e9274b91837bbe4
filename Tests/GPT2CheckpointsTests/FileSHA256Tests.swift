import Foundation
import Testing
@testable import GPT2Checkpoints
@testable import GPT2Support

/// Provenance hashes: expected digests come from FIPS 180-2 and from coreutils `sha256sum`,
/// never from our own code.
@Suite struct FileSHA256Tests {
    func write(_ bytes: [UInt8], in dir: String, _ name: String) -> String {
        let p = dir + "/" + name
        #expect(FileManager.default.createFile(atPath: p, contents: Data(bytes)))
        return p
    }

    func sha256sum(_ path: String) throws -> String {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        p.standardOutput = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: d, as: UTF8.self).prefix(64))
    }

    // FIPS 180-2 appendix B examples, as files and in memory.
    @Test func publishedVectors() throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        let cases: [(String, String)] = [
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ]
        for (i, (text, digest)) in cases.enumerated() {
            let p = write(Array(text.utf8), in: dir, "v\(i)")
            #expect(try FileSHA256.hexDigest(ofFile: p) == digest)
            #expect(FileSHA256.hexDigest(of: Array(text.utf8)) == digest)
        }
    }

    /// Sizes around the 1 MiB read size, checked against `sha256sum`.
    @Test(arguments: [FileSHA256.readSize - 1, FileSHA256.readSize, 2 * FileSHA256.readSize + 17])
    func matchesSha256sum(size: Int) throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(size)
        let bytes = (0..<size).map { _ -> UInt8 in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: seed >> 56)
        }
        let p = write(bytes, in: dir, "random.bin")
        #expect(try FileSHA256.hexDigest(ofFile: p) == (try sha256sum(p)))
    }

    @Test func missingFileIsIOError() throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        #expect { try FileSHA256.hexDigest(ofFile: dir + "/absent.bin") } throws: { e in
            let f = e as? FileSHA256.Failure
            return f?.step == .open && f?.code == ENOENT && f?.path == dir + "/absent.bin"
        }
        #expect { try FileSHA256.checkpointHexDigest(ofFile: dir + "/absent.bin") } throws: { e in
            let c = e as? CheckpointError
            return c?.kind == .io && c?.file == dir + "/absent.bin" && c?.description.contains("cannot open for hashing") == true
        }
    }

    @Test func directoryIsReadError() throws {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        #expect { try FileSHA256.hexDigest(ofFile: dir) } throws: { e in
            let f = e as? FileSHA256.Failure
            return f?.step == .read && f?.code == EISDIR && f?.offset == 0
        }
        #expect { try FileSHA256.checkpointHexDigest(ofFile: dir) } throws: { e in
            let c = e as? CheckpointError
            return c?.kind == .io && c?.offset == 0 && c?.description.contains("read failed while hashing") == true
        }
    }
}
