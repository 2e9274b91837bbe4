import Foundation
import Testing
@testable import GPT2ModelFile

/// Inputs that lie about sizes must be refused before memory is committed to them
/// (FORMAT.md, "Resource bounds"). The fuzz corpus holds the same inputs, run under
/// libFuzzer's per-allocation limit.
@Suite struct ResourceBoundTests {
    let dir = makeTempDir()

    /// A model file whose one tensor `w` (128 f32) is stored as byteplanes-zstd with planes
    /// 0-2 raw and plane 3 the given zstd frame.
    func withPlane3(_ frame: [UInt8]) throws -> String {
        let w = TensorData(name: "w", shape: [128], type: .f32, bytes: floatBytes((0..<128).map { Float($0) }))
        let path = try writeTinyModel(dir, name: UUID().uuidString, tensors: [w])
        var payload: [UInt8] = []
        for v: UInt32 in [128, 1, 4] { payload += withUnsafeBytes(of: v.littleEndian, Array.init) }   // header (width byte 4, 3 reserved)
        payload.removeLast(4); payload += [4, 0, 0, 0]
        for k in 0..<4 {
            let s: UInt32 = k < 3 ? 128 : UInt32(frame.count) | 0x8000_0000
            payload += withUnsafeBytes(of: s.littleEndian, Array.init)
        }
        for _ in 0..<3 { payload += [UInt8](repeating: 7, count: 128) }
        payload += frame
        let t = try #require(try ModelFile(path: path).info("w"))
        #expect(payload.count <= t.storedSize)
        var b = readFile(path)
        b.replaceSubrange(t.offset..<(t.offset + payload.count), with: payload)
        writeFile(path, b)
        try rewriteEntries(path) { e in e[0].codec = .bytePlanesZstd; e[0].storedSize = payload.count }
        return path
    }

    func zstdFrame(of n: Int) -> [UInt8] {
        let src = [UInt8](repeating: 0, count: n)
        var dst = [UInt8](repeating: 0, count: ZstdCompressor.bound(n))
        let m = src.withUnsafeBytes { s in dst.withUnsafeMutableBytes { ZstdCompressor().compress(s, into: $0, tuning: .level(1, forceLiterals: false))! } }
        return Array(dst[..<m])
    }

    @Test func zstdFrameLargerThanItsPlaneIsRefused() throws {
        defer { cleanup(dir) }
        // The frame says 1 MiB: zstd stops at the plane's 128 bytes of room, nothing grows.
        let f = try ModelFile(path: withPlane3(zstdFrame(of: 1 << 20)))
        let e = expectError(.corruptPayload) { _ = try f.tensorData("w") }
        #expect(e?.expected == "a zstd frame")
    }

    @Test func zstdFrameSmallerThanItsPlaneIsRefused() throws {
        defer { cleanup(dir) }
        let f = try ModelFile(path: withPlane3(zstdFrame(of: 10)))
        let e = expectError(.corruptPayload) { _ = try f.tensorData("w") }
        #expect(e?.expected == "plane of 128 bytes")
        #expect(e?.found == "10 bytes")
    }

    @Test func fileOfOneKilobyteClaimingATerabyteTensor() throws {
        defer { cleanup(dir) }
        let w = TensorData(name: "w", shape: [64], type: .f32, bytes: floatBytes([Float](repeating: 1, count: 64)))
        let path = dir + "/tb.gpt2kit"
        let writer = try ModelFileWriter(path: path, metadata: ModelMetadata(architecture: "x"), alignment: 64)
        try writer.add(w)
        try writer.finish()
        // 2^38 f32 = 1 TiB, sizes consistent with the shape: only the data region disagrees.
        try rewriteEntries(path) { e in e[0].shape = [1 << 38]; e[0].rawSize = 4 << 38; e[0].storedSize = 4 << 38 }
        #expect(readFile(path).count <= 1024)
        expectError(.outOfRange) { _ = try ModelFile(path: path) }
    }
}
