import GPT2Support
import GPT2ModelFile

/// One `.safetensors` file, header validated.
///
/// Layout (https://github.com/huggingface/safetensors README): u64 little-endian header length
/// N; N bytes of UTF-8 JSON `{name: {"dtype", "shape", "data_offsets": [begin, end]}, ...,
/// "__metadata__": {str: str}}`; then the data area, offsets relative to its start. Like the
/// reference implementation we require the ranges to tile the data area exactly: no overlap, no
/// hole, nothing after the last tensor.
struct SafetensorsFile: @unchecked Sendable {
    struct Entry: Sendable, Equatable {
        var name: String
        /// The dtype string as stored (`F32`, `BOOL`, ...).
        var dtype: String
        /// Its GPT2Kit element type, nil for dtypes only buffers use (BOOL, integers, F64...):
        /// those are validated like any tensor but cannot be a weight.
        var type: ElementType?
        var shape: [Int]
        /// Absolute byte range in the file.
        var range: Range<Int>
    }

    /// Bytes per element of every whole-byte dtype of the safetensors spec (sub-byte F4/F6
    /// types are refused).
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
        "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
        "U32": 4, "I32": 4, "F32": 4,
        "U64": 8, "I64": 8, "F64": 8,
    ]

    /// The reference implementation's cap on the header (100 MB); a 124M GPT-2 needs ~15 KB.
    static let maxHeaderSize = 100_000_000

    let file: MappedFile
    /// Entries in data order.
    let entries: [Entry]
    let metadata: [String: String]

    init(path: String) throws {
        try self.init(file: MappedFile.checkpoint(path))
    }

    init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        var r = file.reader()
        let n = try r.u64AsInt("header length")
        guard n <= Self.maxHeaderSize else {
            throw CheckpointError(.headerTooLarge, file: path, offset: 0,
                                  "header length \(n) exceeds the \(Self.maxHeaderSize)-byte cap",
                                  hint: "not a safetensors file, or its first 8 bytes are corrupt")
        }
        guard n <= r.remaining else {
            throw CheckpointError(.headerTooLarge, file: path, offset: 0,
                                  "header length \(n) but only \(r.remaining) bytes follow",
                                  hint: "the file is truncated or not safetensors")
        }
        let dataStart = 8 + n
        let json = try r.withBytes(n, "header") { try JSON.parse($0, file: path, origin: 8) }
        guard let pairs = json.objectValue else {
            throw CheckpointError(.badJSON, file: path, offset: 8, "header is not a JSON object")
        }
        let dataSize = file.count - dataStart
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        for (name, value) in pairs {
            if name == "__metadata__" {
                guard let m = value.objectValue else {
                    throw CheckpointError(.badJSON, file: path, offset: 8, "__metadata__ is not an object")
                }
                for (k, v) in m {
                    guard let s = v.stringValue else {
                        throw CheckpointError(.badJSON, file: path, offset: 8, "__metadata__.\(k) is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries.append(try Self.entry(name, value, path: path, dataStart: dataStart, dataSize: dataSize))
        }
        entries.sort { $0.range.lowerBound < $1.range.lowerBound }
        var end = dataStart
        for e in entries {
            if e.range.lowerBound < end {
                throw CheckpointError(.overlappingData, file: path, offset: e.range.lowerBound,
                                      "\(e.name) starts at data offset \(e.range.lowerBound - dataStart), inside the previous tensor (ends at \(end - dataStart))",
                                      hint: "tensor byte ranges must not overlap")
            }
            if e.range.lowerBound > end {
                throw CheckpointError(.invalidOffset, file: path, offset: end,
                                      "hole of \(e.range.lowerBound - end) bytes before \(e.name)",
                                      hint: "tensor byte ranges must be contiguous")
            }
            end = e.range.upperBound
        }
        if end != file.count {
            throw CheckpointError(.invalidOffset, file: path, offset: end,
                                  "\(file.count - end) bytes after the last tensor",
                                  hint: "the data area must end with the last tensor")
        }
        self.entries = entries
        self.metadata = metadata
    }

    private static func entry(_ name: String, _ v: JSON, path: String, dataStart: Int,
                              dataSize: Int) throws -> Entry {
        func bad(_ kind: CheckpointError.Kind, _ msg: String, hint: String? = nil) -> CheckpointError {
            CheckpointError(kind, file: path, offset: 8, "\(name): \(msg)", hint: hint)
        }
        guard v.objectValue != nil else { throw bad(.badJSON, "entry is not an object") }
        guard let dtype = v["dtype"]?.stringValue else { throw bad(.badJSON, "missing dtype") }
        guard let elementSize = dtypeSizes[dtype] else {
            throw bad(.unsupportedDType, "dtype \(dtype) is not a safetensors dtype GPT2Kit knows",
                      hint: "weights must be F32, F16 or BF16")
        }
        guard let dims = v["shape"]?.arrayValue else { throw bad(.badJSON, "missing shape") }
        var shape: [Int] = []
        for d in dims {
            guard let i = d.intValue, i >= 0 else { throw bad(.shapeMismatch, "shape \(dims) has a bad dimension") }
            shape.append(i)
        }
        guard let offs = v["data_offsets"]?.arrayValue, offs.count == 2,
              let begin = offs[0].intValue, let end = offs[1].intValue else {
            throw bad(.badJSON, "data_offsets must be [begin, end]")
        }
        guard begin >= 0, begin <= end else {
            throw bad(.invalidOffset, "data_offsets [\(begin), \(end)] are not an ascending range")
        }
        guard end <= dataSize else {
            throw bad(.invalidOffset, "data_offsets end \(end) past the data area (\(dataSize) bytes)",
                      hint: "the file is truncated or its header is corrupt")
        }
        guard let count = TensorData.elementCount(shape),
              case let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize), !overflow else {
            throw bad(.shapeMismatch, "shape \(shape) overflows")
        }
        guard bytes == end - begin else {
            throw bad(.shapeMismatch, "shape \(shape) of \(dtype) needs \(bytes) bytes, data_offsets hold \(end - begin)")
        }
        return Entry(name: name, dtype: dtype, type: TensorTransforms.elementType(dtype: dtype), shape: shape,
                     range: (dataStart + begin)..<(dataStart + end))
    }
}
