#if canImport(Glibc)
import Glibc
import GPT2Support
#endif

/// Writes a model file tensor by tensor (FORMAT.md), holding at most one encoded tensor in
/// memory. Everything goes to a hidden temporary file in the output's directory; `finish`
/// writes the tensor table and header, syncs and renames it into place, so a failed or
/// interrupted write never leaves a file at `path`. Not finishing (an error, or dropping the
/// writer) removes the temporary file.
///
/// Layout written: header (placeholder until `finish`), metadata, zero padding to the
/// alignment, payloads each at a multiple of the alignment, the tensor table. When the
/// metadata is only known at the end (e.g. provenance hashes computed while converting), pass
/// nil to `init` and the metadata to `finish`: it then follows the table.
public final class ModelFileWriter {
    /// The final path (written by `finish()`).
    public let path: String
    /// The temporary file written until `finish()` renames it.
    public let temporaryPath: String
    /// Alignment of the tensor payloads in bytes.
    public let alignment: Int
    /// The entries written so far.
    public private(set) var tensors: [ModelTensorInfo] = []
    private var fd: Int32
    /// Block-aligned, double-buffered output (O_DIRECT where possible): StagedFileOutput.swift.
    private var out: StagedFileOutput?
    private var position: Int { out?.position ?? 0 }
    private let metadataBytes: [UInt8]?
    private let dataOffset: Int
    private var names = Set<String>()
    private var finished = false
    /// false writes byteplanes-zstd as codec 1 (format 1.0, no rotation): for the tests that
    /// check old files stay readable.
    var rotatePlanes = true

    /// Starts a model file at a temporary path beside `path`; `metadata` nil defers it to `finish`.
    /// `alignment` must be a power of two in 64...1 MiB.
    public init(path: String, metadata: ModelMetadata?, alignment: Int = 4096) throws(ModelFileError) {
        guard alignment >= 64, alignment <= 1 << 20, alignment & (alignment - 1) == 0 else {
            throw ModelFileError(.invalidArgument, file: path, expected: "a power-of-two alignment in 64...1048576",
                                 found: "\(alignment)", hint: "use the default 4096")
        }
        self.path = path
        self.alignment = alignment
        do {
            (fd, temporaryPath) = try TemporaryFiles.create(beside: path)
        } catch {
            throw ModelFileError(.io, file: path, found: String(cString: strerror(error.errno)),
                                 hint: "cannot create a temporary file in the output directory; check it exists and is writable")
        }
        fchmod(fd, 0o644)
        out = StagedFileOutput(fd: fd, path: path)
        let meta = metadata?.json.serialized()
        metadataBytes = meta
        let metaEnd = FileHeader.size + (meta?.count ?? 0)
        dataOffset = alignUp(metaEnd, alignment)!
        try zeros(FileHeader.size)
        if let meta { try write(meta) }
        try zeros(dataOffset - metaEnd)
    }

    deinit {
        if !finished { cancel() }
    }

    /// Removes the temporary file; the writer cannot be used afterwards.
    public func cancel() {
        guard !finished else { return }
        finished = true
        out?.abandon()
        out = nil
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
        TemporaryFiles.unregister(temporaryPath)
    }

    /// Appends one tensor. `codec` is a request: `.bytePlanesZstd` applies to f32/f16/bf16 only,
    /// other types are stored raw. Returns the table entry written.
    @discardableResult
    public func add(_ tensor: TensorData, codec: TensorCodec = .raw, threads: Int = defaultThreadCount) throws(ModelFileError) -> ModelTensorInfo {
        let r = tensor.bytes.withUnsafeBytes { b in
            Result { () throws(ModelFileError) in
                try add(name: tensor.name, shape: tensor.shape, type: tensor.type, bytes: b, codec: codec, threads: threads)
            }
        }
        return try r.get()
    }

    /// Appends one tensor (`bytes` in canonical layout, little-endian), encoded with `codec` on up
    /// to `threads` threads; returns its table entry.
    @discardableResult
    public func add(name: String, shape: [Int], type: ElementType, bytes: UnsafeRawBufferPointer,
                    codec: TensorCodec = .raw, threads: Int = defaultThreadCount) throws(ModelFileError) -> ModelTensorInfo {
        func invalid(_ expected: String, _ found: String) -> ModelFileError {
            ModelFileError(.invalidArgument, file: path, tensor: name, expected: expected, found: found,
                           hint: "the converter produced an inconsistent tensor (a bug); please report it")
        }
        guard !finished else { throw invalid("an open writer", "finished or cancelled") }
        let nameBytes = name.utf8.count
        guard nameBytes > 0, nameBytes <= ModelTensorInfo.maxNameBytes else {
            throw invalid("a name of 1...\(ModelTensorInfo.maxNameBytes) bytes", "\(nameBytes)")
        }
        guard shape.count <= ModelTensorInfo.maxDims else { throw invalid("at most 8 dimensions", "\(shape.count)") }
        guard let n = TensorData.elementCount(shape), let raw = type.byteCount(elements: n), raw == bytes.count else {
            throw invalid("\(type.rawValue) bytes for shape \(shape)", "\(bytes.count) bytes")
        }
        guard !names.contains(name) else { throw invalid("a new name", "'\(name)' already written") }
        let offset = alignUp(position, alignment)!
        try zeros(offset - position)
        var checksum: UInt32? = nil        // the codec's when it ran (computed by its threads)
        var used = TensorCodec.raw
        var stored = raw
        if codec == .bytePlanesZstd, let width = type.floatWidth, raw > 0 {
            // Streamed: header placeholder, planes as chunks finish, then the real header.
            let elements = raw / width
            try zeros(BytePlanesCodec.headerSize(elements: elements, width: width))
            let coded = try BytePlanesCodec.encode(bytes, width: width, rotate: rotatePlanes,
                                                   threads: threads) { (piece) throws(ModelFileError) in
                try write(piece)
            }
            checksum = coded.checksum
            if position - offset < raw {
                let h = BytePlanesCodec.header(chunkElements: BytePlanesCodec.defaultChunkElements, sizes: coded.sizes, width: width)
                try pwriteAll(h, at: offset)
                used = .bytePlanesZstd
                stored = position - offset
            } else {
                // Compression that does not pay (e.g. random weights) stays raw: zero-copy wins.
                try guarded { () throws(ModelFileError) in try out!.truncate(to: offset) }
            }
        }
        if used == .raw { try write(bytes) }
        var info = ModelTensorInfo(name: name, shape: shape, type: type, codec: used, offset: offset,
                                   storedSize: stored, rawSize: raw, checksum: checksum ?? CRC32C.checksum(bytes))
        info.rotatedPlanes = rotatePlanes
        tensors.append(info)
        names.insert(name)
        return info
    }

    /// Writes the table (and the metadata if it was not given to `init`) and the header, syncs,
    /// and renames the file into place.
    public func finish(metadata late: ModelMetadata? = nil) throws(ModelFileError) {
        guard !finished else {
            throw ModelFileError(.invalidArgument, file: path, expected: "an open writer", found: "finished or cancelled",
                                 hint: "call finish once")
        }
        guard (metadataBytes == nil) != (late == nil) else {
            let e = ModelFileError(.invalidArgument, file: path, expected: "metadata given either to init or to finish",
                                   found: late == nil ? "neither" : "both", hint: "a bug in the caller")
            cancel()
            throw e
        }
        do throws(ModelFileError) {
            let dataEnd = max(position, dataOffset)
            var table: [UInt8] = []
            for t in tensors { table += t.encoded() }
            try write(table)
            var h = FileHeader()
            let meta: [UInt8]
            if let late {
                meta = late.json.serialized()
                h.metadataOffset = UInt64(position)
                try write(meta)
            } else {
                meta = metadataBytes!
                h.metadataOffset = UInt64(FileHeader.size)
            }
            h.alignment = UInt32(alignment)
            h.tensorCount = UInt32(tensors.count)
            h.metadataSize = UInt64(meta.count)
            h.dataOffset = UInt64(dataOffset)
            h.dataSize = UInt64(dataEnd - dataOffset)
            h.tableOffset = UInt64(dataEnd)
            h.tableSize = UInt64(table.count)
            h.fileSize = UInt64(position)
            var crc = CRC32C()
            h.encoded(withCRC: false).withUnsafeBytes { crc.update($0) }
            meta.withUnsafeBytes { crc.update($0) }
            table.withUnsafeBytes { crc.update($0) }
            h.crc = crc.value
            try pwriteAll(h.encoded(), at: 0)
            try out!.finish()
            out = nil
            guard close(fd) == 0 else { fd = -1; throw ioError("closing") }
            fd = -1
            guard rename(temporaryPath, path) == 0 else { throw ioError("renaming to the output path") }
            finished = true
            TemporaryFiles.unregister(temporaryPath)
        } catch {
            cancel()
            throw error
        }
    }

    private func ioError(_ what: String) -> ModelFileError {
        ModelFileError(.io, file: path, offset: position, expected: "success \(what)", found: String(cString: strerror(errno)),
                       hint: "check free disk space and permissions of the output directory")
    }

    private func pwriteAll(_ bytes: [UInt8], at offset: Int) throws(ModelFileError) {
        try guarded { () throws(ModelFileError) in try out!.patch(bytes, at: offset) }
    }

    private func zeros(_ n: Int) throws(ModelFileError) {
        try guarded { () throws(ModelFileError) in try out!.appendZeros(n) }
    }

    /// Runs an output step; a failure cancels the writer (removes the temporary file).
    private func guarded(_ step: () throws(ModelFileError) -> Void) throws(ModelFileError) {
        do throws(ModelFileError) { try step() } catch { cancel(); throw error }
    }

    private func write(_ bytes: [UInt8]) throws(ModelFileError) {
        let r = bytes.withUnsafeBytes { b in Result { () throws(ModelFileError) in try write(b) } }
        try r.get()
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(ModelFileError) {
        try guarded { () throws(ModelFileError) in try out!.append(bytes) }
    }
}
