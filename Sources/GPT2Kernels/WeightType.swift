/// Element types a weight tensor can have; the model file calls it `ElementType` (a typealias),
/// so the format and the kernels share this one enum; it lives here because the kernel layer has no
/// dependencies.
public enum WeightType: String, Sendable, Equatable, CaseIterable, Codable {
    case f32, f16, bf16
    /// ggml's Q8_0: blocks of 32 values, each a little-endian f16 scale `d` then 32 int8 `q`;
    /// value = d * q. 34 bytes per 32 elements.
    case q8_0

    /// Bytes taken by `count` elements, or nil on overflow / a count q8_0 cannot hold
    /// (q8_0 needs a multiple of 32).
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0 else { return nil }
        switch self {
        case .f32:
            let (n, o) = count.multipliedReportingOverflow(by: 4)
            return o ? nil : n
        case .f16, .bf16:
            let (n, o) = count.multipliedReportingOverflow(by: 2)
            return o ? nil : n
        case .q8_0:
            guard count % Q8_0.blockCount == 0 else { return nil }
            let (n, o) = (count / Q8_0.blockCount).multipliedReportingOverflow(by: Q8_0.blockBytes)
            return o ? nil : n
        }
    }
}

/// Constants of ggml's Q8_0 block format.
public enum Q8_0 {
    /// Values per block.
    public static let blockCount = 32
    /// Bytes per block: 2-byte f16 scale + 32 int8.
    public static let blockBytes = 34
}
