import Foundation
import Testing
import GPT2Support

/// Our model format checked by a reader that is not our code: `Tools/modelfile-reader.py`,
/// written from FORMAT.md alone (Python + numpy), parses what `gpt2kit convert` wrote, checks
/// the header CRC32C and every raw tensor's CRC32C, and its values are compared (in Python,
/// with numpy) with the fixture's expected.json, which torch/safetensors wrote
/// (Tools/make-fixtures-hf-tf). Skips without the venv, except in CI, where it must exist.
@Suite struct IndependentReaderTests {
    static let root = CLIProcess.packageRoot
    static let python = root + "/.build/venv/bin/python"
    static let fixture = root + "/Tests/GPT2CheckpointsTests/Fixtures"

    /// Imports the reader as a module and compares every tensor with expected.json's f16
    /// values (f16 -> f32 is exact, so both conversions must give them back exactly).
    static let compare = #"""
    import importlib.util, json, sys
    import numpy as np
    spec = importlib.util.spec_from_file_location("reader", sys.argv[1])
    reader = importlib.util.module_from_spec(spec); spec.loader.exec_module(reader)
    header, meta, tensors = reader.read(sys.argv[2])
    expected = json.load(open(sys.argv[3]))["tensors"]["f16"]   # the hf-f16 fixture's values
    stored = sys.argv[4]                                            # dtype convert was asked for
    bad, compared = [], 0
    for t in tensors:
        e = expected.get(t["name"])
        if e is None:
            bad.append("unexpected " + t["name"]); continue
        want = np.frombuffer(bytes.fromhex(e["hex"]), dtype="<f2").astype(np.float64)
        got = reader.values(t)
        if t["dtype"] != stored or t["shape"] != e["shape"] or got is None or not np.array_equal(got, want):
            bad.append(t["name"])
        compared += 1
    missing = sorted(set(expected) - {t["name"] for t in tensors})
    print(json.dumps({"compared": compared, "expected": len(expected), "bad": bad, "missing": missing,
                      "n_embd": meta["gpt2"]["n_embd"], "data_offset": header["data_offset"]}))
    """#

    func python(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process(), out = Pipe(), err = Pipe()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = args
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static var hasVenv: Bool { FileManager.default.isExecutableFile(atPath: python) }

    /// Skipped without the venv, except in CI (CI set), where it runs and the require fails.
    @Test(.enabled(if: hasVenv || CLIProcess.inCI, "needs the reference venv .build/venv (Tools/setup --test)"),
          arguments: [("f16", [String]()), ("f32", ["--dtype", "f32"])])
    func pythonReaderAgreesWithTheSource(_ expectedType: String, _ flags: [String]) throws {
        try #require(Self.hasVenv, "CI is set but \(Self.python) is missing: Tools/setup --test should have made it")
        let dir = RuntimeCommandTests.temporaryPath("pyreader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/m.gpt2kit"
        let c = try RuntimeCommandTests.run(["convert", Self.fixture + "/hf-f16", "-o", out] + flags)
        #expect(c.status == 0, "\(c.stderr)")

        let r = try python(["-c", Self.compare, Self.root + "/Tools/modelfile-reader.py", out,
                            Self.fixture + "/expected.json", expectedType])
        #expect(r.status == 0, "\(r.err)")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect((j["bad"] as? [String]) == [] && (j["missing"] as? [String]) == [], "\(j)")
        #expect(j["compared"] as? Int == j["expected"] as? Int && (j["compared"] as? Int ?? 0) > 20)
        #expect(j["n_embd"] as? Int == 8)   // expected.json's fixtures.hf-f16.n_embd

        // The reader is not a rubber stamp: a flipped payload bit and a flipped metadata byte
        // are reported.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        let dataOffset = j["data_offset"] as? Int ?? 4096
        bytes[dataOffset + 5] ^= 0x10
        #expect(FileManager.default.createFile(atPath: dir + "/flip.gpt2kit", contents: Data(bytes)))
        let f = try python([Self.root + "/Tools/modelfile-reader.py", dir + "/flip.gpt2kit"])
        #expect(f.status == 1 && f.err.contains("CRC32C") && f.err.contains("wte.weight"), "\(f.err)")
        bytes[dataOffset + 5] ^= 0x10
        bytes[bytes.count - 3] ^= 0x01            // the metadata is last as convert writes it
        #expect(FileManager.default.createFile(atPath: dir + "/meta.gpt2kit", contents: Data(bytes)))
        let m = try python([Self.root + "/Tools/modelfile-reader.py", dir + "/meta.gpt2kit"])
        #expect(m.status == 1 && m.err.contains("header CRC32C"), "\(m.err)")
    }
}
