import GPT2Tokenizer

extension Vocabulary {
    /// The character vocabulary of a nanoGPT `meta.pkl` (shakespeare_char's prepare.py), for
    /// `gpt2kit train` on a directory of train.bin/val.bin made with it.
    public static func nanoGPTMeta(path: String) throws -> Vocabulary {
        try NanoGPTMeta.load(path: path)
    }
}
