import Testing
import GPT2Support
#if canImport(Glibc)
import Glibc
#endif

@Suite struct MappedFileTests {
    /// A fresh temp directory holding `f` (with `contents`) and `empty`; removed by `cleanup`.
    static func makeDir(_ contents: [UInt8]) throws -> String {
        var template = Array("/tmp/gpt2support-XXXXXX".utf8CString)
        let dir = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        for (name, bytes) in [("f", contents), ("empty", [])] {
            let fd = open(dir + "/" + name, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
            #expect(fd >= 0)
            #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
            close(fd)
        }
        return dir
    }

    static func cleanup(_ dir: String) { _ = unlink(dir + "/f"); _ = unlink(dir + "/empty"); _ = rmdir(dir) }

    @Test func mapsContentsAndReleasesPages() throws {
        let contents = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let dir = try Self.makeDir(contents)
        defer { Self.cleanup(dir) }
        let f = try MappedFile(path: dir + "/f")
        #expect(f.path == dir + "/f" && f.count == contents.count)
        #expect(f.withUnsafeBytes { Array($0) } == contents)
        f.releasePages(100..<9000)          // drops resident pages; contents fault back in
        f.releasePages(-5..<1_000_000)      // out of range: ignored
        #expect(f.withUnsafeBytes { Array($0) } == contents)
        let empty = try MappedFile(path: dir + "/empty")
        #expect(empty.count == 0 && empty.withUnsafeBytes { $0.count } == 0)
    }

    @Test func errorsNameTheFailingStep() throws {
        let dir = try Self.makeDir([1])
        defer { Self.cleanup(dir) }
        #expect(throws: MappedFileError(path: dir + "/missing", step: .open, code: ENOENT, size: 0)) {
            try MappedFile(path: dir + "/missing")
        }
        #expect(throws: MappedFileError(path: dir, step: .notRegularFile, code: 0, size: 0)) {
            try MappedFile(path: dir)
        }
        do {
            _ = try MappedFile(path: dir + "/missing")
            Issue.record("no error")
        } catch {
            #expect(error.reason == String(cString: strerror(ENOENT)))
        }
    }
}
