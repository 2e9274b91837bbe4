import Foundation
import Testing
import GPT2ModelFile
import GPT2Runtime
import GPT2Tokenizer

/// `convert` writes a temporary file beside OUT and renames it over OUT only when complete, so
/// a SIGKILL at any moment leaves OUT as it was (absent or the previous complete file) or the
/// new complete file, and two converts racing to the same OUT leave one of their files whole.
@Suite(.serialized) struct ConvertCrashSafetyTests {
    /// A GPT-2 of ~3.4 MB of f32 weights over the byte vocabulary: large enough that
    /// `convert --compress` spends most of its run (~1 s in a debug build) encoding and writing.
    static func writeSource(_ path: String) throws {
        let config = GPT2Config(nLayer: 4, nHead: 4, nEmbd: 128, nCtx: 64, vocabSize: 257)
        var rng = RandomSource(seed: 7)
        let w = try ModelFileWriter(path: path, metadata: ModelMetadata(
            config: config, vocabulary: RuntimeCommandTests.byteVocabulary))
        for (name, shape) in TensorName.gpt2Tensors(config) {
            let values = (0..<shape.reduce(1, *)).map { _ in Float(rng.nextUnit() - 0.5) * 0.04 }
            try w.add(TensorData(name: name, shape: shape, type: .f32, bytes: values.withUnsafeBytes { Array($0) }))
        }
        try w.finish()
    }

    static func bytes(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }

    static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: RuntimeCommandTests.binary)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    @Test func sigkillAtTwentyMomentsLeavesTheOldOrTheNewFile() throws {
        let dir = RuntimeCommandTests.temporaryPath("crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = dir + "/src.gpt2kit", out = dir + "/out.gpt2kit", fresh = dir + "/fresh.gpt2kit"
        try Self.writeSource(src)
        // The previous file at OUT (f16), and what the interrupted command writes when it
        // completes (compressed f32), made by uninterrupted runs.
        #expect(try RuntimeCommandTests.run(["convert", src, "--dtype", "f16", "-o", out]).status == 0)
        let old = try #require(Self.bytes(out))
        let t0 = Date()
        #expect(try RuntimeCommandTests.run(["convert", src, "--compress", "-o", fresh]).status == 0)
        let duration = Date().timeIntervalSince(t0)
        let new = try #require(Self.bytes(fresh))
        #expect(new != old)

        var rng = SystemRandomNumberGenerator()
        var killedWhileRunning = 0, sawNew = 0
        for _ in 0..<20 {
            let p = try Self.start(["convert", src, "--compress", "-o", out])
            usleep(UInt32(Double.random(in: 0...(duration * 1.1), using: &rng) * 1e6))
            // Only a child not yet reaped owns its pid (see TokenizeSignalTests).
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killedWhileRunning += 1 }
            p.waitUntilExit()
            let now = Self.bytes(out)
            #expect(now == old || now == new, "OUT is neither the previous nor the new complete file (\(now?.count ?? -1) bytes)")
            if now == new {
                sawNew += 1
                #expect(FileManager.default.createFile(atPath: out, contents: Data(old)))
            }
            // A killed process cannot remove its temporary file; nothing else may be left.
            for f in try FileManager.default.contentsOfDirectory(atPath: dir) where f.hasPrefix(".out.gpt2kit.tmp-") {
                try FileManager.default.removeItem(atPath: dir + "/" + f)
            }
        }
        #expect(killedWhileRunning >= 5, "most kills should land while convert runs (\(killedWhileRunning) of 20)")
        print("convert crash safety: \(killedWhileRunning) of 20 kills landed while running, \(sawNew) completed first; run takes \(duration) s")
    }

    @Test func twoConvertsToOneOutputLeaveOneCompleteFile() throws {
        let dir = RuntimeCommandTests.temporaryPath("race-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = dir + "/src.gpt2kit", out = dir + "/out.gpt2kit"
        try Self.writeSource(src)
        let variants = [["--dtype", "f16"], ["--compress"]]
        var expected: [[UInt8]] = []
        for (i, v) in variants.enumerated() {
            #expect(try RuntimeCommandTests.run(["convert", src] + v + ["-o", dir + "/v\(i)"]).status == 0)
            expected.append(try #require(Self.bytes(dir + "/v\(i)")))
        }
        for _ in 0..<3 {
            let ps = try variants.map { try Self.start(["convert", src] + $0 + ["-o", out]) }
            for p in ps { p.waitUntilExit(); #expect(p.terminationStatus == 0) }
            let now = try #require(Self.bytes(out))
            #expect(expected.contains(now), "OUT mixes the two writers (\(now.count) bytes)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "temporary files left: \(left)")
    }
}
