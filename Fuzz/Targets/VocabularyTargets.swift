import GPT2Tokenizer

/// A loaded vocabulary must also make a working tokenizer (or a typed error): encode and decode
/// a short text with it.
func useVocabulary(_ v: Vocabulary) throws {
    let tok = try Tokenizer(vocabulary: v)
    let ids = tok.encodeOrdinary("Hello, world! 12 héllo \u{1F642}  x")
    _ = try tok.decodeBytes(ids)
}

let vocabularyTargets: [FuzzTarget] = [
    FuzzTarget(name: "vocab-gpt2", about: "encoder.json NUL vocab.bpe (OpenAI)") { bytes in
        let p = splitParts(bytes, count: 2)
        try useVocabulary(Vocabulary.load(encoderJSON: Scratch.write(p[0], "encoder.json"),
                                          vocabBPE: Scratch.write(p[1], "vocab.bpe")))
    },
    FuzzTarget(name: "vocab-hf", about: "vocab.json NUL merges.txt (Hugging Face)") { bytes in
        let p = splitParts(bytes, count: 2)
        try useVocabulary(Vocabulary.load(vocabJSON: Scratch.write(p[0], "vocab.json"),
                                          mergesTXT: Scratch.write(p[1], "merges.txt")))
    },
    FuzzTarget(name: "tokenizer-json", about: "tokenizer.json (HF tokenizers)") { bytes in
        try useVocabulary(Vocabulary.load(tokenizerJSON: Scratch.write(bytes, "tokenizer.json")))
    },
    FuzzTarget(name: "tiktoken", about: "a .tiktoken file (base64 token, rank)") { bytes in
        try useVocabulary(Vocabulary.load(tiktoken: Scratch.write(bytes, "v.tiktoken")))
    },
]
