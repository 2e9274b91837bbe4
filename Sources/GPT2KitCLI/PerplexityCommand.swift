import ArgumentParser
import Foundation
import GPT2Kit
import GPT2Runtime

/// `gpt2kit perplexity`: mean next-token cross-entropy of a text, a correctness check users can
/// run (windows: see `Perplexity`).
struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity", abstract: "Mean next-token loss and perplexity of a text.",
        discussion: """
        The text (-f FILE or standard input) is tokenized (special-token text such as \
        <|endoftext|> is refused unless --allow-special or --special-as-text says what it means, \
        the rule of tokenize and generate) and cut into consecutive \
        windows of n_ctx input tokens; each window starts with an empty context and predicts the \
        token after each of its inputs, so every token but the first is predicted once. Reports \
        the mean cross-entropy over all predicted tokens (nats) and its exp, the perplexity.
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .shortAndLong, help: "Text file (default: standard input).")
    var file: String?

    @OptionGroup var special: SpecialTokenOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let text = try TextInput.read(text: nil, file: file)
        let loaded = try LoadedModel(modelOptions)
        // Through `encode`, so a character-level vocabulary refuses a character it lacks
        // instead of dropping it.
        let ids = try special.tokenize(text, input: SpecialTokenOptions.inputName(prompt: nil, file: file), with: loaded)
        let start = Clock.now()
        // Progress on a terminal only (long texts take minutes: 338k tokens of Shakespeare).
        let tty = isatty(STDERR_FILENO) != 0
        let r = try loaded.perplexity(ids: ids) { done, total in
            if tty { Output.err("\rwindow \(done)/\(total)" + (done == total ? "\n" : "")) }
        }
        let seconds = Clock.now() - start
        if json {
            Output.out(try Output.json([
                "model": modelOptions.model, "tokens": ids.count, "predicted_tokens": r.predictedTokens,
                "windows": r.windows, "n_ctx": loaded.contextLength,
                "weights": loaded.weightType, "kv_cache": loaded.kvCacheName, "kernels": loaded.kernels,
                "loss": r.meanLoss, "perplexity": r.perplexity,
                "seconds": Output.r3(seconds), "tok_per_s": Output.r3(Double(ids.count) / seconds),
            ]) + "\n")
        } else {
            Output.out(String(format: "tokens %d, predicted %d in %d window(s) of n_ctx %d\nloss %.6f nats/token\nperplexity %.4f\n",
                              ids.count, r.predictedTokens, r.windows, loaded.contextLength,
                              r.meanLoss, r.perplexity))
            Output.err(String(format: "%.2f s, %.1f tok/s\n", seconds, Double(ids.count) / seconds))
        }
    }
}
