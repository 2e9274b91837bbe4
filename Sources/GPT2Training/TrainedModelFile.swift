import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// Writes a `TrainableModel` as a model file that `generate`, `perplexity` and `inspect` read
/// like a converted one: every parameter as f32 under its canonical name (a bigram model's
/// table as "bigram.weight" [vocab, vocab]), the architecture and config, the tokenizer
/// embedded (GPT-2 BPE or a character vocabulary, as the nanoGPT meta.pkl conversion embeds
/// one) and a "training" metadata object: the options, the step and the evaluation history.
/// Atomic (ModelFileWriter: temporary file, fsync, rename).
public enum TrainedModelFile {
    /// The tensor name of the bigram model's table in a model file.
    public static let bigramTensor = BigramLayout.tableName

    /// Writes `model`'s parameters, `vocabulary` and the `training` metadata object to `path`
    /// (atomically).
    public static func write(_ model: TrainableModel, vocabulary: Vocabulary, training: JSON, to path: String) throws {
        let metadata = ModelMetadata(architecture: model.architecture, config: model.config, vocabulary: vocabulary,
                                     provenance: Provenance(sourceLayout: "gpt2kit-train", sourceFiles: [], tool: ModelMetadata.toolVersion),
                                     extra: ["training": training])
        let writer = try ModelFileWriter(path: path, metadata: metadata)
        let bigram = model.architecture == "bigram"
        for p in model.parameters {
            let name = bigram ? bigramTensor : p.name
            try writer.add(name: name, shape: p.shape, type: .f32, bytes: UnsafeRawBufferPointer(start: p.values, count: p.count * 4))
        }
        try writer.finish()
    }

    /// The "training" metadata object: options, step, tokenizer, data, evaluations and the
    /// `--init-from` model if any, keys in snake case (`learning_rate`, `train_loss`).
    public static func trainingMetadata(options: TrainingOptions, step: Int, tokenizer: String, data: String,
                                        history: [EvalRecord], initFrom: String?) throws -> JSON {
        var w = TrainingJSON.Writer(.snake)
        w.set("options", options.json(.snake))
        w.set("step", .number(step))
        w.set("tokenizer", .string(tokenizer))
        w.set("data", .string(data))
        w.set("initFrom", initFrom.map { .string($0) })
        w.set("evaluations", .array(history.map { $0.json(.snake) }))
        return w.json
    }
}
