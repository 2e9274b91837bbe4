import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// llm.c's model file (`gpt2_124M.bin`, written by `write_model` in llm.c's `train_gpt2.py`
/// and read by `gpt2_build_from_checkpoint` in `train_gpt2.c`).
///
/// A header of 256 int32: magic 20240326, version (3 = fp32, 5 = bf16), max_seq_len, vocab_size,
/// num_layers, num_heads, channels, padded_vocab_size; then all parameters back to back, each
/// layer tensor stacked over the L layers, Linear weights `[out, in]`:
/// wte [Vp,C], wpe [maxT,C], ln1w [L,C], ln1b [L,C], qkvw [L,3C,C], qkvb [L,3C],
/// attprojw [L,C,C], attprojb [L,C], ln2w [L,C], ln2b [L,C], fcw [L,4C,C], fcb [L,4C],
/// fcprojw [L,C,4C], fcprojb [L,C], lnfw [C], lnfb [C].
/// llm.c uses the tanh GELU and LayerNorm epsilon 1e-5; the tokenizer is `gpt2_tokenizer.bin`
/// beside the model.
public struct LLMCCheckpoint: Checkpoint, @unchecked Sendable {
    /// The header's first int32 in llm.c's model files (version 3 and 5 follow it).
    public static let magic: Int32 = 20240326
    /// Size of llm.c's header: 256 int32s.
    public static let headerBytes = 256 * 4
    /// The tokenizer file llm.c writes beside its models.
    public static let tokenizerFile = "gpt2_tokenizer.bin"

    /// Always `.llmc`.
    public let layout = CheckpointLayout.llmc
    /// Hyperparameters read from the checkpoint.
    public let config: GPT2Config
    /// The tokenizer found with the weights, if any.
    public let vocabulary: Vocabulary?
    /// Files the checkpoint was read from (for provenance hashes).
    public let sourceFiles: [String]
    /// Tensors exactly as stored in the source.
    public let sourceTensors: [SourceTensorInfo]
    let table: TensorTable
    /// Canonical tensors in file order.
    public var tensors: [CanonicalTensorInfo] { table.infos }

    /// `path`: the model file, or a directory holding one.
    public init(path: String) throws {
        let modelPath: String
        if Paths.isDirectory(path) {
            guard let m = Self.modelFile(inDirectory: path) else {
                throw CheckpointError(.unknownLayout, file: path, "no llm.c model file (.bin with magic \(Self.magic)) here")
            }
            modelPath = m
        } else {
            modelPath = path
        }
        let file = try MappedFile.checkpoint(modelPath)
        var r = file.reader()
        let h = try (0..<8).map { try Int(r.i32("header[\($0)]")) }
        guard h[0] == Int(Self.magic) else {
            throw CheckpointError(.badMagic, file: modelPath, offset: 0,
                                  "magic \(h[0]), expected \(Self.magic)",
                                  hint: "not an llm.c model file (gpt2_tokenizer.bin has magic 20240328)")
        }
        let type: ElementType
        switch h[1] {
        case 3: type = .f32
        case 5: type = .bf16
        default:
            throw CheckpointError(.unsupportedVersion, file: modelPath, offset: 4,
                                  "version \(h[1]); known: 3 (fp32), 5 (bf16)",
                                  hint: "re-export with llm.c's train_gpt2.py")
        }
        let (maxT, V, L, NH, C, Vp) = (h[2], h[3], h[4], h[5], h[6], h[7])
        let config = GPT2Config(nLayer: L, nHead: NH, nEmbd: C, nCtx: maxT, vocabSize: V,
                                paddedVocabSize: Vp, layerNormEpsilon: 1e-5, activation: .geluTanh)
        try ConfigChecks.validate(config, file: modelPath)
        self.config = config

        // (llm.c name, stored shape, canonical name: one tensor, or layer l of a stacked array)
        enum Target { case single(String), stacked((Int) -> String) }
        let params: [(String, [Int], Target)] = [
            ("wte", [Vp, C], .single(TensorName.tokenEmbedding)),
            ("wpe", [maxT, C], .single(TensorName.positionEmbedding)),
            ("ln1w", [L, C], .stacked(TensorName.ln1Weight)), ("ln1b", [L, C], .stacked(TensorName.ln1Bias)),
            ("qkvw", [L, 3 * C, C], .stacked(TensorName.qkvWeight)), ("qkvb", [L, 3 * C], .stacked(TensorName.qkvBias)),
            ("attprojw", [L, C, C], .stacked(TensorName.attnProjWeight)),
            ("attprojb", [L, C], .stacked(TensorName.attnProjBias)),
            ("ln2w", [L, C], .stacked(TensorName.ln2Weight)), ("ln2b", [L, C], .stacked(TensorName.ln2Bias)),
            ("fcw", [L, 4 * C, C], .stacked(TensorName.fcWeight)), ("fcb", [L, 4 * C], .stacked(TensorName.fcBias)),
            ("fcprojw", [L, C, 4 * C], .stacked(TensorName.mlpProjWeight)),
            ("fcprojb", [L, C], .stacked(TensorName.mlpProjBias)),
            ("lnfw", [C], .single(TensorName.finalNormWeight)), ("lnfb", [C], .single(TensorName.finalNormBias)),
        ]
        let size = TensorTransforms.elementSize(type)!
        // The file size is checked before any per-layer work: a 300-byte file claiming
        // thousands of layers is refused at once (fuzz finding: it cost ~0.4 s and 12 map
        // entries per layer before the size check).
        // ConfigChecks bounds every dimension, so these products cannot overflow.
        let expected = params.reduce(Self.headerBytes) { $0 + $1.1.reduce(1, *) * size }
        guard expected == file.count else {
            let kind: CheckpointError.Kind = expected > file.count ? .truncated : .invalidOffset
            throw CheckpointError(kind, file: modelPath, offset: min(expected, file.count),
                                  "header implies \(expected) bytes, file has \(file.count)",
                                  hint: expected > file.count ? "the file is truncated" : "trailing bytes: header and data disagree")
        }
        var offset = Self.headerBytes
        var infos: [SourceTensorInfo] = []
        var byName: [String: TensorSource] = [:]
        for (name, shape, target) in params {
            let bytes = shape.reduce(1, *) * size
            infos.append(SourceTensorInfo(name: name, shape: shape, type: type, offset: offset, file: modelPath))
            switch target {
            case .stacked(let layerName):
                let layerBytes = bytes / L
                for l in 0..<L {
                    let start = offset + l * layerBytes
                    byName[layerName(l)] = TensorSource(
                        info: CanonicalTensorInfo(name: layerName(l), shape: Array(shape.dropFirst()), type: type),
                        file: file, range: start..<(start + layerBytes))
                }
            case .single(let canonical):
                var source = TensorSource(info: CanonicalTensorInfo(name: canonical, shape: shape, type: type),
                                          file: file, range: offset..<(offset + bytes))
                if name == "wte" && Vp != V {   // drop llm.c's padding rows (V → Vp)
                    source.info.shape = [V, C]
                    source.transform = .leadingRows(rows: V, cols: C)
                }
                byName[canonical] = source
            }
            offset += bytes
        }
        sourceTensors = infos
        table = try TensorTable(config: config, byName: byName, file: modelPath)
        let dir = Paths.directory(of: modelPath)
        let tok = Paths.join(dir, Self.tokenizerFile)
        if Paths.isFile(tok) {
            let v = try VocabularyBeside.load(file: tok)
            try VocabularyBeside.check(v, config: config, file: tok)
            vocabulary = v
            sourceFiles = [modelPath, tok]
        } else {
            vocabulary = nil
            sourceFiles = [modelPath]
        }
    }

    /// One canonical tensor in canonical layout, in the source element type.
    public func load(_ name: String) throws -> TensorData { try table.load(name) }
    /// `load(name)` with the transposes split over `threads`.
    public func load(_ name: String, threads: Int) throws -> TensorData { try table.load(name, threads: threads) }

    /// Whether `path` starts with llm.c's model magic.
    static func hasMagic(_ path: String) -> Bool {
        guard Paths.isFile(path), let f = try? MappedFile.checkpoint(path) else { return false }
        var r = f.reader()
        return (try? r.i32()) == magic
    }

    /// The llm.c model file in `dir`: a `.bin` with the model magic (gpt2_124M.bin by default).
    static func modelFile(inDirectory dir: String) -> String? {
        Paths.list(dir).sorted().filter { $0.hasSuffix(".bin") && $0 != tokenizerFile }
            .map { Paths.join(dir, $0) }.first(where: hasMagic)
    }
}
