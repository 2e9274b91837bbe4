#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import GPT2Support
import GPT2Tokenizer

/// A tensor's decoded bytes, valid only inside the `withTensor` call that provides it.
public struct TensorView {
    /// The tensor's table entry.
    public let info: ModelTensorInfo
    /// Little-endian, row-major, `info.rawSize` bytes.
    public let bytes: UnsafeRawBufferPointer
    /// True when `bytes` points into the file mapping (raw codec), false when decoded.
    public let isMapped: Bool
}

/// An opened model file (FORMAT.md). Owns the read-only shared mapping of the file and the
/// memory of decoded tensors; both are released in deinit.
///
/// `init` validates header, metadata and the whole tensor table before any payload is touched
/// (`FileLayout.parse`). Raw tensors are then used in place: the kernel pages them in on first
/// touch and they count as shared, reclaimable page cache, not as private RSS. Compressed tensors
/// are decoded on first use (or all at once by `decodeAll`, on both cores) into private memory,
/// checksummed while decoding, and kept until the file is closed.
public final class ModelFile: @unchecked Sendable {
    /// The path as given to `init`.
    public let path: String
    /// The metadata in typed form.
    public let metadata: ModelMetadata
    /// The metadata document as stored (keys the typed form does not know included).
    public var metadataJSON: JSON {
        guard metadataTokensRead else { return parsedJSON }
        // Opening read the token list on the side (MetadataTokenList): parse it all now.
        let r = metadataRange
        return (try? mapping.withUnsafeBytes { b in try FileLayout.parseJSON(UnsafeRawBufferPointer(rebasing: b[r])) }) ?? parsedJSON
    }
    private let parsedJSON: JSON
    private let metadataTokensRead: Bool
    private let metadataRange: Range<Int>
    /// GPT-2 hyperparameters; nil for a file of another architecture (the container stores any
    /// tensors; consumers such as the runtime check `metadata.architecture` themselves).
    public let config: GPT2Config?
    /// The embedded tokenizer, if the file has one.
    public var vocabulary: Vocabulary? { metadata.vocabulary }
    /// The tensor table, in file order.
    public let tensors: [ModelTensorInfo]
    /// The format version the file was written in.
    public let version: (major: Int, minor: Int)
    /// Alignment of the tensor payloads in bytes.
    public let alignment: Int
    /// Size of the file in bytes.
    public let fileSize: Int

    /// The file's mapping; every `bytes(_:)` region is valid while this object lives.
    private let mapping: MappedFile
    private let index: [String: Int]
    /// Decoded compressed tensors by table index (anonymous mappings, munmapped in deinit).
    private let decoded = Mutex<[Int: UncheckedSendable<UnsafeMutableRawBufferPointer>]>([:])
    /// One mapping per `decodeAll` holding its small tensors side by side (their `decoded`
    /// entries point into it and are not unmapped on their own).
    private let arenas = Mutex<[UncheckedSendable<UnsafeMutableRawBufferPointer>]>([])

    /// Opens and validates `path`: any architecture; a `gpt2` file must carry its hyperparameters.
    public init(path: String) throws(ModelFileError) {
        self.path = path
        let mapping: MappedFile
        do {
            mapping = try MappedFile(path: path)
        } catch {
            switch error.step {
            case .open:
                throw ModelFileError(.io, file: path, found: error.reason, hint: "check the path and its permissions")
            case .stat:
                throw ModelFileError(.io, file: path, found: error.reason, hint: "cannot stat the file")
            case .notRegularFile:
                throw ModelFileError(.io, file: path, expected: "a regular file", found: "a directory or device",
                                     hint: "pass the model file itself; `gpt2kit convert` writes one")
            case .map:
                throw ModelFileError(.io, file: path, found: error.reason, hint: "mmap failed")
            }
        }
        let size = mapping.count
        guard size >= FileHeader.size else {
            throw ModelFileError(.truncated, file: path, offset: size, expected: "at least \(FileHeader.size) bytes",
                                 found: "\(size) bytes", hint: "not a model file, or cut short; convert it again")
        }
        let layout = try mapping.withUnsafeBytes { bytes throws(ModelFileError) in try FileLayout.parse(bytes, file: path) }
        let meta = try ModelMetadata(json: layout.metadata, tokens: layout.metadataTokens, file: path,
                                     at: Int(layout.header.metadataOffset))
        let config = meta.architecture == "gpt2" ? meta.config : nil
        if meta.architecture == "gpt2" && config == nil {
            throw ModelFileError(.badMetadata, file: path, offset: Int(layout.header.metadataOffset),
                                 expected: "the \"gpt2\" hyperparameters object", found: "none",
                                 hint: "a gpt2 model file needs n_layer, n_head, ... (FORMAT.md)")
        }
        if meta.architecture == BigramLayout.architecture {
            try BigramLayout.validate(meta, tensors: layout.tensors, file: path,
                                      metadataOffset: Int(layout.header.metadataOffset))
        }
        self.mapping = mapping
        fileSize = size
        metadata = meta
        parsedJSON = layout.metadata
        metadataTokensRead = layout.metadataTokens != nil
        metadataRange = Int(layout.header.metadataOffset)..<Int(layout.header.metadataOffset + layout.header.metadataSize)
        self.config = config
        tensors = layout.tensors
        version = (Int(layout.header.major), Int(layout.header.minor))
        alignment = Int(layout.header.alignment)
        var idx: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { idx[t.name] = i }
        index = idx
    }

    deinit {
        let owned = arenas.withLock { $0.map(\.value) }
        decoded.withLock { d in
            for (_, b) in d where !owned.contains(where: { Self.contains($0, b.value) }) {
                munmap(b.value.baseAddress, max(b.value.count, 1))
            }
        }
        for a in owned { munmap(a.baseAddress, a.count) }
    }

    private static func contains(_ arena: UnsafeMutableRawBufferPointer, _ b: UnsafeMutableRawBufferPointer) -> Bool {
        guard let a = arena.baseAddress, let p = b.baseAddress else { return false }
        return p >= a && p < a + arena.count
    }

    /// `count` bytes of the mapping at `offset` (ranges from the validated tensor table); valid
    /// while `self` lives, since `self` owns the mapping.
    private func bytes(_ offset: Int, _ count: Int) -> UnsafeRawBufferPointer {
        mapping.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)]) }
    }

    /// Whether `path` is a regular file starting with the model file magic (cheap: reads 8 bytes).
    public static func hasMagic(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var b = [UInt8](repeating: 0, count: 8)
        let n = b.withUnsafeMutableBytes { read(fd, $0.baseAddress, 8) }
        return n == 8 && b == FileHeader.magic
    }

    /// The table entry of the tensor called `name`, if there is one.
    public func info(_ name: String) -> ModelTensorInfo? { index[name].map { tensors[$0] } }

    /// Calls `body` with the tensor's decoded bytes: the mapping itself for raw tensors, memory
    /// owned by this file for compressed ones (decoded and checksummed on first use).
    public func withTensor<R>(_ name: String, _ body: (TensorView) throws -> R) throws -> R {
        guard let i = index[name] else {
            throw ModelFileError(.missingTensor, file: path, tensor: name, expected: "a tensor named '\(name)'",
                                 found: "\(tensors.count) other tensors", hint: "`gpt2kit inspect` lists the tensors")
        }
        let t = tensors[i]
        if t.codec == .raw {
            return try body(TensorView(info: t, bytes: bytes(t.offset, t.rawSize),
                                       isMapped: true))
        }
        let buf = try decodedBuffer(i, threads: defaultThreadCount)
        return try body(TensorView(info: t, bytes: UnsafeRawBufferPointer(buf), isMapped: false))
    }

    /// A copy of the tensor's decoded bytes.
    public func tensorData(_ name: String) throws -> TensorData {
        try withTensor(name) { v in TensorData(name: v.info.name, shape: v.info.shape, type: v.info.type, bytes: Array(v.bytes)) }
    }

    /// Decodes every compressed tensor now, so later `withTensor` calls never decode. Tensors of
    /// at least 2 chunks per thread are decoded one after the other with their chunks across
    /// `threads`; the smaller ones are split across threads, each single-threaded. (Splitting
    /// only by tensor left one core alone with MiniLM's embedding, 45 % of its bytes.)
    public func decodeAll(threads: Int = defaultThreadCount) throws(ModelFileError) {
        let compressed = tensors.indices.filter { tensors[$0].codec != .raw }
        let big = compressed.filter { tensors[$0].elementCount >= 2 * threads * BytePlanesCodec.defaultChunkElements }
        for i in big { _ = try decodedBuffer(i, threads: threads) }
        let done = decoded.withLock { Set($0.keys) }
        let todo = compressed.filter {
            tensors[$0].elementCount < 2 * threads * BytePlanesCodec.defaultChunkElements && !done.contains($0)
        }
        // The small tensors share one mapping: a mapping each cost a third of the decode time of
        // the 0.8M-parameter char-level GPT (perf: mmap, page faults, munmap for 52 tensors).
        // Every chunk table is checked first, so a hostile table costs no memory.
        var slots = [Int](repeating: 0, count: todo.count)
        var total = 0
        for (j, i) in todo.enumerated() {
            try validateLayout(i)
            slots[j] = total
            guard let next = checkedAdd(total, (tensors[i].rawSize + 63) & ~63) else {
                throw ModelFileError(.io, file: path, tensor: tensors[i].name, expected: "decoded sizes that fit in memory",
                                     found: "more than \(Int.max) bytes", hint: "the tensor table is damaged")
            }
            total = next
        }
        guard total > 0 else { return }
        let arena = try allocateDecoded(bytes: total, tensor: tensors[todo[0]].name)
        arenas.withLock { $0.append(UncheckedSendable(arena)) }
        var failures = [ModelFileError?](repeating: nil, count: todo.count)
        failures.withUnsafeMutableBufferPointer { f in
            let fp = UncheckedSendable(f)
            parallelFor(count: todo.count, threads: threads) { _, j in
                let slot = UnsafeMutableRawBufferPointer(rebasing: arena[slots[j]..<(slots[j] + self.tensors[todo[j]].rawSize)])
                do throws(ModelFileError) { _ = try self.decodedBuffer(todo[j], threads: 1, into: slot) } catch { fp.value[j] = error }
            }
        }
        if let e = failures.lazy.compactMap({ $0 }).first { throw e }
    }

    /// Checks the CRC32C of one tensor's decoded bytes (reads every page of a raw tensor).
    public func verify(_ name: String) throws {
        guard let i = index[name] else { _ = try withTensor(name) { _ in }; return }
        try verify(index: i, threads: defaultThreadCount)
    }

    /// Checks every tensor's checksum, tensors split across `threads`.
    public func verifyAll(threads: Int = defaultThreadCount) throws(ModelFileError) {
        var failures = [ModelFileError?](repeating: nil, count: tensors.count)
        failures.withUnsafeMutableBufferPointer { f in
            let fp = UncheckedSendable(f)
            parallelFor(count: tensors.count, threads: threads) { _, i in
                do throws(ModelFileError) { try self.verify(index: i, threads: 1) } catch { fp.value[i] = error }
            }
        }
        if let e = failures.lazy.compactMap({ $0 }).first { throw e }
    }

    private func verify(index i: Int, threads: Int) throws(ModelFileError) {
        let t = tensors[i]
        // Compressed tensors are checksummed as they decode; decoding is the verification.
        guard t.codec == .raw else { _ = try decodedBuffer(i, threads: threads); return }
        let crc = CRC32C.checksum(bytes(t.offset, t.rawSize))
        guard crc == t.checksum else { throw checksumError(t, crc) }
    }

    private func checksumError(_ t: ModelTensorInfo, _ crc: UInt32) -> ModelFileError {
        ModelFileError(.checksumMismatch, file: path, offset: t.offset, tensor: t.name, expected: "CRC32C \(hex(t.checksum))",
                       found: hex(crc), hint: "the tensor's bytes are corrupt (disk or copy error); convert the model again")
    }

    /// Checks a compressed tensor's chunk table (no decoding, no allocation).
    private func validateLayout(_ i: Int) throws(ModelFileError) {
        let t = tensors[i]
        do {
            _ = try BytePlanesCodec.layout(bytes(t.offset, t.storedSize), width: t.type.floatWidth ?? 0, elements: t.elementCount)
        } catch {
            throw ModelFileError(.corruptPayload, file: path, offset: t.offset + error.offset, tensor: t.name,
                                 expected: error.expected, found: error.found,
                                 hint: "the compressed tensor is damaged; convert the model again")
        }
    }

    /// The decoded tensor `i`, decoding it first into `slot` (memory of an arena, kept on
    /// failure) or into a mapping of its own.
    private func decodedBuffer(_ i: Int, threads: Int, into slot: UnsafeMutableRawBufferPointer? = nil) throws(ModelFileError) -> UnsafeMutableRawBufferPointer {
        if let b = decoded.withLock({ $0[i] }) { return b.value }
        let t = tensors[i]
        let payload = bytes(t.offset, t.storedSize)
        // Validate the chunk table before allocating: a hostile shape must not cost memory.
        try validateLayout(i)
        let out: UnsafeMutableRawBufferPointer
        if let slot { out = slot } else { out = try allocateDecoded(bytes: t.rawSize, tensor: t.name) }
        let release = { (b: UnsafeMutableRawBufferPointer) in if slot == nil { munmap(b.baseAddress, max(b.count, 1)) } }
        do {
            let crc = try BytePlanesCodec.decode(payload, width: t.type.floatWidth ?? 0, elements: t.elementCount,
                                                 rotate: t.rotatedPlanes,
                                                 into: out, threads: threads)
            guard crc == t.checksum else { throw checksumError(t, crc) }
        } catch let e as BytePlanesCodec.DecodeError {
            release(out)
            throw ModelFileError(.corruptPayload, file: path, offset: t.offset + e.offset, tensor: t.name,
                                 expected: e.expected, found: e.found,
                                 hint: "the compressed tensor is damaged; convert the model again")
        } catch let e as ModelFileError {
            release(out)
            throw e
        } catch {
            release(out)
            throw ModelFileError(.corruptPayload, file: path, offset: t.offset, tensor: t.name, found: "\(error)", hint: "")
        }
        // Another thread may have decoded the same tensor meanwhile: keep one.
        let mine = UncheckedSendable(out)
        return decoded.withLock { d in
            if let other = d[i] { release(mine.value); return other }
            d[i] = mine
            return mine
        }.value
    }

    /// Anonymous private memory for a decoded tensor; transparent huge pages roughly double
    /// the speed of writing it (MEASURED.md: 1.8 vs 0.8–1.2 GB/s).
    private func allocateDecoded(bytes: Int, tensor: String) throws(ModelFileError) -> UnsafeMutableRawBufferPointer {
        let n = max(bytes, 1)
        // Below a huge page, MAP_POPULATE maps and zeroes every page in one call: decoding wrote
        // them one 4 KiB fault at a time, which was a third of the decode time of a small model
        // (perf, the 0.8M-parameter char-level GPT). Larger buffers get huge pages first.
        let populate = n < 2 << 20 ? MAP_POPULATE : 0
        guard let p = mmap(nil, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | populate, -1, 0), p != MAP_FAILED else {
            throw ModelFileError(.io, file: path, tensor: tensor, expected: "\(bytes) bytes of memory",
                                 found: String(cString: strerror(errno)), hint: "not enough memory to decode the tensor")
        }
        if n >= 2 << 20 { madvise(p, n, MADV_HUGEPAGE) }
        return UnsafeMutableRawBufferPointer(start: p, count: bytes)
    }
}
