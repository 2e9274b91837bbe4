import GPT2ModelFile

/// Checks an exported file by reading it back through GPT2Kit's own reader of that layout
/// (GGUFCheckpoint, SafetensorsCheckpoint): the same config, and every canonical tensor equal
/// to the source's converted to the element type written, bit for bit.
public enum ExportVerify {
    /// Checks that every tensor of `written` equals `source`'s (after the export's own conversion);
    /// throws `CheckpointError` naming the first that differs.
    public static func compare(source: any Checkpoint, written: any Checkpoint, threads: Int = 1) throws {
        let file = written.sourceFiles.first ?? "export"
        var expected = source.config
        expected.paddedVocabSize = expected.vocabSize
        var got = written.config
        got.paddedVocabSize = got.vocabSize
        guard got == expected else {
            throw CheckpointError(.badConfig, file: file, "read back \(got), the source has \(expected)",
                                  hint: "an exporter bug; please report it")
        }
        if let v = source.vocabulary, v.kind == .byteLevelBPE, written.vocabulary != v {
            throw CheckpointError(.badTokenizer, file: file, "the tokenizer read back differs from the source's",
                                  hint: "an exporter bug; please report it")
        }
        for t in written.tensors {
            let w = try written.load(t.name, threads: threads)
            let s = ConverterDType.convert(try source.load(t.name, threads: threads), to: w.type, threads: threads)
            guard s.shape == w.shape, s.bytes == w.bytes else {
                throw CheckpointError(.checksumMismatch, file: file, "\(t.name) read back differs from the source converted to \(w.type.rawValue)",
                                      hint: "an exporter bug; please report it")
            }
        }
    }
}
