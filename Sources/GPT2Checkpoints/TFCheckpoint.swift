import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// OpenAI's GPT-2 release in TensorFlow's checkpoint format (TF ≥ 1.x "V2" bundle):
/// `<prefix>.index` (a `TFTable` of `BundleEntryProto`, the empty key holding the
/// `BundleHeaderProto`), data shards `<prefix>.data-0000K-of-0000N` holding raw little-endian
/// tensors at the entries' offsets, `hparams.json` (n_vocab, n_ctx, n_embd, n_head, n_layer) and
/// the tokenizer `encoder.json` + `vocab.bpe` beside them. GPT-2's TF model uses the tanh GELU
/// and LayerNorm epsilon 1e-5.
///
/// Each tensor's masked crc32c is checked whenever it is loaded.
public struct TFCheckpoint: Checkpoint, @unchecked Sendable {
    /// Always `.tensorflow`.
    public let layout = CheckpointLayout.tensorflow
    /// Hyperparameters read from the checkpoint.
    public let config: GPT2Config
    /// The tokenizer found with the weights, if any.
    public let vocabulary: Vocabulary?
    /// Files the checkpoint was read from (for provenance hashes).
    public let sourceFiles: [String]
    /// Tensors exactly as stored in the source.
    public let sourceTensors: [SourceTensorInfo]
    let table: TensorTable
    let header: TFBundleHeader
    /// Canonical tensors in file order.
    public var tensors: [CanonicalTensorInfo] { table.infos }

    /// `path`: the directory, the `.index` file, a data shard, or the prefix (`.../model.ckpt`).
    public init(path: String) throws {
        let prefix: String
        if Paths.isDirectory(path) {
            guard let p = Self.prefix(inDirectory: path) else {
                throw CheckpointError(.unknownLayout, file: path, "no *.index checkpoint in this directory")
            }
            prefix = p
        } else {
            guard let p = Self.prefix(forFile: path) else {
                throw CheckpointError(.unknownLayout, file: path, "not a TensorFlow checkpoint file",
                                      hint: "pass the directory or the .index file")
            }
            prefix = p
        }
        let dir = Paths.directory(of: prefix)
        let indexPath = prefix + ".index"
        let hparamsPath = Paths.join(dir, "hparams.json")
        config = try Self.hparams(hparamsPath)

        let index = try MappedFile.checkpoint(indexPath)
        let entries = try TFTable(file: index).entries
        guard let first = entries.first, first.key.isEmpty else {
            throw CheckpointError(.corrupt, file: indexPath, "no header entry (empty key)",
                                  hint: "not a TensorFlow V2 checkpoint index")
        }
        let header = try TFBundleHeader(ByteReader(bytes: first.value, file: indexPath, origin: first.valueOffset))
        self.header = header
        guard header.littleEndian else {
            throw CheckpointError(.unsupported, file: indexPath, offset: first.valueOffset,
                                  "checkpoint written on a big-endian machine")
        }
        let shards = try (0..<header.numShards).map { k in
            try MappedFile.checkpoint(prefix + ".data-" + Self.pad5(k) + "-of-" + Self.pad5(header.numShards))
        }
        var infos: [SourceTensorInfo] = []
        var byName: [String: TensorSource] = [:]
        for e in entries.dropFirst() {
            let name = String(decoding: e.key, as: UTF8.self)
            let b = try TFBundleEntry(ByteReader(bytes: e.value, file: indexPath, origin: e.valueOffset), name: name)
            func fail(_ kind: CheckpointError.Kind, _ msg: String, hint: String? = nil) -> CheckpointError {
                CheckpointError(kind, file: indexPath, offset: e.valueOffset, "\(name): \(msg)", hint: hint)
            }
            guard b.shardID < shards.count else {
                throw fail(.invalidOffset, "shard \(b.shardID) of \(shards.count)")
            }
            let shard = shards[b.shardID]
            guard b.offset <= shard.count, b.size <= shard.count - b.offset else {
                throw fail(.invalidOffset, "bytes [\(b.offset), +\(b.size)] outside \(Paths.fileName(of: shard.path)) (\(shard.count) bytes)",
                           hint: "the data shard is truncated or belongs to another checkpoint")
            }
            guard let n = TensorData.elementCount(b.shape), let bytes = b.type.byteCount(elements: n), bytes == b.size else {
                throw fail(.shapeMismatch, "shape \(b.shape) of \(b.type) disagrees with size \(b.size)")
            }
            let range = b.offset..<(b.offset + b.size)
            infos.append(SourceTensorInfo(name: name, shape: b.shape, type: b.type, offset: b.offset, file: shard.path))
            guard let m = TFTensorNames.mapping(of: name) else {
                throw fail(.unknownTensor, "not a GPT-2 variable", hint: "expected OpenAI names such as model/h0/attn/c_attn/w")
            }
            let crc = b.crc32c, shardPath = shard.path
            let verify: @Sendable (UnsafeRawBufferPointer) throws -> Void = { raw in
                let actual = CRC32C.masked(CRC32C.checksum(raw))
                guard actual == crc else {
                    throw CheckpointError(.checksumMismatch, file: shardPath, offset: range.lowerBound,
                                          "\(name): crc32c 0x\(String(actual, radix: 16)), index says 0x\(String(crc, radix: 16)) (masked)",
                                          hint: "the data shard is corrupt; re-download it")
                }
            }
            var source = TensorSource(info: CanonicalTensorInfo(name: m.canonical, shape: b.shape, type: b.type),
                                      file: shard, range: range, verify: verify)
            if m.conv {
                guard b.shape.count == 3, b.shape[0] == 1 else {
                    throw fail(.shapeMismatch, "conv weight shape \(b.shape), expected [1, in, out]")
                }
                source.info.shape = [b.shape[2], b.shape[1]]
                source.transform = .transpose(rows: b.shape[1], cols: b.shape[2])
            }
            guard byName[m.canonical] == nil else { throw fail(.duplicateName, "occurs twice") }
            byName[m.canonical] = source
        }
        sourceTensors = infos
        table = try TensorTable(config: config, byName: byName, file: indexPath)
        sourceFiles = [hparamsPath, indexPath] + shards.map(\.path)
        vocabulary = try VocabularyBeside.load(dir: dir, config: config)
    }

    /// One canonical tensor in canonical layout, in the source element type.
    public func load(_ name: String) throws -> TensorData { try table.load(name) }
    /// `load(name)` with the transposes split over `threads`.
    public func load(_ name: String, threads: Int) throws -> TensorData { try table.load(name, threads: threads) }

    static func hparams(_ path: String) throws -> GPT2Config {
        let json = try JSON.parse(fileAt: path, maxBytes: 1 << 20)
        func int(_ k: String) throws -> Int {
            guard let v = json[k]?.intValue else {
                throw CheckpointError(.badConfig, file: path, "missing or non-integer \(k)",
                                      hint: "OpenAI's hparams.json has n_vocab, n_ctx, n_embd, n_head, n_layer")
            }
            return v
        }
        let c = GPT2Config(nLayer: try int("n_layer"), nHead: try int("n_head"), nEmbd: try int("n_embd"),
                           nCtx: try int("n_ctx"), vocabSize: try int("n_vocab"),
                           layerNormEpsilon: 1e-5, activation: .geluTanh)
        try ConfigChecks.validate(c, file: path)
        return c
    }

    static func pad5(_ k: Int) -> String {
        let s = String(k)
        return s.count >= 5 ? s : String(repeating: "0", count: 5 - s.count) + s
    }

    /// The checkpoint prefix in a directory: the one TensorFlow's `checkpoint` state file names
    /// (`model_checkpoint_path: "model.ckpt-2000"`, the latest save of a training run), else
    /// `model.ckpt`, else the first `*.index`.
    static func prefix(inDirectory dir: String) -> String? {
        if let latest = latestCheckpoint(dir), Paths.isFile(latest + ".index") { return latest }
        if Paths.isFile(Paths.join(dir, "model.ckpt.index")) { return Paths.join(dir, "model.ckpt") }
        return Paths.list(dir).sorted().first { $0.hasSuffix(".index") }
            .map { Paths.join(dir, String($0.dropLast(6))) }
    }

    /// `model_checkpoint_path` of the `checkpoint` text file (a CheckpointState in protobuf text
    /// format), resolved against `dir` when relative.
    static func latestCheckpoint(_ dir: String) -> String? {
        let path = Paths.join(dir, "checkpoint")
        guard Paths.isFile(path), let f = try? MappedFile.checkpoint(path), f.count <= 1 << 16 else { return nil }
        let text = f.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        for line in text.split(separator: "\n") {
            let t = line.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            guard t.hasPrefix("model_checkpoint_path:"),
                  let open = t.firstIndex(of: "\""), let close = t.lastIndex(of: "\""), open < close else { continue }
            let name = String(t[t.index(after: open)..<close])
            guard !name.isEmpty, !name.contains("\\") else { return nil }
            return name.hasPrefix("/") ? name : Paths.join(dir, name)
        }
        return nil
    }

    /// The checkpoint prefix of an index file, a data shard or the prefix itself.
    static func prefix(forFile path: String) -> String? {
        if path.hasSuffix(".index"), Paths.isFile(path) { return String(path.dropLast(6)) }
        let name = Paths.fileName(of: path)
        if let dot = name.firstRange(of: ".data-") {
            let p = Paths.join(Paths.directory(of: path), String(name[..<dot.lowerBound]))
            if Paths.isFile(p + ".index") { return p }
        }
        if Paths.isFile(path + ".index") { return path }
        return nil
    }
}
