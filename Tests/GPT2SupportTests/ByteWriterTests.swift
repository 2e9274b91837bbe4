import Testing
@testable import GPT2Support

/// ByteWriter against the bytes of Python's struct.pack("<BHIQfdh", 1, 0x0102, 0x01020304,
/// 0x0102030405060708, 1.0, -2.0, -2) + bytes([9, 9]), and ByteReader reading them back.
@Suite struct ByteWriterTests {
    @Test func littleEndianLikeStructPack() throws {
        var w = ByteWriter()
        w.u8(1); w.u16(0x0102); w.u32(0x0102_0304); w.u64(0x0102_0304_0506_0708); w.f32(1); w.f64(-2)
        w.integer(Int16(-2)); w.raw([9, 9])
        #expect(w.bytes == [1, 2, 1, 4, 3, 2, 1, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0x80, 0x3f,
                            0, 0, 0, 0, 0, 0, 0, 0xc0, 0xfe, 0xff, 9, 9])
        var r = ByteReader(bytes: w.bytes, file: "w") { $0 }
        #expect(try r.u8() == 1 && r.u16() == 0x0102 && r.u32() == 0x0102_0304 && r.u64() == 0x0102_0304_0506_0708)
    }
}
