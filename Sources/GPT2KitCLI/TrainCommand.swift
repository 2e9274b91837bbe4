import ArgumentParser
import Foundation
import GPT2Checkpoints
import GPT2Kit
import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer
import GPT2Training

extension TrainingData.TokenizerKind: ExpressibleByArgument, CaseInsensitiveArgument {}
extension TrainingOptions.ModelKind: ExpressibleByArgument, CaseInsensitiveArgument {}

/// `gpt2kit train`: nanoGPT's train.py on the CPU (docs/TRAINING.md).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a GPT-2 (nanoGPT) or bigram model on a text file or nanoGPT's train.bin/val.bin.",
        discussion: """
        DATA is a text file (tokenized with --tokenizer; the first 90% trains, the last 10% \
        validates, as nanoGPT's prepare.py splits) or a directory holding nanoGPT's train.bin and \
        val.bin (uint16 ids; with its meta.pkl when they are character ids). Defaults are nanoGPT's \
        CPU "baby GPT" for shakespeare_char. Writes -o FILE (a model file, when the validation \
        loss improves), FILE.resume (the state --resume continues from) and FILE.loss.svg. \
        Ctrl-C finishes the step, writes the resume state and exits.
        """)

    @Argument(help: "Text file, or a directory with nanoGPT's train.bin and val.bin.")
    var data: String

    @Option(name: .shortAndLong, help: "Model file to write (also FILE.resume and FILE.loss.svg).")
    var output: String

    @Option(help: "Tokenizer of a text file.")
    var tokenizer: TrainingData.TokenizerKind = .gpt2

    @Option(help: "GPT-2 vocabulary for --tokenizer gpt2 (any vocabulary file or directory, or a model file) (default: the installed one).")
    var vocab: String?

    @Option(help: "Model: nanoGPT's GPT, or the lecture's bigram table (default: gpt).")
    var model: TrainingOptions.ModelKind?

    @Option(name: .customLong("n-layer"), help: "Transformer blocks (default 4).") var nLayer: Int?
    @Option(name: .customLong("n-head"), help: "Attention heads (default 4).") var nHead: Int?
    @Option(name: .customLong("n-embd"), help: "Embedding width (default 128).") var nEmbd: Int?
    @Option(name: .customLong("block-size"), help: "Context length trained on (default 64).") var blockSize: Int?
    @Option(help: "Dropout probability (default 0).") var dropout: Float?
    @Flag(inversion: .prefixedNo, help: "Biases in linear layers and LayerNorms (default: without, as nanoGPT's train.py).") var bias: Bool?

    @Option(name: .customLong("batch-size"), help: "Windows per micro-batch (default 12).") var batchSize: Int?
    @Option(name: .customLong("grad-accum"), help: "Micro-batches per optimiser step (default 1).") var gradAccum: Int?
    @Option(name: .customLong("max-iters"), help: "Optimiser steps (default 2000).") var maxIters: Int?
    @Option(help: "Peak learning rate (default 1e-3).") var lr: Float?
    @Option(name: .customLong("min-lr"), help: "Learning rate at the end of the cosine decay (default 1e-4).") var minLR: Float?
    @Option(name: .customLong("warmup-iters"), help: "Linear warmup steps (default 100).") var warmupIters: Int?
    @Option(name: .customLong("lr-decay-iters"), help: "Step where the cosine decay ends (default 2000).") var lrDecayIters: Int?
    @Option(help: "AdamW β1 (default 0.9).") var beta1: Float?
    @Option(help: "AdamW β2 (default 0.99).") var beta2: Float?
    @Option(name: .customLong("weight-decay"), help: "AdamW weight decay of matrices (default 0.1).") var weightDecay: Float?
    @Option(name: .customLong("grad-clip"), help: "Clip the global gradient norm to this (0 = off; default 1.0).") var gradClip: Float?
    @Option(help: "Seed of the initialisation, batches and dropout (default 1337).") var seed: UInt64?

    @Option(name: .customLong("eval-interval"), help: "Evaluate every N steps (default 250).") var evalInterval: Int?
    @Option(name: .customLong("eval-iters"), help: "Batches per split per evaluation (default 20).") var evalIters: Int?
    @Option(name: .customLong("log-interval"), help: "Progress line every N steps (default 10).") var logInterval: Int?

    @Option(name: [.customShort("t"), .long], help: "Cores to use (1 to 64; default: 2, or 1 on a one-core machine).")
    var threads: Int = ThreadCount.defaultCount

    @Option(name: .customLong("init-from"), help: "Fine-tune this GPT-2 model file instead of starting from random weights.")
    var initFrom: String?

    @Flag(help: "Continue the run of -o FILE from FILE.resume (only --max-iters, --eval-interval, --log-interval and -t may change).")
    var resume = false

    @Flag(help: "One JSON object per step and evaluation on standard output.")
    var json = false

    func validate() throws {
        try ThreadCount.validate(threads)
        if resume {
            let fixed: [(String, Bool)] = [
                ("--model", model != nil), ("--n-layer", nLayer != nil), ("--n-head", nHead != nil), ("--n-embd", nEmbd != nil),
                ("--block-size", blockSize != nil), ("--dropout", dropout != nil), ("--bias", bias != nil),
                ("--batch-size", batchSize != nil), ("--grad-accum", gradAccum != nil), ("--lr", lr != nil),
                ("--min-lr", minLR != nil), ("--warmup-iters", warmupIters != nil), ("--lr-decay-iters", lrDecayIters != nil),
                ("--beta1", beta1 != nil), ("--beta2", beta2 != nil), ("--weight-decay", weightDecay != nil),
                ("--grad-clip", gradClip != nil), ("--seed", seed != nil), ("--eval-iters", evalIters != nil),
                ("--init-from", initFrom != nil),
            ]
            if let given = fixed.first(where: { $0.1 }) {
                throw ValidationError("\(given.0) cannot change on --resume: the run continues with the options in \(ResumeState.path(forModel: output))")
            }
        }
    }

    /// The options from the command line over the defaults (or over the resumed run's).
    func options(base: TrainingOptions) -> TrainingOptions {
        var o = base
        if let model { o.model = model }
        if let nLayer { o.nLayer = nLayer }
        if let nHead { o.nHead = nHead }
        if let nEmbd { o.nEmbd = nEmbd }
        if let blockSize { o.blockSize = blockSize }
        if let dropout { o.dropout = dropout }
        if let bias { o.bias = bias }
        if let batchSize { o.batchSize = batchSize }
        if let gradAccum { o.gradientAccumulation = gradAccum }
        if let maxIters { o.maxIters = maxIters }
        if let lr { o.learningRate = lr }
        if let minLR { o.minLearningRate = minLR }
        if let warmupIters { o.warmupIters = warmupIters }
        if let lrDecayIters { o.lrDecayIters = lrDecayIters }
        if let beta1 { o.beta1 = beta1 }
        if let beta2 { o.beta2 = beta2 }
        if let weightDecay { o.weightDecay = weightDecay }
        if let gradClip { o.gradClip = gradClip }
        if let seed { o.seed = seed }
        if let evalInterval { o.evalInterval = evalInterval }
        if let evalIters { o.evalIters = evalIters }
        if let logInterval { o.logInterval = logInterval }
        return o
    }

    func run() throws {
        TemporaryFiles.installSignalCleanup()
        // Before any work: -o must not be a directory or the data, and its directory must exist.
        try OutputPathCheck.check(output: output, sources: [data, Paths.join(data, "train.bin"), Paths.join(data, "val.bin")])
        let resumed = resume ? try ResumeState(path: ResumeState.path(forModel: output)) : nil
        let opts = options(base: resumed?.header.options ?? TrainingOptions())
        try opts.validate()
        let tokenizerName = resumed?.header.tokenizer ?? (Paths.isDirectory(data) ? binaryTokenizer : tokenizer.rawValue)
        let trainingData = try loadData(tokenizerName: tokenizerName)
        try trainingData.check(blockSize: opts.blockSize)

        let initFile = try initFrom.map { path -> ModelFile in
            do { return try ModelFile(path: path) } catch {
                throw TrainingError(.badConfiguration, "--init-from \(path): \(error)", hint: "give a model file written by gpt2kit convert or train")
            }
        }
        let config = try modelConfig(opts, data: trainingData, initFile: initFile, resumed: resumed)
        let plan = try MemoryPlan(config: config, bigram: opts.model == .bigram, batch: opts.batchSize, length: opts.blockSize,
                                  threads: threads)
        Output.err("model: \(describe(config, opts)), \(plan.parameterCount) parameters; data: \(trainingData.train.count) train / \(trainingData.validation.count) val tokens (\(tokenizerName))\n")
        Output.err("memory: \(plan.summary); total \(MemoryPlan.format(plan.totalBytes)) of \(MemoryPlan.format(MemoryPlan.physicalMemory))\n")
        try plan.check()

        let trainable = try makeModel(opts, config: config, initFile: initFile)
        let trainer = try Trainer(options: opts, data: trainingData, model: trainable, modelPath: output,
                                  tokenizerName: tokenizerName, initFrom: resumed?.header.initFrom ?? initFrom, resume: resumed)
        if let resumed { Output.err("resuming at step \(resumed.header.step) of \(opts.maxIters)\n") }
        TrainInterrupt.install()
        let progress = TrainProgress(options: opts, json: json, startStep: trainer.step, modelPath: output)
        let outcome = try trainer.run(shouldStop: { TrainInterrupt.caught != 0 }, events: progress.report)
        switch outcome {
        case .finished:
            progress.done(trainer, status: "finished")
        case .interrupted(let step):
            progress.done(trainer, status: "interrupted")
            Output.err("interrupted at step \(step): state written to \(trainer.resumePath); continue with --resume\n")
            throw ExitCode(128 + TrainInterrupt.caught)
        }
    }

    /// nanoGPT's .bin files hold GPT-2 ids unless a meta.pkl says they are characters.
    var binaryTokenizer: String { Paths.exists(Paths.join(data, "meta.pkl")) ? "char" : "gpt2" }

    func loadData(tokenizerName: String) throws -> TrainingData {
        if Paths.isDirectory(data) {
            let meta = Paths.join(data, "meta.pkl")
            let v = tokenizerName == "char" ? try Vocabulary.nanoGPTMeta(path: meta) : try bpeVocabulary()
            return try TrainingData.binaries(directory: data, vocabulary: v)
        }
        let kind = TrainingData.TokenizerKind(rawValue: tokenizerName) ?? .gpt2
        return try TrainingData.text(path: data, tokenizer: kind, bpe: { try Tokenizer(vocabulary: bpeVocabulary()) })
    }

    func bpeVocabulary() throws -> Vocabulary {
        try vocab.map { try TextModel.vocabulary(at: $0) } ?? Vocabulary.loadDefault()
    }

    func modelConfig(_ o: TrainingOptions, data: TrainingData, initFile: ModelFile?, resumed: ResumeState?) throws -> GPT2Config {
        if let resumed {
            let h = resumed.header
            guard h.vocabularySize == data.vocabularySize else {
                throw TrainingError(.vocabularyMismatch,
                                    "\(self.data): \(data.vocabularySize) tokens in the vocabulary, the resumed run had \(h.vocabularySize)",
                                    hint: "resume with the same data (and tokenizer) as the run that wrote \(ResumeState.path(forModel: output))")
            }
            return h.config
        }
        if let initFile {
            let wanted = o.model == .bigram ? BigramLayout.architecture : "gpt2"
            guard let c = initFile.config, initFile.metadata.architecture == wanted else {
                throw TrainingError(.badConfiguration,
                                    "--init-from \(initFile.path): architecture \"\(initFile.metadata.architecture)\", --model \(o.model.rawValue) needs \"\(wanted)\"",
                                    hint: "give a model file of the same architecture (--model bigram for a bigram file)")
            }
            if let v = initFile.metadata.vocabulary, v.tokens != data.vocabulary.tokens || v.kind != data.vocabulary.kind {
                throw TrainingError(.vocabularyMismatch, vocabularyDifference(model: v, data: data.vocabulary, file: initFile.path),
                                    hint: "fine-tune on data with the model's tokenizer (--tokenizer gpt2 for GPT-2 models; for a character model, text with exactly its characters)")
            }
            guard c.vocabSize >= data.vocabularySize else {
                throw TrainingError(.vocabularyMismatch, "--init-from \(initFile.path): \(c.vocabSize) embedding rows, the data needs \(data.vocabularySize)",
                                    hint: "fine-tune on data with the model's tokenizer")
            }
            guard o.blockSize <= c.nCtx else {
                throw TrainingError(.badConfiguration, "--block-size \(o.blockSize) is above the model's context \(c.nCtx) (\(initFile.path))",
                                    hint: "use --block-size \(c.nCtx) or less")
            }
            return c
        }
        var c = GPT2Config(nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd, nCtx: o.blockSize, vocabSize: data.vocabularySize,
                           activation: .geluErf, bias: o.bias, tiedHead: true)
        if o.model == .bigram {
            // The runtime's window (the model itself looks at one token): at least the block size.
            c = BigramLayout.config(vocabularySize: data.vocabularySize,
                                    contextLength: max(o.blockSize, BigramLayout.defaultContextLength))
        }
        do { try c.validate() } catch {
            throw TrainingError(.badConfiguration, "invalid model: \(error.key) = \(error.value), expected \(error.expected)",
                                hint: "see the limits in docs/TRAINING.md")
        }
        return c
    }

    func vocabularyDifference(model v: Vocabulary, data d: Vocabulary, file: String) -> String {
        var s = "--init-from \(file): its vocabulary (\(v.kind.rawValue), \(v.tokens.count) tokens) differs from the data's (\(d.kind.rawValue), \(d.tokens.count) tokens)"
        if v.kind == .characters, d.kind == .characters {
            let mv = Set(v.tokens), dv = Set(d.tokens)
            let missing = d.tokens.filter { !mv.contains($0) }.map { String(decoding: $0, as: UTF8.self).debugDescription }
            let extra = v.tokens.filter { !dv.contains($0) }.map { String(decoding: $0, as: UTF8.self).debugDescription }
            if !missing.isEmpty { s += "; the data has \(missing.prefix(10).joined(separator: " ")) the model lacks" }
            if !extra.isEmpty { s += "; the model has \(extra.prefix(10).joined(separator: " ")) the data lacks" }
            if missing.isEmpty && extra.isEmpty { s += "; the same characters in another order" }
        }
        return s
    }

    func makeModel(_ o: TrainingOptions, config: GPT2Config, initFile: ModelFile?) throws -> TrainableModel {
        if o.model == .bigram {
            if let initFile { return try BigramModel(initializingFrom: initFile, seed: o.seed) }
            return try BigramModel(vocabularySize: config.vocabSize, seed: o.seed, contextLength: config.nCtx)
        }
        if let initFile {
            return try TrainableGPT(initializingFrom: initFile, dropout: o.dropout, seed: o.seed, threads: threads)
        }
        let gpt = try TrainableGPT(config: config, dropout: o.dropout, seed: o.seed, threads: threads)
        gpt.dropoutRandomState = o.seed
        return gpt
    }

    func describe(_ c: GPT2Config, _ o: TrainingOptions) -> String {
        o.model == .bigram ? "bigram, vocab \(c.vocabSize)"
            : "GPT n_layer \(c.nLayer), n_head \(c.nHead), n_embd \(c.nEmbd), block \(o.blockSize), vocab \(c.vocabSize), bias \(c.bias)"
    }
}
