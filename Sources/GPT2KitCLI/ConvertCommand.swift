import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import GPT2Checkpoints
import GPT2Kernels
import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// `gpt2kit convert SRC -o OUT`: any supported checkpoint into one model file, a GGUF or a
/// Hugging Face directory.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a checkpoint into a GPT2Kit model file, a GGUF or a Hugging Face directory.",
        discussion: """
        SRC is a file or directory in any supported layout (safetensors, pytorch_model.bin, \
        nanoGPT ckpt.pt, OpenAI TensorFlow, llm.c, llama.cpp GGUF of architecture gpt2), or a \
        GPT2Kit model file to re-encode (e.g. --dtype q8_0, like llama-quantize). By default OUT \
        is a GPT2Kit model file; --to gguf (or OUT ending in .gguf) writes a GGUF that llama.cpp \
        runs (architecture gpt2, GPT-2 BPE tokenizers only); --to hf writes a Hugging Face \
        GPT2LMHeadModel directory (model.safetensors, config.json, tokenizer files; f32, or \
        --dtype f16/bf16). GGUF and Hugging Face exports need a GPT-2 model: neither llama.cpp \
        nor transformers has a bigram architecture. Tensors are streamed one at a time; the \
        output is written to a temporary file beside OUT and renamed at the end, so a failed or \
        interrupted conversion leaves nothing at OUT.
        Without --dtype every tensor keeps its source type (lossless). With --dtype, matrices take \
        it and vectors (LayerNorm, biases) stay f32; q8_0 needs rows that are a multiple of 32 \
        long, other matrices stay f32.
        --compress stores f32/f16/bf16 tensors with the lossless byteplanes-zstd codec (the ratios \
        measured on trained weights are in docs/BENCHMARKS-format.md). It is off by default: raw \
        tensors are used in place from the mapping (a 124M model loads in milliseconds and its \
        pages stay shared page cache), while compressed ones are decoded into private memory at \
        every load. Compress for storage and download, not for speed.
        """)

    @Argument(help: "Checkpoint file or directory, or a GPT2Kit model file to re-encode.")
    var source: String

    @Option(name: .shortAndLong, help: "Model file, GGUF file or (--to hf) directory to write.")
    var output: String?

    @Option(help: ArgumentHelp("Tokenizer to embed (any format: tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe, .tiktoken, gpt2_tokenizer.bin, or their directory).",
                               discussion: "Default: the one beside the weights (nanoGPT: meta.pkl, else GPT-2's from the installed Vocab/)."))
    var vocab: String?

    @Option(help: "Element type of the matrices (default: keep the source's).")
    var dtype: ElementType?

    @Option(help: "Output format: gpt2kit (model file), gguf (llama.cpp, architecture gpt2) or hf (a Hugging Face GPT2LMHeadModel directory). Default: gguf when OUT ends in .gguf, else gpt2kit.")
    var to: ExportFormat?

    @Flag(inversion: .prefixedNo, help: "Lossless byteplanes-zstd compression of float tensors.")
    var compress = false

    @Flag(name: .customLong("dry-run"), help: "Print the plan (tensors, shapes, bytes in and out) and write nothing.")
    var dryRun = false

    @Flag(help: "Reopen the written file and compare every tensor with the source (bit-exact when lossless).")
    var verify = false

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @Option(name: [.customShort("t"), .long], help: "Cores for compression and verification.")
    var threads: Int = 2

    func validate() throws {
        guard dryRun || output != nil else { throw ValidationError("missing -o OUT (or use --dry-run)") }
        if dryRun && verify {
            throw ValidationError("--verify compares the written file with the source, and --dry-run writes nothing: use one or the other")
        }
        try ThreadCount.validate(threads)
        if ExportFormat.resolve(to, output: output) != .gpt2kit {
            if compress { throw ValidationError("--compress applies to GPT2Kit model files only") }
            if dryRun { throw ValidationError("--dry-run plans GPT2Kit model files only") }
        }
    }

    var options: ConvertOptions {
        ConvertOptions(dtype: dtype, compress: compress, threads: threads)
    }

    func run() throws {
        _ = try Kernels.fromEnvironment()      // a bad GPT2KIT_KERNELS stops here, before any output
        TemporaryFiles.installSignalCleanup()
        // Each tensor is a fresh array of up to ~10 MB (wte, 154 MB, is always mapped on its
        // own). glibc's default puts them in the heap only after adapting, and trims freed heap
        // top memory at once, so nearly every tensor came back as new zeroed pages (page faults
        // were 6 % of a raw 124M conversion's samples). Serving blocks below 32 MiB from the heap
        // and keeping up to 64 MiB of freed heap top lets the next tensor reuse the last one's
        // pages; the codec keeps its per-core buffers in a pool (PlaneWorkers.swift), so worker
        // threads no longer allocate per chunk.
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 32 << 20)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 64 << 20)
        try ExportFormat.resolve(to, output: output).checkExportable(source)
        var checkpoint = try CheckpointLoader.open(source, vocabularyPath: vocab)
        if vocab == nil, checkpoint.layout == .nanoGPT, checkpoint.vocabulary != nil,
           !checkpoint.sourceFiles.contains(where: { $0.hasSuffix("/meta.pkl") || $0 == "meta.pkl" }),
           let found = try? Vocabulary.defaultLocation() {
            // nanoGPT's ckpt.pt holds no tokenizer: its reader took GPT-2's from the default
            // search, which depends on where gpt2kit runs. Say which one, and record its files.
            writeStderr("notice: \(source) has no tokenizer; embedding GPT-2's from \(found) (pass --vocab PATH to choose)\n")
            checkpoint = try CheckpointLoader.open(source, vocabularyPath: found)
        }
        let format = ExportFormat.resolve(to, output: output)
        if format != .gpt2kit, let output { return try runExport(checkpoint, format: format, output: output) }
        if let output, !dryRun { try OutputPathCheck.check(output: output, sources: [source] + checkpoint.sourceFiles) }
        if checkpoint.vocabulary == nil {
            // Without a tokenizer the file cannot encode a prompt by itself; say so rather than
            // letting the runtime fall back to whatever vocabulary it finds later.
            writeStderr("warning: no tokenizer found for \(source); the model file will have none "
                        + "(pass --vocab PATH to embed one)\n")
        }
        let plan = Converter.plan(checkpoint, options: options)
        if options.dtype == .q8_0 {
            // q8_0 blocks are 32 values along a row; other matrices keep f32 (see the help).
            let kept = plan.filter { $0.shape.count == 2 && $0.targetType == .f32 && $0.shape[1] % 32 != 0 }
            if !kept.isEmpty {
                writeStderr("notice: kept in f32 (rows not a multiple of 32 long, q8_0 needs whole blocks of 32): "
                            + kept.map { "\($0.name) \($0.shape.map(String.init).joined(separator: "x"))" }.joined(separator: ", ") + "\n")
            }
        }
        let bytesIn = plan.reduce(0) { $0 + $1.bytesIn }, bytesOut = plan.reduce(0) { $0 + $1.bytesOut }
        if dryRun {
            if json {
                printJSON(.object([
                    "dry_run": .bool(true), "source": .string(source), "layout": .string(checkpoint.layout.rawValue),
                    "bytes_in": .number(Double(bytesIn)), "bytes_out": .number(Double(bytesOut)),
                    "compress": .bool(compress),
                    "tensors": .array(plan.map { p in .object([
                        "name": .string(p.name), "shape": .array(p.shape.map { .number(Double($0)) }),
                        "source_dtype": .string(p.sourceType.rawValue), "dtype": .string(p.targetType.rawValue),
                        "bytes_in": .number(Double(p.bytesIn)), "bytes_out": .number(Double(p.bytesOut)),
                    ]) }),
                ]))
            } else {
                print("plan: \(source) (\(checkpoint.layout.rawValue)) -> \(output ?? "(dry run)")")
                let w = max(8, plan.map(\.name.count).max() ?? 0) + 1
                print(pad("tensor", w) + pad("shape", 16) + pad("from", 6) + pad("to", 6) + lpad("bytes in", 12) + lpad("bytes out", 12))
                for p in plan {
                    print(pad(p.name, w) + pad(p.shape.map(String.init).joined(separator: "x"), 16)
                          + pad(p.sourceType.rawValue, 6) + pad(p.targetType.rawValue, 6)
                          + lpad(String(p.bytesIn), 12) + lpad(String(p.bytesOut), 12))
                }
                print("\(plan.count) tensors, \(megabytes(bytesIn)) MB in, \(megabytes(bytesOut)) MB out before compression"
                      + (compress ? " (byteplanes-zstd on)" : ""))
            }
            return
        }
        let out = output!
        var bar = ProgressBar(label: "convert", enabled: !json)
        let summary = try Converter.convert(checkpoint, to: out, options: options) { bar.update($0, $1) }
        var verified: [VerifiedTensor]?
        if verify { verified = try Converter.verify(checkpoint, modelFile: out, options: options) }
        let maxErr = verified?.map(\.maxAbsError).max() ?? 0
        if json {
            var o: [String: JSON] = [
                "output": .string(out), "source": .string(source), "layout": .string(summary.layout.rawValue),
                "dtype": dtype.map { .string($0.rawValue) } ?? .null, "compress": .bool(compress),
                "tensors": .number(Double(summary.tensors.count)), "bytes_in": .number(Double(summary.bytesIn)),
                "file_bytes": .number(Double(summary.fileSize)), "seconds": .number(summary.seconds),
                "compressed_tensors": .number(Double(summary.tensors.filter { $0.codec != .raw }.count)),
            ]
            o["verified"] = verify ? .bool(true) : .null
            if verify { o["max_abs_error"] = .number(Double(maxErr)) }
            printJSON(.object(o))
        } else {
            let mbps = Double(summary.bytesIn) / 1e6 / max(summary.seconds, 1e-9)
            print("wrote \(out): \(summary.tensors.count) tensors, \(megabytes(summary.bytesIn)) MB in -> "
                  + "\(megabytes(summary.fileSize)) MB (\(format3(Double(summary.fileSize) / Double(max(summary.bytesIn, 1))))) "
                  + "in \(format3(summary.seconds)) s (\(Int(mbps)) MB/s)")
            if verify {
                print("verified: every tensor matches the source" + (maxErr > 0 ? " (lossy: max |error| \(maxErr))" : " bit-exactly"))
            }
        }
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }

/// glibc's `mallopt` (declared in malloc.h, which the Glibc module does not import).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
