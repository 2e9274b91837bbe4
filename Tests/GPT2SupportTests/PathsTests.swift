import Testing
import GPT2Support
#if canImport(Glibc)
import Glibc
#endif

@Suite struct PathsTests {
    @Test func splitAndJoin() {
        #expect(Paths.join("a", "b") == "a/b")
        #expect(Paths.join("a/", "b") == "a/b")
        #expect(Paths.join("", "b") == "b")
        #expect(Paths.directory(of: "a/b/c.json") == "a/b")
        #expect(Paths.directory(of: "/c.json") == "/")
        #expect(Paths.directory(of: "c.json") == ".")
        #expect(Paths.fileName(of: "a/b/c.json") == "c.json")
        #expect(Paths.fileName(of: "c.json") == "c.json")
    }

    @Test func plainFileNames() {
        #expect(Paths.isPlainFileName("model-00001-of-00002.safetensors"))
        for bad in ["", ".", "..", "../x", "a/b", "a\u{0}b"] { #expect(!Paths.isPlainFileName(bad), "\(bad)") }
    }

    @Test func fileSystemQueries() throws {
        var template = Array("/tmp/gpt2support-XXXXXX".utf8CString)
        let dir = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        defer { _ = unlink(dir + "/f"); _ = rmdir(dir + "/d"); _ = rmdir(dir) }
        let fd = open(dir + "/f", O_CREAT | O_WRONLY, 0o644)
        #expect(fd >= 0)
        close(fd)
        #expect(mkdir(dir + "/d", 0o755) == 0)
        #expect(Paths.isFile(dir + "/f") && !Paths.isDirectory(dir + "/f"))
        #expect(Paths.isDirectory(dir + "/d") && !Paths.isFile(dir + "/d"))
        #expect(Paths.exists(dir + "/d") && !Paths.exists(dir + "/missing"))
        #expect(Paths.list(dir).sorted() == ["d", "f"])
        #expect(Paths.list(dir + "/missing") == [])
    }
}
