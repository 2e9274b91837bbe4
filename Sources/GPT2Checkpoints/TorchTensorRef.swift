import GPT2ModelFile

/// A storage as the pickle names it: torch's persistent id
/// `('storage', torch.FloatStorage, key, location, numel)` (zip layout; the legacy layout adds
/// a sixth item, a view `(view_key, offset, view_numel)` or None).
struct TorchStorageRef: Equatable {
    var key: String
    var type: TorchStorageType
    var numel: Int
    /// Elements to skip in the root storage (legacy storage views; 0 otherwise).
    var viewOffset: Int = 0
}

/// The storage classes a state dict names, with their element sizes. Only f32/f16/bf16 load
/// as tensors; the others are parsed (buffers, optimizer steps) and refused only if loaded.
enum TorchStorageType: String, CaseIterable {
    case float = "FloatStorage", half = "HalfStorage", bfloat16 = "BFloat16Storage"
    case double = "DoubleStorage", long = "LongStorage", int = "IntStorage", short = "ShortStorage"
    case char = "CharStorage", byte = "ByteStorage", bool = "BoolStorage"
    case complexFloat = "ComplexFloatStorage", complexDouble = "ComplexDoubleStorage"

    var elementSize: Int {
        switch self {
        case .byte, .char, .bool: return 1
        case .half, .bfloat16, .short: return 2
        case .float, .int: return 4
        case .double, .long, .complexFloat: return 8
        case .complexDouble: return 16
        }
    }

    var elementType: ElementType? {
        switch self {
        case .float: return .f32
        case .half: return .f16
        case .bfloat16: return .bf16
        default: return nil
        }
    }

    /// dtype name as torch prints it, for messages.
    var dtypeName: String {
        switch self {
        case .float: return "float32"
        case .half: return "float16"
        case .bfloat16: return "bfloat16"
        case .double: return "float64"
        case .long: return "int64"
        case .int: return "int32"
        case .short: return "int16"
        case .char: return "int8"
        case .byte: return "uint8"
        case .bool: return "bool"
        case .complexFloat: return "complex64"
        case .complexDouble: return "complex128"
        }
    }
}

/// A tensor in a torch pickle: `torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
/// stride, requires_grad, backward_hooks[, metadata])`, possibly wrapped in
/// `_rebuild_parameter(data, requires_grad, backward_hooks)`. Nothing is read until `gather`.
struct TorchTensorRef: Equatable {
    var storage: TorchStorageRef
    /// In elements, from the start of the storage.
    var offset: Int
    var shape: [Int]
    var stride: [Int]
    /// Element count, checked for overflow at parse time.
    var count: Int

    static let rebuildV2 = PickleGlobal("torch._utils", "_rebuild_tensor_v2")
    static let rebuildV1 = PickleGlobal("torch._utils", "_rebuild_tensor")
    static let rebuildParameter = PickleGlobal("torch._utils", "_rebuild_parameter")
    static let rebuildParameterWithState = PickleGlobal("torch._utils", "_rebuild_parameter_with_state")

    /// Whether `v` is a tensor record (without validating it).
    static func isTensor(_ v: PickleValue) -> Bool {
        guard case .object(let o) = v else { return false }
        return [rebuildV2, rebuildV1, rebuildParameter, rebuildParameterWithState].contains(o.callee)
    }

    /// Parses and validates a tensor record: sizes non-negative, strides non-negative,
    /// element count and the last element's index free of overflow, and the extent inside the
    /// storage. `name` and `file` are for messages.
    static func parse(_ v: PickleValue, name: String, file: String) throws -> TorchTensorRef {
        func bad(_ msg: String, _ kind: CheckpointError.Kind = .corrupt, hint: String? = nil) -> CheckpointError {
            CheckpointError(kind, file: file, "tensor \(name): \(msg)", hint: hint ?? "the pickle's tensor record is malformed")
        }
        guard case .object(let o) = v else { throw bad("expected a tensor, found \(v.kindName)") }
        if o.callee == Self.rebuildParameter || o.callee == Self.rebuildParameterWithState {
            guard let data = o.args.first else { throw bad("_rebuild_parameter without data") }
            return try parse(data, name: name, file: file)
        }
        guard o.callee == Self.rebuildV2 || o.callee == Self.rebuildV1, o.args.count >= 4 else {
            throw bad("expected _rebuild_tensor_v2(storage, offset, size, stride, ...), found \(o.callee) with \(o.args.count) arguments")
        }
        let storage = try Self.storage(o.args[0], bad)
        guard let off = o.args[1].asInt, off >= 0 else { throw bad("storage offset \(o.args[1]) is not a non-negative int") }
        guard let size = o.args[2].asSequence?.map(\.asInt), let shape = Self.unwrap(size),
              let strideItems = o.args[3].asSequence?.map(\.asInt), let stride = Self.unwrap(strideItems) else {
            throw bad("size and stride must be tuples of ints")
        }
        guard shape.count == stride.count, shape.count <= 64 else {
            throw bad("size has \(shape.count) dims, stride \(stride.count)")
        }
        guard shape.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw bad("negative size \(shape) or stride \(stride)", .unsupported,
                      hint: "torch never saves negative strides; the file is corrupt or hostile")
        }
        guard let n = TensorData.elementCount(shape) else {
            throw bad("size \(shape) overflows", .shapeMismatch, hint: "the file is corrupt or hostile")
        }
        // Index of the last element: offset + Σ (size_i - 1) · stride_i, overflow-checked.
        var last = off
        if n > 0 {
            for (d, s) in zip(shape, stride) {
                let (p, o1) = (d - 1).multipliedReportingOverflow(by: s)
                let (q, o2) = last.addingReportingOverflow(p)
                guard !o1, !o2 else { throw bad("size \(shape) with stride \(stride) overflows", .shapeMismatch, hint: "the file is corrupt or hostile") }
                last = q
            }
        }
        let (end, o3) = (n > 0 ? last : off).addingReportingOverflow(n > 0 ? 1 : 0)
        guard !o3, end <= storage.numel else {
            throw bad("needs storage elements up to \(n > 0 ? last + 1 : off) but storage \(storage.key) holds \(storage.numel)",
                      .invalidOffset, hint: "the storage is smaller than the tensor: the file is corrupt")
        }
        return TorchTensorRef(storage: storage, offset: off, shape: shape, stride: stride, count: n)
    }

    private static func unwrap(_ xs: [Int?]) -> [Int]? {
        var out: [Int] = []
        for x in xs { guard let x else { return nil }; out.append(x) }
        return out
    }

    private static func storage(_ v: PickleValue, _ bad: (String, CheckpointError.Kind, String?) -> CheckpointError) throws -> TorchStorageRef {
        guard case .persistent(let pid) = v, let t = pid.asSequence, t.count >= 5, t[0] == .string("storage") else {
            throw bad("storage is not a persistent id ('storage', type, key, location, numel)", .corrupt, nil)
        }
        guard case .global(let g) = t[1], g.module == "torch", let type = TorchStorageType(rawValue: g.name) else {
            throw bad("unknown storage type \(t[1].kindName)", .unsupportedDType, nil)
        }
        guard let key = t[2].asString, let numel = t[4].asInt, numel >= 0 else {
            throw bad("storage key or size malformed", .corrupt, nil)
        }
        var ref = TorchStorageRef(key: key, type: type, numel: numel)
        if t.count >= 6, let view = t[5].asSequence {   // legacy view (view_key, offset, view_numel)
            guard view.count == 3, let off = view[1].asInt, let vn = view[2].asInt, off >= 0, vn >= 0,
                  off <= numel, vn <= numel - off else {
                throw bad("legacy storage view \(view) outside its storage of \(numel)", .invalidOffset, nil)
            }
            ref.viewOffset = off
            ref.numel = vn
        }
        return ref
    }

    var isContiguous: Bool {
        var expected = 1
        for (d, s) in zip(shape, stride).reversed() where d != 1 {
            guard s == expected else { return false }
            expected *= d
        }
        return true
    }

    /// Row-major copy of the elements from the storage's bytes. Non-contiguous tensors (views
    /// torch saved with their strides, e.g. a transpose) are materialised element by element;
    /// state dicts almost never hold them, so clarity wins over speed there.
    func gather(_ storageBytes: UnsafeRawBufferPointer) -> [UInt8] {
        let size = storage.type.elementSize
        let base = (storage.viewOffset + offset) * size
        if isContiguous {
            return Array(UnsafeRawBufferPointer(rebasing: storageBytes[base..<(base + count * size)]))
        }
        var out = [UInt8](repeating: 0, count: count * size)
        var index = [Int](repeating: 0, count: shape.count)
        out.withUnsafeMutableBytes { dst in
            for i in 0..<count {
                var src = 0
                for (k, s) in zip(index, stride) { src += k * s }
                dst.baseAddress!.advanced(by: i * size)
                    .copyMemory(from: storageBytes.baseAddress!.advanced(by: base + src * size), byteCount: size)
                var d = shape.count - 1
                while d >= 0 {
                    index[d] += 1
                    if index[d] < shape[d] { break }
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return out
    }
}
