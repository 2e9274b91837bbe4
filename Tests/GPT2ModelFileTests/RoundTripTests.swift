import Foundation
import Testing
@testable import GPT2ModelFile
import GPT2Tokenizer
import GPT2Support

@Test(arguments: [TensorCodec.raw, .bytePlanesZstd])
func roundTripIsBitExact(codec: TensorCodec) throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    let tensors = tinyTensors()
    let path = try writeTinyModel(dir, codec: codec, tensors: tensors)
    let f = try ModelFile(path: path)
    #expect(f.config == tinyConfig)
    #expect(f.vocabulary == tinyVocabulary)
    #expect(f.metadata.provenance?.sourceLayout == "test")
    #expect(f.tensors.map(\.name) == tensors.map(\.name))
    for t in tensors {
        #expect(try f.tensorData(t.name) == t)
        let info = try #require(f.info(t.name))
        #expect(info.offset % 4096 == 0)
        #expect(info.checksum == CRC32C.checksum(t.bytes))
        try f.withTensor(t.name) { v in #expect(v.isMapped == (info.codec == .raw)) }
    }
    try f.verifyAll()
    try f.decodeAll()
}

@Test func rawTensorsAreReadInPlaceFromTheMapping() throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    let path = try writeTinyModel(dir)
    let f = try ModelFile(path: path)
    let bytes = readFile(path)
    let info = try #require(f.info("wte.weight"))
    try f.withTensor("wte.weight") { v in
        #expect(v.isMapped)
        #expect(Array(v.bytes) == Array(bytes[info.offset..<(info.offset + info.rawSize)]))
        #expect(Int(bitPattern: v.bytes.baseAddress) % 4096 == 0)   // mapping is page aligned, offset too
    }
}

@Test func compressedCodecRoundTripsManyChunksAndOddLengthsOnBothCores() throws {
    // Trained-weight-like values: planes compress, many 256 Ki chunks, a ragged last chunk.
    var g = SplitMix(seed: 11)
    for (type, width) in [(ElementType.f32, 4), (.bf16, 2), (.f16, 2)] {
        for n in [1, 15, 17, 1000, (1 << 16) * 3 + 5] {
            var bytes = [UInt8](repeating: 0, count: n * width)
            for i in 0..<n {
                let f = g.weight(0.05)
                if width == 4 { withUnsafeBytes(of: f.bitPattern.littleEndian) { for k in 0..<4 { bytes[4 * i + k] = $0[k] } } }
                else { let h = UInt16(f.bitPattern >> 16); bytes[2 * i] = UInt8(h & 0xFF); bytes[2 * i + 1] = UInt8(h >> 8) }
            }
            for threads in [1, 2] { for rotate in [true, false] {
                let payload = bytes.withUnsafeBytes {
                    BytePlanesCodec.encode($0, width: width, chunkElements: 1 << 16, rotate: rotate, threads: threads)
                }
                var out = [UInt8](repeating: 0, count: bytes.count)
                let crc = try payload.withUnsafeBytes { p in
                    try out.withUnsafeMutableBytes { o in
                        try BytePlanesCodec.decode(p, width: width, elements: n, rotate: rotate, into: o, threads: threads)
                    }
                }
                #expect(out == bytes, "\(type) n=\(n) threads=\(threads) rotate=\(rotate)")
                #expect(crc == CRC32C.checksum(bytes))
            } }
        }
    }
}

@Test func splitAndMergeMatchTheScalarOracle() {
    var g = SplitMix(seed: 5)
    for width in [2, 4] { for rotate in [false, true] {
        for n in [0, 1, 15, 16, 33, 100, 4099] {   // SIMD steps of 16 and every tail length class
            let src = (0..<(n * width)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            var planes = [UInt8](repeating: 0, count: src.count)
            src.withUnsafeBytes { s in
                planes.withUnsafeMutableBytes { BytePlanesCodec.split(s, width: width, count: n, rotate: rotate, into: $0) }
            }
            #expect(planes == BytePlanesCodec.naiveSplit(src, width: width, rotate: rotate), "width \(width) rotate \(rotate)")
            var back = [UInt8](repeating: 0, count: src.count)
            planes.withUnsafeBytes { p in
                back.withUnsafeMutableBytes { o in
                    guard let base = p.baseAddress, let ob = o.baseAddress else { return }
                    BytePlanesCodec.merge((0..<width).map { base + $0 * n }, width: width, count: n, rotate: rotate, into: ob)
                }
            }
            #expect(back == src)
        }
    } }
}

@Test func rotatedSplitPutsThePureExponentInTheTopPlaneForEveryBF16Pattern() throws {
    // All 65536 bf16 bit patterns (a ragged tail too: 65536 + 5 elements): the top plane is
    // bits 14...7 (the exponent), the low plane bits 6...0 then the sign, and decode restores
    // every pattern bit-exact.
    let n = 65536 + 5
    var bytes = [UInt8](repeating: 0, count: 2 * n)
    for i in 0..<n { let v = UInt16(truncatingIfNeeded: i &* 40503); bytes[2 * i] = UInt8(v & 0xFF); bytes[2 * i + 1] = UInt8(v >> 8) }
    var planes = [UInt8](repeating: 0, count: bytes.count)
    bytes.withUnsafeBytes { s in planes.withUnsafeMutableBytes { BytePlanesCodec.split(s, width: 2, count: n, rotate: true, into: $0) } }
    for i in 0..<n {
        let v = UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8
        #expect(planes[n + i] == UInt8((v >> 7) & 0xFF) && planes[i] == UInt8(((v & 0x7F) << 1) | (v >> 15)), "bf16 0x\(String(v, radix: 16))")
        if planes[n + i] != UInt8((v >> 7) & 0xFF) { break }
    }
    #expect(Set((0..<65536).map { UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8 }).count == 65536)
    for threads in [1, 2] {
        let payload = bytes.withUnsafeBytes { BytePlanesCodec.encode($0, width: 2, chunkElements: 1 << 12, threads: threads) }
        var out = [UInt8](repeating: 0, count: bytes.count)
        _ = try payload.withUnsafeBytes { p in
            try out.withUnsafeMutableBytes { o in try BytePlanesCodec.decode(p, width: 2, elements: n, rotate: true, into: o, threads: threads) }
        }
        #expect(out == bytes)
    }
    // fp32: the top plane is bits 30...23 for sign/exponent extremes.
    let f: [UInt32] = [0x8000_0000, 0x7F80_0000, 0xFF80_0001, 0x3F80_0000, 0xBF7F_FFFF, 0x0000_0001, 0xFFFF_FFFF, 0x4000_0000]
    let fb = f.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    var fp = [UInt8](repeating: 0, count: fb.count)
    fb.withUnsafeBytes { s in fp.withUnsafeMutableBytes { BytePlanesCodec.split(s, width: 4, count: f.count, rotate: true, into: $0) } }
    #expect(Array(fp[(3 * f.count)...]) == f.map { UInt8(($0 >> 23) & 0xFF) })
    #expect(Array(fp[0..<f.count]) == f.map { UInt8(truncatingIfNeeded: ($0 << 1) | ($0 >> 31)) })
}

@Test func compressedCodecShrinksTrainedLikeWeightsAndStaysRawOnNoise() throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    var g = SplitMix(seed: 2)
    let n = 100_000
    let weights = TensorData(name: "w", shape: [n], type: .f32, bytes: floatBytes((0..<n).map { _ in g.weight(0.02) }))
    let noise = TensorData(name: "noise", shape: [n], type: .f32, bytes: (0..<(4 * n)).map { _ in UInt8(truncatingIfNeeded: g.next()) })
    let q = TensorData(name: "q", shape: [64], type: .q8_0, bytes: [UInt8](repeating: 1, count: 68))
    let path = dir + "/c.gpt2kit"
    let w = try ModelFileWriter(path: path, metadata: tinyMetadata())
    let a = try w.add(weights, codec: .bytePlanesZstd)
    let b = try w.add(noise, codec: .bytePlanesZstd)
    let c = try w.add(q, codec: .bytePlanesZstd)
    try w.finish()
    #expect(a.codec == .bytePlanesZstd && a.ratio < 0.9)
    #expect(b.codec == .raw)          // did not pay: kept zero-copy
    #expect(c.codec == .raw)          // q8_0 has no byte planes
    let f = try ModelFile(path: path)
    #expect(try f.tensorData("w") == weights)
    #expect(try f.tensorData("noise") == noise)
    #expect(try f.tensorData("q") == q)
}

@Test func format10FilesWithUnrotatedPlanesStayReadable() throws {
    // Codec 1 (format 1.0: planes of the elements as they are) next to codec 2 (rotated): the
    // table keeps the code, the reader decodes each bit-exact.
    let dir = makeTempDir(); defer { cleanup(dir) }
    var g = SplitMix(seed: 9)
    let n = 50_000
    let w32 = TensorData(name: "w32", shape: [n], type: .f32, bytes: floatBytes((0..<n).map { _ in g.weight(0.02) }))
    let w16 = TensorData(name: "w16", shape: [n], type: .bf16, bytes: Array(w32.bytes.enumerated().filter { $0.offset % 4 >= 2 }.map(\.element)))
    for rotate in [false, true] {
        let path = dir + "/v\(rotate).gpt2kit"
        let w = try ModelFileWriter(path: path, metadata: tinyMetadata())
        w.rotatePlanes = rotate
        let a = try w.add(w32, codec: .bytePlanesZstd), b = try w.add(w16, codec: .bytePlanesZstd)
        try w.finish()
        #expect(a.codec == .bytePlanesZstd && b.codec == .bytePlanesZstd && a.ratio < 0.9 && b.ratio < 0.8)
        let f = try ModelFile(path: path)
        #expect(f.tensors.map(\.rotatedPlanes) == [rotate, rotate])
        #expect(f.tensors.map { $0.encoded()[2 + $0.name.utf8.count + 1] } == [rotate ? 2 : 1, rotate ? 2 : 1])
        #expect(try f.tensorData("w32") == w32)
        #expect(try f.tensorData("w16") == w16)
    }
}

@Test func metadataKeepsUnknownKeysAndNonGPT2TensorNames() throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    var m = tinyMetadata()
    m.extra["general"] = .object(["name": .string("tiny \"test\"\n"), "n": .number(3)])
    let path = dir + "/x.gpt2kit"
    let w = try ModelFileWriter(path: path, metadata: m)
    try w.add(TensorData(name: "any/name with spaces", shape: [2, 0, 3], type: .f16, bytes: []))
    try w.add(TensorData(name: "scalar", shape: [], type: .f32, bytes: [0, 0, 128, 63]))
    try w.finish()
    let f = try ModelFile(path: path)
    #expect(f.metadata == m)
    #expect(f.metadataJSON["general"]?["name"]?.stringValue == "tiny \"test\"\n")
    #expect(try f.tensorData("scalar").bytes == [0, 0, 128, 63])
    #expect(try f.tensorData("any/name with spaces").shape == [2, 0, 3])
}

@Test func writerLeavesNothingAtThePathUnlessFinished() throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    let path = dir + "/out.gpt2kit"
    do {
        let w = try ModelFileWriter(path: path, metadata: tinyMetadata())
        try w.add(tinyTensors()[0])
        #expect(FileManager.default.fileExists(atPath: w.temporaryPath))
        // dropped without finish()
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    let w = try ModelFileWriter(path: path, metadata: tinyMetadata())
    let t = tinyTensors()[0]
    try w.add(t)
    expectError(.invalidArgument) { try w.add(t) }                                    // duplicate name
    expectError(.invalidArgument) { try w.add(TensorData(name: "b", shape: [3], type: .f32, bytes: [1])) }
    w.cancel()
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    expectError(.io) { _ = try ModelFileWriter(path: dir + "/missing-dir/out.gpt2kit", metadata: tinyMetadata()) }
}

@Test func writingTheSameModelTwiceGivesTheSameBytes() throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    let a = try writeTinyModel(dir, name: "a", codec: .bytePlanesZstd)
    let b = try writeTinyModel(dir, name: "b", codec: .bytePlanesZstd)
    #expect(readFile(a) == readFile(b))
}

@Test func metadataGivenAtFinishFollowsTheTable() throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    let path = dir + "/late.gpt2kit"
    let w = try ModelFileWriter(path: path, metadata: nil)
    for t in tinyTensors() { try w.add(t, codec: .bytePlanesZstd) }
    try w.finish(metadata: tinyMetadata())
    let f = try ModelFile(path: path)
    #expect(f.metadata == tinyMetadata())
    #expect(f.tensors.first?.offset == 4096)
    for t in tinyTensors() { #expect(try f.tensorData(t.name) == t) }
    // Metadata must be given exactly once.
    let w2 = try ModelFileWriter(path: path + "2", metadata: nil)
    expectError(.invalidArgument) { try w2.finish() }
    #expect(!FileManager.default.fileExists(atPath: path + "2"))
}

@Test func temporaryFilesAreRegisteredForSignalCleanupUntilFinished() throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    func registered(_ p: String) -> Bool {
        (0..<TemporaryFiles.slots).contains { i in
            TemporaryFiles.table[i * TemporaryFiles.slotBytes] != 0
                && String(cString: TemporaryFiles.table + i * TemporaryFiles.slotBytes) == p
        }
    }
    let w = try ModelFileWriter(path: dir + "/a.gpt2kit", metadata: tinyMetadata())
    #expect(registered(w.temporaryPath))
    try w.finish()
    #expect(!registered(w.temporaryPath))
    let c = try ModelFileWriter(path: dir + "/b.gpt2kit", metadata: tinyMetadata())
    #expect(registered(c.temporaryPath))
    c.cancel()
    #expect(!registered(c.temporaryPath))
}

/// The container is architecture-agnostic: a file of another architecture, with tensors that are
/// not GPT-2's, opens and reads back; it just has no GPT-2 hyperparameters (the runtime refuses
/// it: GPT2RuntimeTests.ModelFileLoadTests.unsupportedArchitecture).
@Test func anyArchitectureAndAnyTensorsRoundTrip() throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    let path = dir + "/other.gpt2"
    let w = try ModelFileWriter(path: path, metadata: ModelMetadata(architecture: "my-rnn"))
    let bytes = (0..<24).flatMap { i in withUnsafeBytes(of: Float(i) * 0.5) { Array($0) } }
    let t = TensorData(name: "cell.kernel", shape: [2, 3, 4], type: .f32, bytes: bytes)
    try w.add(t)
    try w.finish()
    let f = try ModelFile(path: path)
    #expect(f.metadata.architecture == "my-rnn")
    #expect(f.config == nil)
    #expect(try f.tensorData("cell.kernel") == t)
    try f.verifyAll()
}

/// The writer takes a compressed tensor's checksum from the codec (one CRC per chunk, computed
/// by the coding threads and joined in order): it must equal the CRC32C of the whole tensor,
/// for a tensor of several chunks with a ragged last one, on 1 and 2 threads, and also when the
/// planes do not compress and the tensor is stored raw after the coding attempt.
@Test(arguments: [1, 2])
func compressedTensorChecksumIsTheWholeTensors(threads: Int) throws {
    let dir = makeTempDir(); defer { cleanup(dir) }
    var g = SplitMix(seed: 5)
    let n = 2 * BytePlanesCodec.defaultChunkElements + 12_345
    let trained = floatBytes((0..<n).map { _ in g.weight(0.05) })
    let random = (0..<(4 * n)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let path = dir + "/c.gpt2kit"
    let w = try ModelFileWriter(path: path, metadata: tinyMetadata())
    let a = try w.add(TensorData(name: "trained", shape: [n], type: .f32, bytes: trained), codec: .bytePlanesZstd, threads: threads)
    let b = try w.add(TensorData(name: "random", shape: [n], type: .f32, bytes: random), codec: .bytePlanesZstd, threads: threads)
    try w.finish()
    #expect(a.codec == .bytePlanesZstd)
    #expect(b.codec == .raw)
    #expect(a.checksum == CRC32C.checksum(trained))
    #expect(b.checksum == CRC32C.checksum(random))
    let f = try ModelFile(path: path)
    try f.verifyAll()
    #expect(try f.tensorData("trained").bytes == trained)
}
