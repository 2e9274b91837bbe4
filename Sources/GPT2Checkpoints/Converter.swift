#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// What `convert` should produce.
public struct ConvertOptions: Sendable, Equatable {
    /// Element type of the matrices; nil keeps every tensor's source type (lossless).
    public var dtype: ElementType?
    /// Store f32/f16/bf16 tensors with the lossless `byteplanes-zstd` codec.
    public var compress: Bool
    /// Threads for loading, converting and compressing each tensor.
    public var threads: Int

    /// Options: keep source types, no compression, two threads by default.
    public init(dtype: ElementType? = nil, compress: Bool = false, threads: Int = 2) {
        self.dtype = dtype
        self.compress = compress
        self.threads = threads
    }
}

/// One tensor of a conversion plan.
public struct PlannedTensor: Sendable, Equatable {
    /// Canonical tensor name.
    public var name: String
    /// Canonical shape.
    public var shape: [Int]
    /// Element type in the source.
    public var sourceType: ElementType
    /// Element type in the model file.
    public var targetType: ElementType
    /// Bytes read from the source (canonical tensor in its source type).
    public var bytesIn: Int
    /// Bytes decoded in the model file (before any compression).
    public var bytesOut: Int
}

/// The result of a conversion.
public struct ConversionSummary: Sendable {
    /// The model file written.
    public var output: String
    /// The layout converted from.
    public var layout: CheckpointLayout
    /// The tensor table written.
    public var tensors: [ModelTensorInfo]
    /// Bytes read from the source.
    public var bytesIn: Int
    /// Size of the model file in bytes.
    public var fileSize: Int
    /// Wall time of the conversion.
    public var seconds: Double
}

/// Converts any `Checkpoint` into a model file, one tensor at a time: load (source type,
/// canonical layout), convert to the target type in place, write (raw or compressed), drop.
/// Peak memory is about the largest tensor plus a few compression chunks, not the model.
public enum Converter {
    /// What a conversion with `options` would write, tensor by tensor, without reading any data.
    public static func plan(_ checkpoint: any Checkpoint, options: ConvertOptions) -> [PlannedTensor] {
        checkpoint.tensors.map { t in
            let target = ConverterDType.target(shape: t.shape, source: t.type, requested: options.dtype)
            let n = TensorData.elementCount(t.shape) ?? 0
            return PlannedTensor(name: t.name, shape: t.shape, sourceType: t.type, targetType: target,
                                 bytesIn: t.type.byteCount(elements: n) ?? 0, bytesOut: target.byteCount(elements: n) ?? 0)
        }
    }

    /// Writes the model file at `output` (temp file + rename: on any error nothing is left
    /// there). `progress(done, total)` gets source bytes after each tensor.
    @discardableResult
    public static func convert(_ checkpoint: any Checkpoint, to output: String, options: ConvertOptions,
                               progress: ((Int, Int) -> Void)? = nil) throws -> ConversionSummary {
        let start = MonotonicClock.seconds()
        let planned = plan(checkpoint, options: options)
        let total = planned.reduce(0) { $0 + $1.bytesIn }
        // Provenance hashes on another thread while this one converts (both read the source;
        // the page cache serves the second read).
        let hashes = FileHashes(paths: checkpoint.sourceFiles)
        let writer = try ModelFileWriter(path: output, metadata: nil)
        var done = 0
        for p in planned {
            let source = try checkpoint.load(p.name, threads: options.threads)
            guard source.name == p.name, source.shape == p.shape, source.type == p.sourceType,
                  source.bytes.count == p.bytesIn else {
                throw CheckpointError(.shapeMismatch, file: checkpoint.sourceFiles.first ?? output,
                                      "reader gave \(source.name) \(source.type.rawValue) \(source.shape) (\(source.bytes.count) bytes) for \(p.name) \(p.sourceType.rawValue) \(p.shape)",
                                      hint: "a bug in the checkpoint reader; please report it")
            }
            let converted = ConverterDType.convert(consume source, to: p.targetType, threads: options.threads)
            try writer.add(converted, codec: options.compress ? .bytePlanesZstd : .raw, threads: options.threads)
            done += p.bytesIn
            progress?(done, total)
        }
        let files = try hashes.wait()
        let metadata = ModelMetadata(architecture: "gpt2", config: checkpoint.config, vocabulary: checkpoint.vocabulary,
                                     provenance: Provenance(sourceLayout: checkpoint.layout.rawValue, sourceFiles: files,
                                                            tool: ModelMetadata.toolVersion))
        try writer.finish(metadata: metadata)
        return ConversionSummary(output: output, layout: checkpoint.layout, tensors: writer.tensors, bytesIn: total,
                                 fileSize: fileSize(output), seconds: MonotonicClock.seconds() - start)
    }
}

/// SHA-256 of every source file, computed on a background thread.
final class FileHashes: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<[Provenance.SourceFile], Error> = .success([])

    init(paths: [String]) {
        group.enter()
        DispatchQueue.global().async {
            defer { self.group.leave() }
            do {
                self.result = .success(try paths.map { p in
                    Provenance.SourceFile(path: Paths.fileName(of: p), size: fileSize(p),
                                          sha256: try FileSHA256.checkpointHexDigest(ofFile: p))
                })
            } catch {
                self.result = .failure(error)
            }
        }
    }

    func wait() throws -> [Provenance.SourceFile] {
        group.wait()
        return try result.get()
    }
}

/// Size of a file in bytes (0 when it cannot be stat'ed).
func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}
