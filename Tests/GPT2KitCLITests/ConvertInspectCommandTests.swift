import Foundation
import Testing
import GPT2ModelFile
import GPT2Support

/// `gpt2kit convert` and `gpt2kit inspect`, run as a process.
@Suite struct ConvertInspectCommandTests {
    static let tiny: String? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        for shared in [url.path + "/../shared", url.path + "/../../shared"] {
            let p = shared + "/checkpoints/tiny/hf-safetensors"
            if FileManager.default.fileExists(atPath: p + "/model.safetensors") { return p }
        }
        return nil
    }()

    func run(_ args: [String]) throws -> RuntimeCommandTests.Run { try RuntimeCommandTests.run(args) }

    func json(_ s: String) throws -> JSON { try JSON.parse(Array(s.utf8.drop { $0 == 10 })) }

    @Test(.enabled(if: tiny != nil, "../shared/checkpoints/tiny is absent"))
    func convertVerifyThenInspect() throws {
        let dir = RuntimeCommandTests.temporaryPath("conv")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/tiny.gpt2kit"
        // Dry run: a plan, nothing written.
        let plan = try run(["convert", Self.tiny!, "--dry-run", "--json", "--dtype", "f16"])
        #expect(plan.status == 0)
        let p = try json(plan.stdout)
        #expect(p["tensors"]?.arrayValue?.count == 28)
        #expect(p["tensors"]?.arrayValue?.first?["dtype"]?.stringValue == "f16")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)

        let r = try run(["convert", Self.tiny!, "-o", out, "--compress", "--verify", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)            // not a terminal: no progress bar
        let s = try json(r.stdout)
        #expect(s["verified"]?.boolValue == true && s["max_abs_error"]?.doubleValue == 0)
        #expect(s["tensors"]?.intValue == 28 && s["layout"]?.stringValue == "safetensors")

        let i = try run(["inspect", out, "--json", "--verify"])
        #expect(i.status == 0, "\(i.stderr)")
        let v = try json(i.stdout)
        #expect(v["kind"]?.stringValue == "model_file" && v["format_version"]?.stringValue == "1.1")
        #expect(v["verified"]?.boolValue == true)
        #expect(v["config"]?["n_embd"]?.intValue == 16 && v["config"]?["activation"]?.stringValue == "gelu_tanh")
        let t = try #require(v["tensors"]?.arrayValue)
        #expect(t.count == 28 && t[0]["name"]?.stringValue == "wte.weight" && t[0]["shape"]?.arrayValue?.count == 2)
        for key in ["dtype", "codec", "offset", "stored_bytes", "raw_bytes", "ratio", "crc32c"] { #expect(t[0][key] != nil, "\(key)") }
        #expect(v["totals"]?["tensors"]?.intValue == 28)

        let c = try run(["inspect", Self.tiny!, "--json"])
        #expect(c.status == 0)
        let cv = try json(c.stdout)
        #expect(cv["kind"]?.stringValue == "checkpoint" && cv["layout"]?.stringValue == "safetensors")
        #expect(cv["tensors"]?.arrayValue?.contains { $0["name"]?.stringValue == "transformer.h.0.attn.c_attn.weight" } == true)

        let text = try run(["inspect", out])
        #expect(text.status == 0 && text.stdout.contains("h.1.mlp.proj.weight") && text.stdout.contains("byteplanes-zstd"))
    }

    @Test func badArgumentsAndBadInputs() throws {
        let dir = RuntimeCommandTests.temporaryPath("bad")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try run(["convert", dir, "--dtype", "f8", "-o", dir + "/x"]).status == 64)
        #expect(try run(["convert", dir]).status == 64)                           // no -o, no --dry-run
        let junk = dir + "/junk.bin"
        #expect(FileManager.default.createFile(atPath: junk, contents: Data(repeating: 7, count: 500)))
        let r = try run(["inspect", junk])
        #expect(r.status == 1 && r.stderr.contains("HINT"))
        var bytes = [UInt8](repeating: 0, count: 200)
        bytes.replaceSubrange(0..<8, with: [0x89, 0x47, 0x32, 0x4B, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(FileManager.default.createFile(atPath: junk, contents: Data(bytes)))
        let m = try run(["inspect", junk])
        #expect(m.status == 1 && m.stderr.contains("unsupportedVersion") && m.stderr.contains("HINT"))
        if let tiny = Self.tiny {
            let c = try run(["convert", tiny, "-o", dir + "/no/such/dir/out.gpt2kit"])
            #expect(c.status == 1 && c.stderr.contains("HINT"))
        }
    }
}
