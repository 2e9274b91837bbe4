import GPT2Support
import GPT2ModelFile

/// Where one canonical tensor's bytes are in a mapped source file, and how to make them
/// canonical. Readers build one per canonical tensor after validating every size, so `load`
/// only copies (and maybe transposes) bytes already known to be in range.
struct TensorSource: @unchecked Sendable {
    enum Transform: Sendable, Equatable {
        /// Bytes are already canonical.
        case none
        /// Stored `[rows, cols]` (Conv1D / TF `[in, out]`); canonical is `[cols, rows]`.
        case transpose(rows: Int, cols: Int)
        /// Stored with padding rows; keep the first `rows` (of `cols` columns each).
        case leadingRows(rows: Int, cols: Int)
    }

    var info: CanonicalTensorInfo
    var file: MappedFile
    /// Byte range in `file` holding the stored tensor.
    var range: Range<Int>
    var transform: Transform
    /// Checked before the bytes are used (TF's masked crc32c), when the format stores one.
    var verify: (@Sendable (UnsafeRawBufferPointer) throws -> Void)?

    init(info: CanonicalTensorInfo, file: MappedFile, range: Range<Int>,
                transform: Transform = .none,
                verify: (@Sendable (UnsafeRawBufferPointer) throws -> Void)? = nil) {
        self.info = info
        self.file = file
        self.range = range
        self.transform = transform
        self.verify = verify
    }

    /// The canonical tensor's bytes (a copy; the mapping stays lazily paged). `threads` split
    /// a transposition.
    func load(threads: Int = 1) throws -> TensorData {
        var r = try file.reader().slice(range: range)
        let size = TensorTransforms.elementSize(info.type) ?? 1
        let bytes: [UInt8] = try r.withBytes(range.count, "tensor \(info.name)") { raw in
            try verify?(raw)
            switch transform {
            case .none:
                // Copied 16 MiB at a time, each piece's source pages released right after, so
                // a 154 MB embedding never has its mapped pages and its copy resident at once.
                let piece = 1 << 24
                return [UInt8](unsafeUninitializedCapacity: raw.count) { out, n in
                    var o = 0
                    while o < raw.count {
                        let m = min(piece, raw.count - o)
                        UnsafeMutableRawPointer(out.baseAddress! + o).copyMemory(from: raw.baseAddress! + o, byteCount: m)
                        file.releasePages((range.lowerBound + o)..<(range.lowerBound + o + m))
                        o += m
                    }
                    n = raw.count
                }
            case let .transpose(rows, cols):
                return TensorTransforms.transpose2D(raw, rows: rows, cols: cols, elementSize: size, threads: threads)
            case let .leadingRows(rows, cols):
                return TensorTransforms.leadingRows(raw, keep: rows, cols: cols, elementSize: size)
            }
        }
        // The copy is all the caller needs: let the mapped source pages go (see releasePages).
        file.releasePages(range)
        return TensorData(name: info.name, shape: info.shape, type: info.type, bytes: bytes)
    }
}

/// Canonical tensors of a checkpoint in file order, by name.
struct TensorTable: @unchecked Sendable {
    private(set) var sources: [TensorSource] = []
    private var index: [String: Int] = [:]
    /// File named in "missing tensor" errors.
    let file: String

    /// Orders `byName` as `TensorName.gpt2Tensors(config)` and checks that every expected tensor
    /// is there with its canonical shape and nothing else is.
    init(config: GPT2Config, byName: [String: TensorSource], file: String,
                sourceName: (String) -> String = { $0 }) throws {
        self.file = file
        let expected = TensorName.gpt2Tensors(config)
        for (name, shape) in expected {
            guard let s = byName[name] else {
                throw CheckpointError(.missingTensor, file: file, "tensor \(sourceName(name)) (\(name)) is missing",
                                      hint: config.bias ? "is this a GPT-2 checkpoint with all its tensors?" : nil)
            }
            guard s.info.shape == shape else {
                throw CheckpointError(.shapeMismatch, file: s.file.path, offset: s.range.lowerBound,
                                      "\(sourceName(name)): canonical shape \(s.info.shape), config implies \(shape)",
                                      hint: "config and weights disagree")
            }
            index[name] = sources.count
            sources.append(s)
        }
        if byName.count != expected.count {
            let extra = Set(byName.keys).subtracting(expected.map(\.name)).sorted()
            throw CheckpointError(.unknownTensor, file: file,
                                  "tensors not expected by the config: \(extra.prefix(5).map(sourceName).joined(separator: ", "))",
                                  hint: "config (bias, n_layer) and weights disagree")
        }
    }

    var infos: [CanonicalTensorInfo] { sources.map(\.info) }

    func load(_ name: String, threads: Int = 1) throws -> TensorData {
        guard let i = index[name] else {
            throw CheckpointError(.missingTensor, file: file, "no canonical tensor named \(name)",
                                  hint: "names are listed by `tensors` (e.g. h.0.attn.qkv.weight)")
        }
        return try sources[i].load(threads: threads)
    }
}
