import GPT2ModelFile
import GPT2Support
/// Opens any supported checkpoint from a file or directory, detecting its layout.
///
/// Detection looks at names first (they are what users download) and at magic bytes for files
/// with unusual names. Each layout is one `Detector`: add a new layout by adding an entry to
/// `detectors` (the torch readers hook in here: pytorch_model.bin, ckpt.pt).
public enum CheckpointLoader {
    struct Detector: Sendable {
        /// What it looks for, listed in the error when nothing matches.
        var describes: String
        /// Whether `path` (a file or directory) is this layout.
        var matches: @Sendable (String) -> Bool
        var open: @Sendable (String) throws -> any Checkpoint
    }

    static let detectors: [Detector] = [
        // First: our own files are recognised by their magic whatever they are called.
        Detector(describes: "a GPT2Kit model file (magic 89 47 32 4B; re-encoded)",
                 matches: { p in Paths.isFile(p) && ModelFile.hasMagic(path: p) },
                 open: { try ModelFileCheckpoint(path: $0) }),
        // llama.cpp's GGUF, also by magic (the files are often named after their quantization).
        Detector(describes: "a llama.cpp GGUF file of architecture gpt2 (magic GGUF)",
                 matches: { p in GGUFFile.hasMagic(path: p) },
                 open: { try GGUFCheckpoint(path: $0) }),
        Detector(describes: "model.safetensors / model.safetensors.index.json / *.safetensors (+ config.json)",
                 matches: { p in
                     Paths.isDirectory(p)
                         ? Paths.isFile(Paths.join(p, SafetensorsCheckpoint.singleFile))
                             || Paths.isFile(Paths.join(p, SafetensorsCheckpoint.indexFile))
                         : p.hasSuffix(".safetensors") || p.hasSuffix(".safetensors.index.json")
                 },
                 open: { try SafetensorsCheckpoint(path: $0) }),
        Detector(describes: "model.ckpt.index + model.ckpt.data-* (+ hparams.json)",
                 matches: { p in
                     Paths.isDirectory(p) ? TFCheckpoint.prefix(inDirectory: p) != nil
                         : TFCheckpoint.prefix(forFile: p) != nil
                 },
                 open: { try TFCheckpoint(path: $0) }),
        Detector(describes: "llm.c gpt2*.bin (magic 20240326)",
                 matches: { p in
                     Paths.isDirectory(p) ? LLMCCheckpoint.modelFile(inDirectory: p) != nil
                         : LLMCCheckpoint.hasMagic(p)
                 },
                 open: { try LLMCCheckpoint(path: $0) }),
        Detector(describes: "torch.save files: pytorch_model.bin (+ config.json), nanoGPT ckpt.pt (+ meta.pkl)",
                 matches: { TorchCheckpoints.matches($0) },
                 open: { try TorchCheckpoints.open($0) }),
    ]

    /// Opens the checkpoint at `path` (a file, or the directory holding it, or a TensorFlow
    /// checkpoint prefix such as `models/124M/model.ckpt`).
    public static func open(_ path: String) throws -> any Checkpoint {
        guard Paths.isDirectory(path) || Paths.isFile(path) || Paths.isFile(path + ".index") else {
            throw CheckpointError(.io, file: path, "no such file or directory")
        }
        if let d = detectors.first(where: { $0.matches(path) }) {
            return try d.open(path)
        }
        throw CheckpointError(.unknownLayout, file: path, "no known checkpoint layout found",
                              hint: "looked for: " + detectors.map(\.describes).joined(separator: "; "))
    }

    /// The layout `path` would be opened as, without opening it.
    public static func detect(_ path: String) -> String? {
        detectors.first(where: { $0.matches(path) })?.describes
    }
}
