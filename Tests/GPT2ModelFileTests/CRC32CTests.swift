import Testing
@testable import GPT2Support

// Expected values are published ones, not ours: the CRC catalogue's check value for
// CRC-32/ISCSI and the test vectors of RFC 3720 (iSCSI), appendix B.4.
@Test func crc32cCatalogueCheckValue() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
}

@Test func crc32cRFC3720Vectors() {
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
}

@Test func crc32cSlicingMatchesBitwiseOracleAtEveryAlignmentAndLength() {
    var g = SplitMix(seed: 7)
    let data = (0..<300).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    for start in 0..<9 {
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 100, 291 - start] {
            let slice = Array(data[start..<(start + len)])
            #expect(CRC32C.checksum(slice) == CRC32C.naive(slice), "start \(start) len \(len)")
        }
    }
}

@Test func crc32cCombineEqualsChecksumOfConcatenation() {
    var g = SplitMix(seed: 3)
    let data = (0..<5000).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    for cut in [0, 1, 13, 2500, 4999, 5000] {
        let a = CRC32C.checksum(data[..<cut]), b = CRC32C.checksum(data[cut...])
        #expect(CRC32C.combine(a, b, lengthB: 5000 - cut) == CRC32C.checksum(data))
    }
}

@Test func crc32cMaskRoundTrips() {
    // TensorFlow's masked CRC of the empty string's CRC (0) is the mask delta itself.
    #expect(CRC32C.masked(0) == 0xA282_EAD8)
    for v: UInt32 in [0, 1, 0xDEAD_BEEF, 0xFFFF_FFFF] { #expect(CRC32C.unmasked(CRC32C.masked(v)) == v) }
}

@Test func crc32cBothImplementationsMatchTheOracleOnLongBuffers() {
    var g = SplitMix(seed: 9)
    let data = (0..<200_000).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    for (start, len) in [(0, 12_288), (3, 12_289), (5, 40_000), (1, 199_999), (0, 200_000)] {
        let slice = Array(data[start..<(start + len)])
        let want = CRC32C.naive(slice)
        #expect(CRC32C.checksum(slice) == want, "default \(start)+\(len)")
        let table = slice.withUnsafeBytes { ~CRC32C.slicing8(0xFFFF_FFFF, $0) }
        #expect(table == want, "table \(start)+\(len)")
        if CRC32C.hardware {
            #expect(slice.withUnsafeBytes { CRC32C.hardwareUpdate(0, $0) } == want, "hardware \(start)+\(len)")
        }
        var inc = CRC32C()   // incremental over uneven pieces
        slice.withUnsafeBytes { b in
            var o = 0
            for step in [1, 13_000, 7, 30_000] where o < b.count {
                let e = min(b.count, o + step); inc.update(UnsafeRawBufferPointer(rebasing: b[o..<e])); o = e
            }
            if o < b.count { inc.update(UnsafeRawBufferPointer(rebasing: b[o...])) }
        }
        #expect(inc.value == want)
    }
}
