import GPT2Support
import GPT2Tokenizer

/// Which reader a torch.save file goes to (`CheckpointLoader`'s torch detector): a directory
/// with `ckpt.pt` is nanoGPT, one with `pytorch_model.bin` or `pytorch_model.bin.index.json`
/// is Hugging Face; a file is nanoGPT when its pickle has nanoGPT's `model_args`, else a state
/// dict with HF keys.
public enum TorchCheckpoints {
    /// Whether `path` is a directory holding a torch checkpoint or a file with torch.save's
    /// magic (zip local header, or the legacy magic number). Reads at most 14 bytes.
    public static func matches(_ path: String) -> Bool {
        if Paths.isDirectory(path) {
            return Paths.isFile(Paths.join(path, NanoGPTCheckpoint.fileName))
                || Paths.isFile(Paths.join(path, PyTorchBinCheckpoint.fileName))
                || Paths.isFile(Paths.join(path, PyTorchBinCheckpoint.indexFile))
        }
        if path.hasSuffix(".bin.index.json") { return true }
        guard let f = try? MappedFile.checkpoint(path) else { return false }
        return ZipArchive.hasMagic(f) || TorchLegacyFile.hasMagic(f)
    }

    /// Opens a PyTorch pickle checkpoint (nanoGPT ckpt.pt or a pytorch_model.bin state dict) by
    /// what it holds; `vocabulary` overrides the one beside it.
    public static func open(_ path: String, vocabulary: Vocabulary? = nil) throws -> any Checkpoint {
        if Paths.isDirectory(path) {
            if Paths.isFile(Paths.join(path, NanoGPTCheckpoint.fileName)) {
                return try NanoGPTCheckpoint(path: path, vocabulary: vocabulary)
            }
            return try PyTorchBinCheckpoint(path: path)
        }
        if path.hasSuffix(".bin.index.json") { return try PyTorchBinCheckpoint(path: path) }
        let file = try TorchFile(path: path)
        if file.root["model_args"] != nil {
            return try NanoGPTCheckpoint(file: file, vocabulary: vocabulary)
        }
        let configPath = Paths.join(Paths.directory(of: path), "config.json")
        guard Paths.isFile(configPath) else {
            throw CheckpointError(.badConfig, file: configPath, "config.json not found beside the weights",
                                  hint: "a torch state dict with Hugging Face keys needs the model's config.json beside it")
        }
        return try PyTorchBinCheckpoint(files: [file], config: HFConfig.load(path: configPath), configPath: configPath,
                                        vocabulary: VocabularyBeside.load(dir: Paths.directory(of: path)))
    }
}
