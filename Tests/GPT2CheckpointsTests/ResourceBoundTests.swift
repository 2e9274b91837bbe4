import Foundation
import Testing
@testable import GPT2Checkpoints

/// Files that claim far more than they hold are refused before anything is allocated for the
/// claim (READERS.md / TORCH.md, "Resource bounds"). The same inputs are in the fuzz corpus,
/// where libFuzzer's allocation limit checks the "before allocating" part.
@Suite struct ResourceBoundTests {
    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    @Test func safetensorsOfOneKilobyteClaimingATerabyteTensor() throws {
        let dir = try TestPaths.tempDir()
        let header = #"{"w":{"dtype":"F32","shape":[262144,1048576],"data_offsets":[0,1099511627776]}}"#
        let bytes = BadInput.safetensors(header: header, data: [UInt8](repeating: 0, count: 900))
        #expect(bytes.count <= 1024)
        try BadInput.write(dir + "/model.safetensors", bytes)
        BadInput.expectError([.invalidOffset], "1 TB tensor") { _ = try SafetensorsFile(path: dir + "/model.safetensors") }
    }

    @Test func safetensorsHeaderOfHundredMegabytes() throws {
        let dir = try TestPaths.tempDir()
        // Above the cap, and at the cap in a file that does not hold it: both refused from the
        // 8-byte length alone.
        for n in [UInt64(SafetensorsFile.maxHeaderSize + 1), UInt64(SafetensorsFile.maxHeaderSize), UInt64.max] {
            try BadInput.write(dir + "/model.safetensors", Self.le(n) + Array("{}".utf8))
            BadInput.expectError([.headerTooLarge], "header length \(n)") {
                _ = try SafetensorsFile(path: dir + "/model.safetensors")
            }
        }
    }

    /// A zip whose ZIP64 end record claims 2^32 entries in an empty central directory.
    static func zipClaimingEntries(_ count: UInt64) -> [UInt8] {
        var b: [UInt8] = Self.le(UInt32(0x0403_4b50)) + [UInt8](repeating: 0, count: 26)   // a local header's start
        let zip64At = b.count
        b += Self.le(UInt32(0x0606_4b50)) + Self.le(UInt64(44)) + Self.le(UInt16(45)) + Self.le(UInt16(45))
        b += Self.le(UInt32(0)) + Self.le(UInt32(0)) + Self.le(count) + Self.le(count)
        b += Self.le(UInt64(0)) + Self.le(UInt64(zip64At))                              // directory: 0 bytes
        b += Self.le(UInt32(0x0706_4b50)) + Self.le(UInt32(0)) + Self.le(UInt64(zip64At)) + Self.le(UInt32(1))
        b += Self.le(UInt32(0x0605_4b50)) + Self.le(UInt16(0)) + Self.le(UInt16(0)) + Self.le(UInt16(0xFFFF))
        b += Self.le(UInt16(0xFFFF)) + Self.le(UInt32(0xFFFF_FFFF)) + Self.le(UInt32(0xFFFF_FFFF)) + Self.le(UInt16(0))
        return b
    }

    @Test func zipEntryCountOfTwoToThe32() throws {
        let dir = try TestPaths.tempDir()
        try BadInput.write(dir + "/big.pt", Self.zipClaimingEntries(1 << 32))
        let e = BadInput.expectError([.corrupt, .truncated], "2^32 entries") { _ = try TorchFile(path: dir + "/big.pt") }
        #expect(e?.message.contains("4294967296") == true)
    }

    @Test func pickleNestedAMillionDeep() {
        let n = 1_000_000
        let lists: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: n) + [UInt8](repeating: 0x61, count: n - 1) + [0x2E]
        let marks: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x28, count: n) + [0x29, 0x2E]
        for p in [lists, marks] {
            do {
                _ = try PickleReader.read(p, policy: TorchFile.policy)
                Issue.record("a million-deep pickle was accepted")
            } catch let e as PickleError {
                if case .limitExceeded = e.reason {} else { Issue.record("expected a limit, got \(e)") }
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
    }

    @Test func llmcHeaderClaimingHugeShapes() throws {
        let dir = try TestPaths.tempDir()
        // 1 kB: a 2^20-layer, 2^20-context model; the config limits refuse it before sizes are
        // multiplied or anything is read.
        var h = [Int32](repeating: 0, count: 256)
        h[0] = 20240326; h[1] = 3; h[2] = 1 << 20; h[3] = 50257; h[4] = 1 << 20; h[5] = 12; h[6] = 768; h[7] = 50304
        try BadInput.write(dir + "/gpt2.bin", h.flatMap { Self.le($0) })
        BadInput.expectError([.badConfig, .corrupt, .truncated], "huge llm.c header") { _ = try LLMCCheckpoint(path: dir + "/gpt2.bin") }
    }
}
