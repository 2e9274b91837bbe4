/// Hugging Face's pair `vocab.json` + `merges.txt`, as `GPT2Tokenizer.save_pretrained` writes
/// them. They are OpenAI's encoder.json + vocab.bpe under other names (same JSON object of
/// byte-level token strings → ids, same `#version` line then `left right` merges in rank
/// order), so they go through the same loader; `<|endoftext|>` is in vocab.json and, made by
/// no merge, becomes the special token.
extension Vocabulary {
    /// Reads a Hugging Face vocab.json + merges.txt pair.
    public static func load(vocabJSON: String, mergesTXT: String) throws -> Vocabulary {
        try load(encoderJSON: vocabJSON, vocabBPE: mergesTXT)
    }
}
