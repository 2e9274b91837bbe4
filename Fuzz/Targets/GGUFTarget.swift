import GPT2Tokenizer
@testable import GPT2Checkpoints

let ggufTargets: [FuzzTarget] = [
    FuzzTarget(name: "gguf", about: "a llama.cpp GGUF file: header, metadata, tensor infos, tokenizer, every tensor") { bytes in
        let path = Scratch.write(bytes, "model.gguf")
        let checkpoint = try GGUFCheckpoint(path: path)
        if let v = checkpoint.vocabulary { _ = try Tokenizer(vocabulary: v) }
        try drain(checkpoint)
    },
]
