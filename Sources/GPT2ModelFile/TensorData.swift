/// One tensor's values in memory: canonical layout, little-endian, row-major.
public struct TensorData: Sendable, Equatable {
    /// Canonical tensor name.
    public var name: String
    /// Shape, outermost dimension first.
    public var shape: [Int]
    /// Element type.
    public var type: ElementType
    /// The values, little-endian, row-major.
    public var bytes: [UInt8]

    /// A tensor of `bytes`.
    public init(name: String, shape: [Int], type: ElementType, bytes: [UInt8]) {
        self.name = name
        self.shape = shape
        self.type = type
        self.bytes = bytes
    }

    /// Product of the shape, or nil on overflow.
    public var elementCount: Int? { TensorData.elementCount(shape) }

    /// Product of `shape`, or nil on overflow or a negative dimension.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }
}
