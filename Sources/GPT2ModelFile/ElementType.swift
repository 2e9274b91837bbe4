/// Element types a tensor can have in a source checkpoint or in the model file.
public enum ElementType: String, Sendable, Equatable, CaseIterable, Codable {
    case f32, f16, bf16
    /// ggml's Q8_0: blocks of 32 int8 values with one f16 scale (34 bytes per 32 elements).
    case q8_0

    /// Bytes taken by `count` elements, or nil on overflow / a count q8_0 cannot hold.
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0 else { return nil }
        switch self {
        case .f32: return count.multipliedReportingOverflow(by: 4).overflow ? nil : count * 4
        case .f16, .bf16: return count.multipliedReportingOverflow(by: 2).overflow ? nil : count * 2
        case .q8_0:
            guard count % 32 == 0 else { return nil }
            return (count / 32).multipliedReportingOverflow(by: 34).overflow ? nil : count / 32 * 34
        }
    }
}
