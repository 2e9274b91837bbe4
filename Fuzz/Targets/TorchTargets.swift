import GPT2Tokenizer
@testable import GPT2Checkpoints

/// A torch.save file as `pytorch_model.bin` beside a fixed config.json: the generic reader
/// (every tensor of the pickle tree), then the HF reader on the same directory.
private func torchFile(_ bytes: [UInt8]) throws {
    let dir = Scratch.subdirectory("pt")
    Scratch.write(Companions.torchConfig, "config.json", in: dir)
    let path = Scratch.write(bytes, "pytorch_model.bin", in: dir)
    let file = try TorchFile(path: path)
    try drainTensors(file.root, in: file)
    try drain(PyTorchBinCheckpoint(path: dir))
}

let torchTargets: [FuzzTarget] = [
    FuzzTarget(name: "torch-zip", about: "torch.save zip file (ZIP64, pickle, storages) as pytorch_model.bin", run: torchFile),
    FuzzTarget(name: "torch-legacy", about: "legacy (pre-1.6) torch.save file as pytorch_model.bin", run: torchFile),
    FuzzTarget(name: "pickle", about: "a pickle stream under torch's allowlist") { bytes in
        _ = try PickleReader.read(bytes, policy: TorchFile.policy)
    },
    FuzzTarget(name: "nanogpt", about: "nanoGPT ckpt.pt: model_args, state dict, every tensor") { bytes in
        let dir = Scratch.subdirectory("ng")
        try drain(NanoGPTCheckpoint(path: Scratch.write(bytes, "ckpt.pt", in: dir), vocabulary: Companions.vocabulary))
    },
    FuzzTarget(name: "nanogpt-meta", about: "nanoGPT meta.pkl, then a tokenizer on it") { bytes in
        try useVocabulary(NanoGPTMeta.load(path: Scratch.write(bytes, "meta.pkl")))
    },
]
