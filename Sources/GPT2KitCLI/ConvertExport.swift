import ArgumentParser
import GPT2Checkpoints
import GPT2ModelFile

/// What `convert` writes: a GPT2Kit model file, a llama.cpp GGUF or a Hugging Face directory.
enum ExportFormat: String, CaseInsensitiveArgument {
    case gpt2kit, gguf, hf

    /// `--to`, or else the output's extension (`.gguf`).
    static func resolve(_ to: ExportFormat?, output: String?) -> ExportFormat {
        if let to { return to }
        return output?.lowercased().hasSuffix(".gguf") == true ? .gguf : .gpt2kit
    }

    /// GGUF and Hugging Face exports are GPT-2 only: a GPT2Kit model file of another
    /// architecture (bigram) is refused with the reason (the target has no such architecture)
    /// rather than the re-encoder's "only gpt2 model files convert".
    func checkExportable(_ source: String) throws {
        guard self != .gpt2kit, ModelFile.hasMagic(path: source) else { return }
        let file = try ModelFile(path: source)
        guard file.config == nil else { return }
        let arch = file.metadata.architecture
        let target = self == .gguf ? "llama.cpp has no \(arch) architecture (GGUF export writes architecture gpt2)"
            : "Hugging Face transformers has no \(arch) architecture (--to hf writes a GPT2LMHeadModel)"
        throw CheckpointError(.unsupported, file: source, "architecture \"\(arch)\": \(target)",
                              hint: "--to \(rawValue) needs a GPT-2 model (e.g. `gpt2kit train --model gpt`); "
                                  + "a \(arch) model file runs in gpt2kit itself (generate, perplexity)")
    }
}

extension ConvertCommand {
    /// `--to gguf` / `--to hf`: the exporters in GPT2Checkpoints, then (with --verify) the
    /// written file read back through GPT2Kit's reader of that layout.
    func runExport(_ checkpoint: any Checkpoint, format: ExportFormat, output: String) throws {
        let dtype = options.dtype
        let summary: ExportSummary
        var notes: [String] = []
        switch format {
        case .gguf:
            try OutputPathCheck.check(output: output, sources: [source] + checkpoint.sourceFiles)
            summary = try GGUFExport.write(checkpoint, to: output, dtype: dtype, threads: threads)
        case .hf:
            let r = try HFExport.write(checkpoint, to: output, dtype: dtype, threads: threads)
            summary = r.summary
            notes = r.notes
        case .gpt2kit:
            return
        }
        for n in notes { writeStderr("notice: \(n)\n") }
        if verify {
            let back: any Checkpoint = format == .gguf ? try GGUFCheckpoint(path: output) : try SafetensorsCheckpoint(path: output)
            try ExportVerify.compare(source: checkpoint, written: back, threads: threads)
        }
        if json {
            printJSON(.object([
                "output": .string(output), "source": .string(source), "layout": .string(checkpoint.layout.rawValue),
                "format": .string(format.rawValue), "dtype": dtype.map { .string($0.rawValue) } ?? .null,
                "tensors": .array(summary.tensors.map { t in .object([
                    "name": .string(t.name), "dtype": .string(t.type.rawValue),
                    "shape": .array(t.shape.map { .number(Double($0)) }),
                ]) }),
                "seconds": .number(summary.seconds), "verified": verify ? .bool(true) : .null,
                "notes": .array(notes.map { .string($0) }),
            ]))
        } else {
            let types = Dictionary(grouping: summary.tensors, by: \.type.rawValue).map { "\($0.value.count) \($0.key)" }.sorted()
            print("wrote \(output) (\(format == .gguf ? "GGUF, llama.cpp gpt2" : "Hugging Face GPT2LMHeadModel")): "
                  + "\(summary.tensors.count) tensors (\(types.joined(separator: ", "))) in \(format3(summary.seconds)) s")
            if verify { print("verified: read back through GPT2Kit's \(format.rawValue) reader, every tensor bit-exact") }
        }
    }
}
