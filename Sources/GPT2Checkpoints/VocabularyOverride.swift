import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// A checkpoint read with the tokenizer the user named (`convert --vocab PATH`), so what gets
/// embedded does not depend on the current directory or an installed default.
///
/// nanoGPT's `ckpt.pt` gets it through its reader (its real vocabulary size depends on the
/// tokenizer; a `meta.pkl` beside it still wins); every other layout gets it in place of the
/// tokenizer found beside the weights. The tokenizer files join `sourceFiles`, so their
/// SHA-256 lands in the model file's provenance.
struct VocabularyOverride: Checkpoint {
    let base: any Checkpoint
    let vocabulary: Vocabulary?
    let sourceFiles: [String]

    var layout: CheckpointLayout { base.layout }
    var config: GPT2Config { base.config }
    var sourceTensors: [SourceTensorInfo] { base.sourceTensors }
    var tensors: [CanonicalTensorInfo] { base.tensors }
    func load(_ name: String) throws -> TensorData { try base.load(name) }
    func load(_ name: String, threads: Int) throws -> TensorData { try base.load(name, threads: threads) }

    init(base: any Checkpoint, vocabulary: Vocabulary, path: String) throws {
        // nanoGPT's reader used `vocabulary` unless a meta.pkl beside the checkpoint won.
        let used = base.layout != .nanoGPT || !base.sourceFiles.contains { $0.hasSuffix(NanoGPTMeta.fileName) }
        if base.layout != .nanoGPT { try VocabularyBeside.check(vocabulary, config: base.config, file: path) }
        self.base = base
        self.vocabulary = base.layout == .nanoGPT ? base.vocabulary : vocabulary
        self.sourceFiles = base.sourceFiles + (used ? Self.files(of: path) : [])
    }

    /// The tokenizer files `Vocabulary.load(path:)` reads at `path` (a file or a directory).
    static func files(of path: String) -> [String] {
        guard Paths.isDirectory(path) else { return [path] }
        return (VocabularyBeside.markers + ["gpt2.tiktoken"]).map { Paths.join(path, $0) }.filter(Paths.isFile)
    }
}

extension CheckpointLoader {
    /// Opens the checkpoint at `path` with the tokenizer at `vocabularyPath` (any format
    /// `Vocabulary.load(path:)` reads) instead of the one beside the weights.
    public static func open(_ path: String, vocabularyPath: String?) throws -> any Checkpoint {
        guard let vocabularyPath else { return try open(path) }
        let vocabulary = try VocabularyBeside.load(file: vocabularyPath, hint: "check the --vocab path")
        let base: any Checkpoint
        if detectors.firstIndex(where: { $0.matches(path) }) == detectors.count - 1 {
            base = try TorchCheckpoints.open(path, vocabulary: vocabulary)
        } else {
            base = try open(path)
        }
        return try VocabularyOverride(base: base, vocabulary: vocabulary, path: vocabularyPath)
    }
}
