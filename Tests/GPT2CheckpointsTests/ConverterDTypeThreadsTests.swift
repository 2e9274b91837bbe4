import Testing
import GPT2ModelFile
@testable import GPT2Checkpoints

/// The in-place dtype conversion split over threads: sizes spanning several rounds of 64 Ki-
/// element blocks and a short last block give the same bytes as an independent conversion.
@Suite struct ConverterDTypeThreadsTests {
    static let n = 3 * 65536 + 32 * 7

    func tensor() -> TensorData {
        var seed: UInt64 = 42
        let v: [Float] = (0..<Self.n).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed) >> 40) / Float(1 << 23) * 0.05
        }
        return TensorData(name: "w", shape: [Self.n / 32, 32], type: .f32, bytes: v.withUnsafeBytes { Array($0) })
    }

    func floats(_ t: TensorData) -> [Float] { t.bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }

    @Test(arguments: [1, 2, 3])
    func f16MatchesSwiftsRounding(threads: Int) {
        let src = tensor()
        let expected = floats(src).flatMap { v -> [UInt8] in let b = Float16(v).bitPattern; return [UInt8(b & 0xFF), UInt8(b >> 8)] }
        #expect(ConverterDType.convert(src, to: .f16, threads: threads).bytes == expected)
    }

    @Test(arguments: [1, 2, 3])
    func bf16MatchesRoundToNearestEven(threads: Int) {
        let src = tensor()
        let expected = floats(src).flatMap { v -> [UInt8] in
            let x = v.bitPattern
            let b = UInt16((x + 0x7FFF + ((x >> 16) & 1)) >> 16)   // no NaNs in the data
            return [UInt8(b & 0xFF), UInt8(b >> 8)]
        }
        #expect(ConverterDType.convert(src, to: .bf16, threads: threads).bytes == expected)
    }

    @Test(arguments: [2, 3, 8])
    func q8MatchesOneThread(threads: Int) {
        let one = ConverterDType.convert(tensor(), to: .q8_0, threads: 1)
        let many = ConverterDType.convert(tensor(), to: .q8_0, threads: threads)
        #expect(one.bytes.count == Self.n / 32 * 34)
        #expect(many.bytes == one.bytes)
        #expect(many.type == .q8_0 && many.shape == [Self.n / 32, 32])
    }
}
