/// One tensor's values in memory: canonical layout, little-endian, row-major.
public struct TensorData: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var type: ElementType
    public var bytes: [UInt8]

    public init(name: String, shape: [Int], type: ElementType, bytes: [UInt8]) {
        self.name = name
        self.shape = shape
        self.type = type
        self.bytes = bytes
    }

    /// Product of the shape, or nil on overflow.
    public var elementCount: Int? { TensorData.elementCount(shape) }

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
