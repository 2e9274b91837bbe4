import Foundation
import GPT2Checkpoints
import GPT2Kernels
import GPT2ModelFile
import GPT2Support
@_exported import GPT2Runtime
@_exported import GPT2Tokenizer

/// A GPT-2 (or a bigram model file) and its tokenizer, loaded in one call from a model file or
/// any checkpoint GPT2Kit reads, ready to generate text, measure perplexity and tokenize.
///
///     let model = try TextModel(path: "gpt2.gpt2kit")
///     for try await piece in model.generate("Hello, I'm a language model,", maxTokens: 20) {
///         print(piece, terminator: "")
///     }
///
/// One model holds one KV cache, so calls that run it (`generate`, `perplexity`) take turns:
/// a second call waits for the first. Tokenizing never waits.
public final class TextModel: @unchecked Sendable {
    /// How a model is loaded.
    public struct Options: Sendable {
        /// Cores the forward pass uses, 1...64.
        public var threads: Int
        /// KV cache element type; nil picks f32 for f32 weights (exact), f16 otherwise.
        public var kvCache: KVCacheType?
        /// A vocabulary to use instead of the one found with the weights (any format
        /// `TextModel.vocabulary(at:)` reads). Without one, the weights' own tokenizer is used,
        /// else the default GPT-2 vocabulary (`Vocabulary.defaultLocation()`).
        public var vocabulary: String?
        /// The kernel set; nil takes `GPT2KIT_KERNELS` or the CPU's best.
        public var kernels: Kernels?

        /// Every core of this machine (at most 64), the default KV cache and tokenizer.
        public init(threads: Int = min(64, ProcessInfo.processInfo.activeProcessorCount),
                    kvCache: KVCacheType? = nil, vocabulary: String? = nil, kernels: Kernels? = nil) {
            self.threads = threads
            self.kvCache = kvCache
            self.vocabulary = vocabulary
            self.kernels = kernels
        }
    }

    /// Where the weights came from.
    public enum Source: Sendable, Equatable {
        /// A GPT2Kit model file, mapped (not copied).
        case modelFile
        /// A checkpoint in another layout, read and copied into memory.
        case checkpoint(CheckpointLayout)
    }

    /// The path the model was loaded from.
    public let path: String
    /// Model file or checkpoint layout.
    public let source: Source
    /// The model generation and perplexity run on: the GPT-2 (`gpt2`) or a bigram table (use
    /// it directly only while no other call runs).
    public let languageModel: any LanguageModel
    /// The GPT-2 forward pass with its KV cache; nil for a bigram model file.
    public let gpt2: GPT2Model?
    /// The model file's architecture: "gpt2" or "bigram".
    public let architecture: String
    /// The kernel set the model runs on.
    public let kernelSet: Kernels
    /// The tokenizer of the weights (or `Options.vocabulary`, or the default GPT-2 one).
    public let tokenizer: Tokenizer
    /// Seconds it took to open, validate and map or read the weights.
    public let loadSeconds: Double
    /// Element type of the big matrices, e.g. "f32" or "q8_0" (what the speed depends on); a
    /// bigram's table's type.
    public let weightType: String
    private let lock = NSLock()

    /// Loads `path`: a GPT2Kit model file, or a checkpoint file or directory in any layout
    /// `CheckpointLoader` reads (Hugging Face, OpenAI TensorFlow, nanoGPT, llm.c).
    public init(path: String, options: Options = Options()) throws {
        guard (1...64).contains(options.threads) else {
            throw RuntimeError.invalidOption("--threads must be in 1...64, got \(options.threads)")
        }
        let start = MonotonicClock.seconds()
        let kernels = try options.kernels ?? Kernels.fromEnvironment()   // a bad GPT2KIT_KERNELS stops here
        let found: Vocabulary?
        if Paths.isFile(path) && ModelFile.hasMagic(path: path) {
            let file = try ModelFile(path: path)
            found = file.vocabulary
            source = .modelFile
            if file.metadata.architecture == BigramLayout.architecture {
                // A bigram table: a row lookup per token, no KV cache, no threads to use.
                if let kv = options.kvCache {
                    throw RuntimeError.invalidOption("a bigram model has no KV cache; drop the KV cache type \(kv.rawValue)")
                }
                let bigram = try BigramLanguageModel(modelFile: file, kernels: kernels)
                (languageModel, gpt2, architecture) = (bigram, nil, BigramLayout.architecture)
                weightType = bigram.weightType.rawValue
            } else {
                let weights = try GPT2Weights(modelFile: file, threads: options.threads, kernels: kernels)
                let gpt = try GPT2Model(weights: weights, threads: options.threads, kvCache: options.kvCache, kernels: kernels)
                (languageModel, gpt2, architecture) = (gpt, gpt, "gpt2")
                weightType = file.info(TensorName.qkvWeight(0))?.type.rawValue ?? "?"
            }
        } else {
            let checkpoint = try CheckpointLoader.open(path)
            let weights = try GPT2Weights(config: checkpoint.config, threads: options.threads, kernels: kernels) {
                try checkpoint.load($0, threads: options.threads)
            }
            let gpt = try GPT2Model(weights: weights, threads: options.threads, kvCache: options.kvCache, kernels: kernels)
            (languageModel, gpt2, architecture) = (gpt, gpt, "gpt2")
            found = checkpoint.vocabulary
            source = .checkpoint(checkpoint.layout)
            weightType = checkpoint.tensors.first { $0.name == TensorName.qkvWeight(0) }?.type.rawValue ?? "?"
        }
        kernelSet = kernels
        loadSeconds = MonotonicClock.seconds() - start
        let vocabulary = try options.vocabulary.map { try Self.vocabulary(at: $0) }
            ?? found ?? Self.defaultVocabulary(for: path)
        tokenizer = try Tokenizer(vocabulary: vocabulary)
        self.path = path
    }

    /// The model's context: the most tokens it sees at once (n_ctx).
    public var contextLength: Int { languageModel.contextLength }

    /// The KV cache's element type; nil for a bigram model (it has none).
    public var kvCacheType: KVCacheType? { gpt2?.kvCacheType }

    /// The end-of-text token id, if the tokenizer has one.
    public var endOfText: Int? {
        tokenizer.vocabulary.eosID ?? tokenizer.vocabulary.specialTokens["<|endoftext|>"]
    }

    /// Runs `body` with the model to itself (one KV cache: calls take turns).
    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
