import Testing
@testable import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// Metadata a hostile or broken file can carry: token ids past the embedding, and
/// hyperparameters outside the limits every reader shares (`GPT2Config.validate()`).
@Suite struct MetadataLimitsTests {
    /// tinyMetadata()'s JSON with `edit` applied to its top-level object.
    func parse(_ edit: (inout [String: JSON]) -> Void) throws(ModelFileError) -> ModelMetadata {
        var o = tinyMetadata().json.dictionaryValue!
        edit(&o)
        return try ModelMetadata(json: .object(o), file: "m.gpt2kit", at: 96)
    }

    func set(_ section: String, _ key: String, _ v: JSON) -> (inout [String: JSON]) -> Void {
        { o in var s = o[section]!.dictionaryValue!; s[key] = v; o[section] = .object(s) }
    }

    @Test func theFixtureIsValid() throws {
        let m = try parse { _ in }
        #expect(m.vocabulary?.eosID == 10 && m.config?.vocabSize == 11)
    }

    @Test func tokenIDsOutsideTheEmbeddingAreRejected() throws {
        // vocab_size 11 (embedding rows 0...10), padded 16: padding rows are not in the file.
        let eos = try #require(throws: ModelFileError.self) { _ = try parse(set("tokenizer", "eos_id", .number(11))) }
        #expect(eos.kind == .badMetadata && eos.expected?.hasPrefix("tokenizer.eos_id") == true && eos.found == "11")
        let far = try #require(throws: ModelFileError.self) { _ = try parse(set("tokenizer", "eos_id", .number(70000))) }
        #expect(far.found == "70000")
        let special = try #require(throws: ModelFileError.self) {
            _ = try parse(set("tokenizer", "special_tokens", .object(["<|endoftext|>": .number(15)])))
        }
        #expect(special.expected?.contains("tokenizer.special_tokens.<|endoftext|>") == true && special.found == "15")
        #expect(!special.hint.isEmpty)
        // More tokens than embedding rows.
        let rows = try #require(throws: ModelFileError.self) { _ = try parse(set("gpt2", "vocab_size", .number(9))) }
        #expect(rows.kind == .badMetadata)
    }

    @Test func numbersInErrorsAreIntegers() throws {
        let e = try #require(throws: ModelFileError.self) { _ = try parse(set("gpt2", "n_layer", .number(0))) }
        #expect(e.found == "0")
        let f = try #require(throws: ModelFileError.self) { _ = try parse(set("gpt2", "n_layer", .number(2.5))) }
        #expect(f.found == "2.5")
        let h = try #require(throws: ModelFileError.self) { _ = try parse(set("gpt2", "n_head", .number(3))) }
        #expect(h.expected == "gpt2.n_embd: a multiple of n_head 3" && h.found == "8")
    }

    @Test func configLimits() throws {
        let ok = GPT2Config(nLayer: 48, nHead: 25, nEmbd: 1600, nCtx: 1024, vocabSize: 50257, paddedVocabSize: 50304)
        try ok.validate()   // GPT-2 XL
        let cases: [(GPT2Config, String)] = [
            (GPT2Config(nLayer: 0, nHead: 1, nEmbd: 8, nCtx: 4, vocabSize: 4), "n_layer"),
            (GPT2Config(nLayer: 5000, nHead: 1, nEmbd: 8, nCtx: 4, vocabSize: 4), "n_layer"),
            (GPT2Config(nLayer: 1, nHead: 0, nEmbd: 8, nCtx: 4, vocabSize: 4), "n_head"),
            (GPT2Config(nLayer: 1, nHead: 3, nEmbd: 8, nCtx: 4, vocabSize: 4), "n_embd"),
            (GPT2Config(nLayer: 1, nHead: 1, nEmbd: 1 << 17, nCtx: 4, vocabSize: 4), "n_embd"),
            (GPT2Config(nLayer: 1, nHead: 1, nEmbd: 8, nCtx: (1 << 20) + 1, vocabSize: 4), "n_ctx"),
            (GPT2Config(nLayer: 1, nHead: 1, nEmbd: 8, nCtx: 4, vocabSize: 0), "vocab_size"),
            (GPT2Config(nLayer: 1, nHead: 1, nEmbd: 8, nCtx: 4, vocabSize: (1 << 24) + 1), "vocab_size"),
            (GPT2Config(nLayer: 1, nHead: 1, nEmbd: 8, nCtx: 4, vocabSize: 10, paddedVocabSize: 9), "padded_vocab_size"),
            (GPT2Config(nLayer: 4096, nHead: 1, nEmbd: 1 << 16, nCtx: 1 << 20, vocabSize: 4), "n_layer * n_ctx * n_embd"),
            (GPT2Config(nLayer: 1, nHead: 1, nEmbd: 8, nCtx: 4, vocabSize: 4, layerNormEpsilon: 0), "layer_norm_epsilon"),
            (GPT2Config(nLayer: 1, nHead: 1, nEmbd: 8, nCtx: 4, vocabSize: 4, layerNormEpsilon: .nan), "layer_norm_epsilon"),
            (GPT2Config(nLayer: 1, nHead: 1, nEmbd: 8, nCtx: 4, vocabSize: 4, layerNormEpsilon: .infinity), "layer_norm_epsilon"),
        ]
        for (c, key) in cases {
            let e = try #require(throws: GPT2Config.Invalid.self) { try c.validate() }
            #expect(e.key == key, "\(c)")
        }
    }
}
