import ArgumentParser
import GPT2Kit
import GPT2Runtime
import GPT2Tokenizer

/// `gpt2kit generate`: nanoGPT's sample.py over a model file, with a KV cache.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text with a model file.",
        discussion: """
        The prompt comes from -p, -f FILE or standard input; special-token text such as \
        <|endoftext|> in it is refused unless --allow-special or --special-as-text says what it \
        means (the rule of tokenize and perplexity too). Text streams to stdout (prompt, then the continuation; samples separated by a line \
        of dashes, as nanoGPT prints them); timings go to stderr. With --json, one JSON object \
        with the texts, token ids and timings is printed at the end instead.
        Past the model's context (n_ctx) each new token is predicted from the last n_ctx tokens by \
        a full recompute over them (nanoGPT's crop to block_size); -n -1 stops instead when the \
        context is full (or at end of text).
        Sampling, in llama.cpp's order: --repeat-penalty on the logits, then --top-k, --top-p (at \
        the temperature), --min-p (at temperature 1, as llama.cpp), one draw at --temp. Without \
        --seed a random seed is used (printed by --json as "seed"); --seed 1337 is nanoGPT's.
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .shortAndLong, help: "Prompt text.")
    var prompt: String?

    @Option(name: .shortAndLong, help: "Read the prompt from this file.")
    var file: String?

    @Option(name: .customShort("n"), parsing: .unconditional,
            help: "Tokens to generate per sample; -1: until end of text or the context is full.")
    var tokens: Int = 100

    @Option(name: .customLong("temp"), help: "Temperature; 0 is greedy (argmax).")
    var temperature: Float = 0.8

    @Option(name: .customLong("top-k"), help: "Keep only the k most likely tokens (0 = all).")
    var topK: Int = 200

    @Option(name: .customLong("top-p"), help: "Nucleus sampling: keep the most likely tokens up to this probability mass, in (0, 1].")
    var topP: Float = 1

    @Option(name: .customLong("min-p"), help: "Keep only tokens at least this fraction as likely as the most likely one (0 = off).")
    var minP: Float = 0

    @Option(name: .customLong("repeat-penalty"), help: "Divide the logits of tokens seen in the last --repeat-last-n by this (1 = off).")
    var repeatPenalty: Float = 1

    @Option(name: .customLong("repeat-last-n"), help: "Recent tokens (prompt included) the repeat penalty looks at.")
    var repeatLastN: Int = 64

    @Option(help: "Seed of the sampler's random numbers (same seed, same text, on every machine; default: random).")
    var seed: UInt64?

    @OptionGroup var special: SpecialTokenOptions

    @Option(name: .customLong("num-samples"), help: "Samples to generate from the same prompt.")
    var numSamples: Int = 1

    @Flag(name: .customLong("ignore-eos"), help: "Keep going after <|endoftext|>.")
    var ignoreEOS = false

    @Flag(help: "Print one JSON object (texts, ids, timings) instead of streaming text.")
    var json = false

    func validate() throws {
        guard prompt == nil || file == nil else { throw ValidationError("give the prompt with -p or -f, not both") }
        guard tokens >= -1 else { throw ValidationError("-n must be >= 0, or -1 for the whole context, got \(tokens)") }
        guard numSamples >= 1 else { throw ValidationError("--num-samples must be >= 1, got \(numSamples)") }
        do { try sampling().validate() } catch let e as RuntimeError { throw ValidationError(e.description) }
    }

    /// The sampling options with `seed` (the given one, or a random one drawn once per run).
    func sampling(seed: UInt64 = 1337) -> SamplingOptions {
        SamplingOptions(temperature: temperature, topK: topK == 0 ? nil : topK, topP: topP, minP: minP,
                        repeatPenalty: repeatPenalty, repeatLastN: repeatLastN, seed: seed)
    }

    func run() throws {
        let start = Clock.now()
        let text = try TextInput.read(text: prompt, file: file)
        let loaded = try LoadedModel(modelOptions)
        let tok = loaded.tokenizer
        let ids = try special.tokenize(text, input: SpecialTokenOptions.inputName(prompt: prompt, file: file), with: loaded)
        guard !ids.isEmpty else { throw RuntimeError.emptyPrompt }
        let nCtx = loaded.contextLength
        guard ids.count <= nCtx else { throw RuntimeError.promptTooLong(tokens: ids.count, nCtx: nCtx) }
        let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
        var sampler = try Sampler(options: sampling(seed: seed))
        let promptText = try tok.decode(ids)

        var samples: [[String: Any]] = []
        var all = GenerationStats()
        var firstTokenSeconds = 0.0
        for n in 0..<numSamples {
            var decoder = StreamingDecoder(tokenizer: tok)
            var generated: [Int] = []
            if !json {
                if n > 0 { Output.out("\n---------------\n") }
                Output.out(promptText)
            }
            let stats = try loaded.generate(ids: ids, maxTokens: tokens < 0 ? nil : tokens, sampler: &sampler,
                                            stopAtEndOfText: !ignoreEOS) { id in
                generated.append(id)
                if !json { Output.out(try decoder.push(id)) }
                if n == 0 && generated.count == 1 { firstTokenSeconds = Clock.now() - start }
            }
            if !json { Output.out(decoder.finish()) }
            all.promptTokens += stats.promptTokens
            all.promptSeconds += stats.promptSeconds
            all.generatedTokens += stats.generatedTokens
            all.decodeSteps += stats.decodeSteps
            all.decodeSeconds += stats.decodeSeconds
            samples.append([
                "text": try tok.decode(generated), "ids": generated,
                "generated_tokens": stats.generatedTokens, "stopped_at_eos": stats.stoppedAtEOS,
                "prompt_tok_per_s": Output.r3(stats.promptTokensPerSecond),
                "generation_tok_per_s": Output.r3(stats.decodeTokensPerSecond),
            ])
        }
        if !json { Output.out("\n") }
        let rss = ResidentMemory.current()
        let report: [String: Any] = [
            "rss_anon_mib": Output.r3(rss?.anon ?? 0), "rss_file_mib": Output.r3(rss?.file ?? 0),
            "model": modelOptions.model, "seed": seed, "weights": loaded.weightType, "threads": modelOptions.threads,
            "kv_cache": loaded.kvCacheName, "kernels": loaded.kernels,
            "load_ms": Output.r3(loaded.loadSeconds * 1000),
            "prompt": promptText, "prompt_ids": ids,
            "prompt_tokens": ids.count,
            "prompt_ms": Output.r3(all.promptSeconds * 1000 / Double(numSamples)),
            "prompt_tok_per_s": Output.r3(all.promptTokensPerSecond),
            "generated_tokens": all.generatedTokens,
            "generation_steps": all.decodeSteps,
            "generation_ms": Output.r3(all.decodeSeconds * 1000),
            "generation_tok_per_s": Output.r3(all.decodeTokensPerSecond),
            "time_to_first_token_ms": Output.r3(firstTokenSeconds * 1000),
            "samples": samples,
        ]
        if json {
            Output.out(try Output.json(report) + "\n")
        } else {
            Output.err(String(format: "load %.1f ms | prompt %d tokens, %.1f tok/s | generation %d tokens, %.1f tok/s | first token %.1f ms (%@, KV cache %@, %d thread%@)\n",
                              loaded.loadSeconds * 1000, ids.count, all.promptTokensPerSecond,
                              all.generatedTokens, all.decodeTokensPerSecond, firstTokenSeconds * 1000,
                              loaded.weightType, loaded.kvCacheName, modelOptions.threads, modelOptions.threads == 1 ? "" : "s"))
        }
    }
}
