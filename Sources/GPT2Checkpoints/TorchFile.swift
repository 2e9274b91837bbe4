import GPT2Support
/// A file written by `torch.save`, opened without running Python: the pickled object as a
/// `PickleValue` tree, and where each storage's bytes are in the mapping.
///
/// Two layouts (PyTorch `torch/serialization.py`):
/// - zip (PyTorch ≥ 1.6, the default): `<archive>/data.pkl` (the pickle), `<archive>/data/<key>`
///   (raw little-endian storages, 64-byte aligned), `<archive>/byteorder`, `<archive>/version`.
///   The archive folder is named after the file when it was saved (`archive`, `pytorch_model`,
///   `ckpt`…), so it is found as the folder holding `data.pkl`. See `ZipArchive`.
/// - legacy (before 1.6, or `_use_new_zipfile_serialization=False`): see `TorchLegacyFile`.
///
/// The pickle is read by `PickleReader` with `TorchFile.policy`: only the globals a state dict
/// or a training checkpoint dict uses. Storages are referenced by persistent ids
/// `('storage', torch.FloatStorage, key, location, numel)`.
struct TorchFile {
    enum Format: Equatable {
        case zip(archive: String)
        case legacy
    }

    let file: MappedFile
    let format: Format
    let root: PickleValue
    /// Byte range in `file` of each storage, by key.
    let storages: [String: Range<Int>]
    /// CRC-32 of each storage member (zip layout only; the legacy layout has none).
    var storageCRC: [String: UInt32] = [:]

    var path: String { file.path }

    /// Globals a torch checkpoint may name. Everything else (`os.system`, `builtins.eval`, a
    /// pickled `nn.Module` class…) is refused by name. numpy scalars and dtypes, which some
    /// training scripts leave in checkpoint dicts (e.g. a best loss as `numpy.float64`), are
    /// accepted as inert records: nothing reads them, and they are never constructed.
    static let policy: PickleReader.Policy = {
        var g: Set<PickleGlobal> = [
            PickleReader.orderedDict, PickleReader.codecsEncode,
            TorchTensorRef.rebuildV2, TorchTensorRef.rebuildV1,
            TorchTensorRef.rebuildParameter, TorchTensorRef.rebuildParameterWithState,
            PickleGlobal("torch", "device"), PickleGlobal("torch", "Size"),
            PickleGlobal("numpy.core.multiarray", "scalar"), PickleGlobal("numpy._core.multiarray", "scalar"),
            PickleGlobal("numpy", "dtype"),
        ]
        g.formUnion(PickleReader.setConstructors)
        for t in TorchStorageType.allCases { g.insert(PickleGlobal("torch", t.rawValue)) }
        for d in ["float32", "float16", "bfloat16", "float64", "int64", "int32", "bool", "uint8"] {
            g.insert(PickleGlobal("torch", d))
        }
        return PickleReader.Policy(allowedGlobals: g)
    }()

    init(path: String) throws {
        try self.init(file: MappedFile.checkpoint(path))
    }

    /// A file whose pickle was parsed elsewhere (tests feed mutated pickles this way).
    init(file: MappedFile, format: Format, root: PickleValue, storages: [String: Range<Int>]) {
        self.file = file
        self.format = format
        self.root = root
        self.storages = storages
    }

    init(file: MappedFile) throws {
        self.file = file
        if ZipArchive.hasMagic(file) {
            let zip = try ZipArchive(file: file)
            guard let pkl = zip.entries.first(where: { Self.isArchivePickle($0.name) }) else {
                throw CheckpointError(.corrupt, file: file.path, "zip archive has no <archive>/data.pkl",
                                      hint: "not a torch.save file (a TorchScript archive or another zip?)")
            }
            let archive = String(pkl.name.dropLast("/data.pkl".count))
            if let bo = zip.entry(archive + "/byteorder") {
                let order = String(decoding: try zip.read(bo), as: UTF8.self)
                guard order == "little" else {
                    throw CheckpointError(.unsupported, file: file.path, offset: bo.range.lowerBound,
                                          "storages are \(order)-endian", hint: "re-save the checkpoint on a little-endian machine")
                }
            }
            let bytes = try zip.read(pkl)
            root = try Self.unpickle(file.path) {
                try bytes.withUnsafeBytes { try PickleReader.read($0, baseOffset: pkl.range.lowerBound, policy: Self.policy).value }
            }
            var storages: [String: Range<Int>] = [:]
            let prefix = archive + "/data/"
            for e in zip.entries where e.name.hasPrefix(prefix) {
                storages[String(e.name.dropFirst(prefix.count))] = e.range
                storageCRC[String(e.name.dropFirst(prefix.count))] = e.crc32
            }
            self.storages = storages
            format = .zip(archive: archive)
        } else {
            let legacy = try TorchLegacyFile(file: file)
            root = legacy.root
            storages = legacy.storages
            format = .legacy
        }
    }

    /// `<folder>/data.pkl` at the top level of the archive.
    private static func isArchivePickle(_ name: String) -> Bool {
        guard name.hasSuffix("/data.pkl") else { return false }
        return !name.dropLast("/data.pkl".count).contains("/")
    }

    /// Runs a pickle read, naming the file in its error.
    static func unpickle<R>(_ path: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch var e as PickleError {
            e.file = path
            throw e
        }
    }

    /// A tensor record of the pickle, checked against the bytes its storage really has.
    func tensor(_ v: PickleValue, name: String) throws -> TorchTensorRef {
        let t = try TorchTensorRef.parse(v, name: name, file: path)
        try check(t, name: name)
        return t
    }

    private func check(_ t: TorchTensorRef, name: String) throws {
        guard let range = storages[t.storage.key] else {
            throw CheckpointError(.missingTensor, file: path, "tensor \(name): storage \(t.storage.key) is not in the file",
                                  hint: "the file is truncated or its directory is damaged")
        }
        // (view offset + index past the last element) · element size ≤ stored bytes,
        // overflow-checked; an empty tensor's offset must still lie inside the storage.
        let size = t.storage.type.elementSize
        let endIndex = t.count == 0 ? t.offset : t.offset + zip(t.shape, t.stride).reduce(0) { $0 + ($1.0 - 1) * $1.1 } + 1
        let (elems, o1) = t.storage.viewOffset.addingReportingOverflow(endIndex)
        let (needed, o2) = elems.multipliedReportingOverflow(by: size)
        guard !o1, !o2, needed <= range.count else {
            throw CheckpointError(.invalidOffset, file: path, offset: range.lowerBound,
                                  "tensor \(name) \(t.shape) needs \(o1 || o2 ? "more than Int.max" : String(needed)) bytes of storage \(t.storage.key), which has \(range.count)",
                                  hint: "the storage is smaller than the tensor: the file is truncated or corrupt")
        }
    }

    /// The byte range in `file` of a storage, starting at a tensor's first element.
    func start(of t: TorchTensorRef) -> Int {
        storages[t.storage.key]!.lowerBound + (t.storage.viewOffset + t.offset) * t.storage.type.elementSize
    }

    /// A tensor's elements, row-major (any strides), as raw little-endian bytes.
    func load(_ t: TorchTensorRef, name: String) throws -> [UInt8] {
        try check(t, name: name)
        let range = storages[t.storage.key]!
        // A view with a zero or overlapping stride (expand()) can describe far more elements
        // than its storage holds: materialise at most the storage's size (or 1 MB).
        let (bytes, overflow) = t.count.multipliedReportingOverflow(by: t.storage.type.elementSize)
        guard !overflow, bytes <= max(range.count, 1 << 20) else {
            throw CheckpointError(.unsupported, file: path, offset: range.lowerBound,
                                  "tensor \(name) \(t.shape) with stride \(t.stride) would materialise \(overflow ? "more than Int.max" : String(bytes)) bytes from a storage of \(range.count)",
                                  hint: "a broadcast (zero-stride) view; save the tensor with .contiguous() if it is meant to be that large")
        }
        var r = try file.reader().slice(range: range)
        return try r.withBytes(range.count, "storage \(t.storage.key)") { t.gather($0) }
    }
}
