import Foundation
import Testing
import GPT2ModelFile
@testable import GPT2Checkpoints

/// Random byte flips in torch files: every outcome is a typed error or a successful read,
/// never a crash, a trap or a hang. Deterministic (SplitMix64 seeds).
struct TorchFuzzTests {
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func mutate(_ b: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var c = b
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            let i = Int(rng.next() % UInt64(c.count))
            c[i] = rng.next() % 2 == 0 ? c[i] ^ UInt8(1 << (rng.next() % 8)) : UInt8(truncatingIfNeeded: rng.next())
        }
        return c
    }

    /// Reads every tensor of a state-dict-like tree; errors are fine.
    static func exercise(_ f: TorchFile) {
        for e in f.root.asDict ?? [] {
            if let t = try? f.tensor(e.value, name: "x") { _ = try? f.load(t, name: "x") }
            for inner in e.value.asDict ?? [] {   // nanoGPT: model / optimizer dicts
                if let t = try? f.tensor(inner.value, name: "y") { _ = try? f.load(t, name: "y") }
            }
        }
    }

    @Test(arguments: ["views-legacy.pt", "hf-bin-legacy/pytorch_model.bin"])
    func legacyFileFlips(_ name: String) throws {
        // The legacy layout has no checksum: flips reach the pickles and storage records.
        let b = try TorchFileTests.bytes(name)
        let p = (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + "/gpt2kit-fuzz-\(getpid())-\(name.count)"
        defer { unlink(p) }
        var rng = SplitMix64(state: 42)
        for _ in 0..<400 {
            TorchFileTests.quickWrite(Self.mutate(b, &rng)[...], to: p)
            if let f = try? TorchFile(path: p) { Self.exercise(f) }
        }
    }

    @Test(arguments: ["hf-bin-f32/pytorch_model.bin", "nanogpt-char/ckpt.pt"])
    func zipPickleFlips(_ name: String) throws {
        // data.pkl is CRC-checked in the zip, so mutate the pickle itself and pair it with the
        // real storages.
        let f = try TorchFile(path: TorchFileTests.dir + "/" + name)
        let zip = try ZipArchive(file: f.file)
        let pkl = try zip.read(zip.entries.first { $0.name.hasSuffix("/data.pkl") }!)
        var rng = SplitMix64(state: 7)
        for _ in 0..<400 {
            let bad = Self.mutate(pkl, &rng)
            guard let root = try? PickleReader.read(bad, policy: TorchFile.policy) else { continue }
            Self.exercise(TorchFile(file: f.file, format: f.format, root: root, storages: f.storages))
        }
    }
}
