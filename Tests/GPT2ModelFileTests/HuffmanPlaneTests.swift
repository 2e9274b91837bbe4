import Foundation
import Testing
@testable import GPT2ModelFile
import GPT2Support

/// The writer's Huffman-only zstd frames: an independent decoder (the `zstd` command-line tool)
/// must give back exactly the plane, and the sizes must be what Huffman coding can reach.
@Suite struct HuffmanPlaneTests {
    /// `zstd -d` of `frame` (the zstd CLI, not our decoder).
    func zstdCLIDecode(_ frame: [UInt8], dir: String) throws -> [UInt8] {
        let src = dir + "/plane.zst", dst = dir + "/plane.out"
        #expect(FileManager.default.createFile(atPath: src, contents: Data(frame)))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        p.arguments = ["-q", "-d", "-f", src, "-o", dst]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return Array(try Data(contentsOf: URL(fileURLWithPath: dst)))
    }

    func compress(_ plane: [UInt8], blockSize: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ZstdCompressor.bound(plane.count))
        let n = plane.withUnsafeBytes { s in out.withUnsafeMutableBytes { ZstdCompressor().compress(s, into: $0, tuning: .huffmanOnly(blockSize: blockSize)) } }
        return Array(out[0..<(n ?? 0)])
    }

    /// An exponent-like plane: byte 120 + k with probability 2^-(k+1), so its order-0 entropy
    /// is 2 bits per byte (computed by hand: sum of (k+1) / 2^(k+1)), which a Huffman code
    /// reaches exactly because every probability is a power of two.
    func skewedPlane(_ n: Int, seed: UInt64) -> [UInt8] {
        var g = SplitMix(seed: seed)
        return (0..<n).map { _ in UInt8(120 + min((g.next() | (1 << 20)).trailingZeroBitCount, 20)) }
    }

    @Test(arguments: [1 << 17, 1 << 14, 1000])
    func skewedPlaneDecodesWithTheZstdToolAtTheEntropy(blockSize: Int) throws {
        let dir = makeTempDir(); defer { cleanup(dir) }
        let plane = skewedPlane(300_001, seed: 7)
        let frame = compress(plane, blockSize: blockSize)
        #expect(try zstdCLIDecode(frame, dir: dir) == plane)
        // 2 bits per byte = 0.25 of the plane, plus table and stream headers per block.
        let ratio = Double(frame.count) / Double(plane.count)
        #expect(ratio > 0.25 && ratio < (blockSize >= 1 << 14 ? 0.26 : 0.30), "\(ratio)")
    }

    @Test func randomPlaneStaysRawInsideTheFrame() throws {
        let dir = makeTempDir(); defer { cleanup(dir) }
        var g = SplitMix(seed: 3)
        let plane = (0..<200_000).map { _ in UInt8(truncatingIfNeeded: g.next()) }
        let frame = compress(plane, blockSize: 1 << 17)
        #expect(try zstdCLIDecode(frame, dir: dir) == plane)
        #expect(frame.count >= plane.count && frame.count < plane.count + 64)
    }

    @Test func tinyAndSingleBytePlanes() throws {
        let dir = makeTempDir(); defer { cleanup(dir) }
        for plane in [[UInt8](arrayLiteral: 9), [UInt8](repeating: 200, count: 5000)] {
            #expect(try zstdCLIDecode(compress(plane, blockSize: 1 << 14), dir: dir) == plane)
        }
    }

    /// The whole codec with its default coding on weight-like floats: the exponent plane is
    /// coded, and the payload decodes to the same bytes.
    @Test(arguments: [2, 4])
    func payloadRoundTripsAndCompresses(width: Int) throws {
        var g = SplitMix(seed: 11)
        let values = (0..<300_000).map { _ in g.weight(0.02) }
        var bytes = floatBytes(values)
        if width == 2 { bytes = stride(from: 0, to: bytes.count, by: 4).flatMap { [bytes[$0 + 2], bytes[$0 + 3]] } }
        let n = bytes.count / width
        let payload = bytes.withUnsafeBytes { BytePlanesCodec.encode($0, width: width, chunkElements: 1 << 16, threads: 2) }
        #expect(Double(payload.count) < Double(bytes.count) * (width == 4 ? 0.86 : 0.72))
        var out = [UInt8](repeating: 0, count: bytes.count)
        let crc = try payload.withUnsafeBytes { p in
            try out.withUnsafeMutableBytes { o in try BytePlanesCodec.decode(p, width: width, elements: n, rotate: true, into: o, threads: 2) }
        }
        #expect(out == bytes)
        #expect(crc == bytes.withUnsafeBytes { CRC32C.checksum($0) })
    }

    /// A plane that no chunk of the first batch (2 × threads chunks) could code is stored raw in
    /// the rest of the tensor without trying; a plane that did code keeps being tried.
    @Test func planesThatNeverCodeInTheFirstBatchStayRaw() throws {
        var g = SplitMix(seed: 5)
        let chunk = 1 << 12
        let noise = (0..<(2 * chunk)).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: g.next())) }   // every bit random
        let weights = (0..<(4 * chunk)).map { _ in g.weight(0.02) }
        for (values, laterExponentCoded) in [(noise + weights, false), (weights + noise + weights, true)] {
            let bytes = floatBytes(values)
            let payload = bytes.withUnsafeBytes { BytePlanesCodec.encode($0, width: 4, chunkElements: chunk, threads: 1) }
            let flags = (0..<(values.count / chunk * 4)).map { i in
                payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: BytePlanesCodec.headerSize + 4 * i, as: UInt32.self) } & BytePlanesCodec.zstdFlag != 0
            }
            let lastChunkExponent = flags[flags.count - 1]
            #expect(lastChunkExponent == laterExponentCoded)
            var out = [UInt8](repeating: 0, count: bytes.count)
            _ = try payload.withUnsafeBytes { p in
                try out.withUnsafeMutableBytes { try BytePlanesCodec.decode(p, width: 4, elements: values.count, rotate: true, into: $0, threads: 1) }
            }
            #expect(out == bytes)
        }
    }
}

/// decodeAll's two paths: a tensor of ≥ 2 chunks per thread decoded with its chunks across the
/// threads, small ones split across threads; both give the written bytes.
@Test(arguments: [1, 2, 3])
func decodeAllBigAndSmallTensors(threads: Int) throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    var g = SplitMix(seed: 21)
    let bigCount = 2 * 3 * BytePlanesCodec.defaultChunkElements + 5
    var big = [UInt8](repeating: 0, count: 4 * bigCount)
    big.withUnsafeMutableBytes { b in for i in 0..<bigCount { b.storeBytes(of: g.weight(0.02), toByteOffset: 4 * i, as: Float.self) } }
    let tensors = [TensorData(name: "big", shape: [bigCount], type: .f32, bytes: big)]
        + (0..<4).map { k in TensorData(name: "small\(k)", shape: [1000 + k], type: .f32, bytes: floatBytes((0..<(1000 + k)).map { _ in g.weight(0.02) })) }
    let path = dir + "/m.gpt2kit"
    let w = try ModelFileWriter(path: path, metadata: tinyMetadata())
    for t in tensors { #expect(try w.add(t, codec: .bytePlanesZstd).codec == .bytePlanesZstd) }
    try w.finish()
    let f = try ModelFile(path: path)
    try f.decodeAll(threads: threads)
    for t in tensors { #expect(try f.tensorData(t.name).bytes == t.bytes, "\(t.name)") }
}

/// decodeAll's shared mapping for small tensors: a damaged payload in one of them is a typed
/// error naming that tensor, the others still decode from the same mapping, and a damaged chunk
/// table fails before anything is allocated.
@Test func decodeAllSmallTensorsDamagedPayloadAndTable() throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    var g = SplitMix(seed: 22)
    let tensors = (0..<3).map { k in
        TensorData(name: "small\(k)", shape: [5000 + k], type: .f32, bytes: floatBytes((0..<(5000 + k)).map { _ in g.weight(0.02) }))
    }
    let path = dir + "/m.gpt2kit"
    let w = try ModelFileWriter(path: path, metadata: tinyMetadata())
    for t in tensors { #expect(try w.add(t, codec: .bytePlanesZstd).codec == .bytePlanesZstd) }
    try w.finish()
    let clean = readFile(path)
    let info = try #require(try ModelFile(path: path).info("small1"))
    // Payload: the last byte of the last plane (plane bytes follow the 12-byte header and table).
    var b = clean; b[info.offset + info.storedSize - 1] ^= 0x10; writeFile(path, b)
    var f = try ModelFile(path: path)
    do {
        try f.decodeAll(threads: 2)
        Issue.record("damaged payload decoded without error")
    } catch {
        #expect(error.kind == .checksumMismatch || error.kind == .corruptPayload)
        #expect(error.tensor == "small1")
    }
    for t in [tensors[0], tensors[2]] { #expect(try f.tensorData(t.name).bytes == t.bytes, "\(t.name)") }
    // Chunk table: a plane length that runs past the payload.
    b = clean; b[info.offset + BytePlanesCodec.headerSize + 3] = 0x7F; writeFile(path, b)
    f = try ModelFile(path: path)
    let e = try #require(throws: ModelFileError.self) { try f.decodeAll(threads: 2) }
    #expect(e.kind == .corruptPayload && e.tensor == "small1")
}
