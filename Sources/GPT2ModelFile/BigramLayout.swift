/// The model file form of the bigram model ("Let's build GPT"'s `BigramLanguageModel`: a table
/// of next-token logits, `logits[t] = table[idx[t]]`). FORMAT.md, "The bigram architecture".
///
/// - `architecture` is `"bigram"`;
/// - one tensor `bigram.weight` of shape `[vocab, vocab]` (row = current token, column = next
///   token), any element type the container stores (f32 from training);
/// - the `"gpt2"` hyperparameters object is present, for its `vocab_size` (= vocab) and `n_ctx`
///   (the window the runtime uses for generation and perplexity; a bigram ignores all context
///   but the last token, so it changes nothing but the window bookkeeping). The other fields
///   only satisfy the limits every reader applies: n_layer 1, n_head 1, n_embd = vocab (the
///   table's row width), no bias, untied head.
public enum BigramLayout {
    /// The metadata's architecture name of a bigram model.
    public static let architecture = "bigram"
    /// The name of the one tensor, the `[vocab, vocab]` table.
    public static let tableName = "bigram.weight"
    /// `n_ctx` of a bigram model unless one is chosen: GPT-2's window.
    public static let defaultContextLength = 1024
    /// The largest vocabulary: n_embd = vocab must stay within `GPT2Config.Limits.embd`
    /// (a 65536² f32 table is already 16 GiB).
    public static let maxVocabulary = GPT2Config.Limits.embd.upperBound

    /// The config a bigram model file carries.
    public static func config(vocabularySize v: Int, contextLength: Int = defaultContextLength) -> GPT2Config {
        GPT2Config(nLayer: 1, nHead: 1, nEmbd: v, nCtx: contextLength, vocabSize: v,
                   activation: .geluErf, bias: false, tiedHead: false)
    }

    /// Checks a bigram file's metadata and table entry (ModelFile.init calls it): the config is
    /// there, n_embd = vocab_size, and the table is `[vocab, vocab]`.
    static func validate(_ meta: ModelMetadata, tensors: [ModelTensorInfo], file: String,
                         metadataOffset: Int) throws(ModelFileError) {
        guard let c = meta.config else {
            throw ModelFileError(.badMetadata, file: file, offset: metadataOffset,
                                 expected: "the \"gpt2\" object with vocab_size and n_ctx", found: "none",
                                 hint: "a bigram model file needs its vocabulary size (FORMAT.md, bigram architecture)")
        }
        guard c.vocabSize == c.nEmbd else {
            throw ModelFileError(.badMetadata, file: file, offset: metadataOffset,
                                 expected: "gpt2.n_embd equal to vocab_size \(c.vocabSize)", found: "\(c.nEmbd)",
                                 hint: "a bigram table's rows are vocab_size wide; write the file again")
        }
        guard let t = tensors.first(where: { $0.name == tableName }) else {
            throw ModelFileError(.missingTensor, file: file, tensor: tableName, expected: "a tensor named '\(tableName)'",
                                 found: "\(tensors.count) other tensors", hint: "not a complete bigram model file")
        }
        guard t.shape == [c.vocabSize, c.vocabSize] else {
            throw ModelFileError(.shapeMismatch, file: file, offset: t.offset, tensor: tableName,
                                 expected: "shape [\(c.vocabSize), \(c.vocabSize)] (vocab_size squared)",
                                 found: "\(t.shape)", hint: "the table does not match the file's vocab_size")
        }
    }
}
