import Testing
@testable import GPT2Tokenizer

/// Every GPT-2 vocabulary file in ../shared, in each format, must load to exactly the
/// vocabulary tiktoken ships (gpt2.tiktoken: token bytes by rank). Skipped without ../shared.
@Suite(.enabled(if: LoaderTestSupport.sharedDir != nil, "needs ../shared"))
struct GPT2VocabularyFilesTests {
    typealias S = LoaderTestSupport

    @Test func huggingFaceVocabAndMerges() throws {
        let v = try Vocabulary.load(vocabJSON: S.shared("checkpoints/tiny/hf-safetensors/vocab.json"),
                                    mergesTXT: S.shared("checkpoints/tiny/hf-safetensors/merges.txt"))
        #expect(S.isGPT2(v))
        #expect(v.ranks == nil)   // GPT-2's ranks are its ids
    }

    @Test func tokenizerJSON() throws {
        let v = try Vocabulary.load(tokenizerJSON: S.shared("checkpoints/tiny/hf-safetensors/tokenizer.json"))
        #expect(S.isGPT2(v))
    }

    @Test func llmcVersion1() throws {
        let v = try Vocabulary.load(llmcTokenizer: S.shared("llmc/gpt2_tokenizer_v1.bin"))
        #expect(S.isGPT2(v))
    }

    @Test func llmcVersion2() throws {
        let v = try Vocabulary.load(llmcTokenizer: S.shared("checkpoints/tiny/llmc/gpt2_tokenizer.bin"))
        #expect(S.isGPT2(v))
    }

    @Test(arguments: [
        "checkpoints/tiny/hf-safetensors",               // tokenizer.json
        "checkpoints/tiny/hf-bin",                       // vocab.json + merges.txt
        "checkpoints/tiny/llmc",                         // gpt2_tokenizer.bin
        "checkpoints/tiny/hf-safetensors/merges.txt",    // a file of a pair
        "checkpoints/tiny/hf-safetensors/tokenizer.json",
        "llmc/gpt2_tokenizer_v1.bin",                    // by magic
        "vocab",                                         // encoder.json + vocab.bpe
        "vocab/gpt2.tiktoken",
        "checkpoints/tiny/openai-tf/vocab.bpe",
    ])
    func loadDetectsTheFormat(relative: String) throws {
        #expect(S.isGPT2(try Vocabulary.load(path: S.shared(relative))))
    }
}
