import ArgumentParser
import GPT2Checkpoints
import GPT2ModelFile
import GPT2Support
import GPT2Tokenizer

/// `gpt2kit inspect PATH`: metadata and tensor table of a model file or of any source checkpoint
/// (GGUF included).
/// Reads headers only; `--verify` reads every tensor to check its checksum.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show the metadata and tensors of a model file, checkpoint or GGUF.",
        discussion: """
        --json prints one object with a stable schema: kind ("model_file" or "checkpoint"), path, \
        layout, format_version, config (the gpt2 keys of FORMAT.md), tokenizer (kind, tokens, \
        special_tokens, eos_id, has_ranks) or null, provenance or null, tensors (name, dtype, \
        shape, codec, offset, stored_bytes, raw_bytes, ratio, crc32c; for checkpoints file instead \
        of crc32c), bigram (vocab_size, n_ctx, table: for a bigram model file, else null), totals (tensors, stored_bytes, raw_bytes, ratio; a tied head sharing wte's data counted \
        once), checksums (what --verify checks; null when the layout stores none), verified (true, or null when \
        not asked). --verify checks every tensor checksum of a model file; for a checkpoint it loads \
        every tensor through its reader (which checks what the layout stores, e.g. TF crc32c).
        """)

    @Argument(help: "Model file, or checkpoint file or directory.")
    var path: String

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Check every tensor's checksum (reads all the data).")
    var verify = false

    @Option(name: [.customShort("t"), .long], help: "Cores for --verify of a model file (1 to 64; default: 2, or 1 on a one-core machine).")
    var threads: Int = ThreadCount.defaultCount

    func validate() throws { try ThreadCount.validate(threads) }

    func run() throws {
        if ModelFile.hasMagic(path: path) { try inspectModelFile() } else { try inspectCheckpoint() }
    }

    private func inspectModelFile() throws {
        let f = try ModelFile(path: path)
        if verify { try f.verifyAll(threads: threads) }
        let rows = f.tensors.map { t in
            Row(name: t.name, dtype: t.type.rawValue, shape: t.shape, codec: t.codec.rawValue, offset: t.offset,
                stored: t.storedSize, raw: t.rawSize, extra: ("crc32c", .string(hex8(t.checksum))))
        }
        report(kind: "model_file", layout: f.metadata.provenance?.sourceLayout, version: "\(f.version.major).\(f.version.minor)",
               architecture: f.metadata.architecture, config: f.config,
               bigram: f.metadata.architecture == BigramLayout.architecture ? f.metadata.config : nil, vocabulary: f.vocabulary,
               provenance: f.metadata.provenance, rows: rows, fileBytes: f.fileSize)
    }

    private func inspectCheckpoint() throws {
        let c = try CheckpointLoader.open(path)
        if verify { for t in c.tensors { _ = try c.load(t.name) } }
        let rows = c.sourceTensors.map { t in
            let n = (t.type.byteCount(elements: TensorData.elementCount(t.shape) ?? 0)) ?? 0
            return Row(name: t.name, dtype: t.type.rawValue, shape: t.shape, codec: "raw", offset: t.offset,
                       stored: n, raw: n, extra: ("file", t.file.map { .string($0) } ?? .null))
        }
        // A tied head shares its data with wte (pytorch_model.bin lists both keys on one
        // storage): count each (file, offset) once in the totals.
        var seen = Set<String>()
        let unique = c.sourceTensors.map { t in
            guard let o = t.offset else { return true }
            return seen.insert("\(t.file ?? "")@\(o)").inserted
        }
        report(kind: "checkpoint", layout: c.layout.rawValue, version: nil, config: c.config, vocabulary: c.vocabulary,
               provenance: nil, rows: rows, fileBytes: nil, counted: unique, checksums: Self.checksums(c.layout))
    }

    /// What `--verify` can check in each layout: safetensors and llm.c store no checksums.
    static func checksums(_ layout: CheckpointLayout) -> String? {
        switch layout {
        case .tensorflow: return "crc32c of every tensor in the index"
        case .pytorchBin, .nanoGPT: return "zip CRC-32 of every storage (the legacy non-zip layout has none)"
        case .safetensors, .llmc, .gguf: return nil
        case .gpt2kit: return "crc32c of every tensor"
        }
    }

    struct Row {
        var name: String, dtype: String, shape: [Int], codec: String, offset: Int?, stored: Int, raw: Int
        var extra: (String, JSON)
    }

    private func report(kind: String, layout: String?, version: String?, architecture: String = "gpt2",
                        config: GPT2Config?, bigram: GPT2Config? = nil, vocabulary: Vocabulary?,
                        provenance: Provenance?, rows: [Row], fileBytes: Int?, counted: [Bool]? = nil,
                        checksums: String? = "crc32c of every tensor") {
        let totalRows = zip(rows, counted ?? rows.map { _ in true }).filter(\.1).map(\.0)
        let stored = totalRows.reduce(0) { $0 + $1.stored }, raw = totalRows.reduce(0) { $0 + $1.raw }
        if json {
            func num(_ n: Int) -> JSON { .number(Double(n)) }
            var o: [String: JSON] = [
                "kind": .string(kind), "path": .string(path),
                "layout": layout.map { .string($0) } ?? .null,
                "format_version": version.map { .string($0) } ?? .null,
                "architecture": .string(architecture),
                "config": (config ?? bigram).flatMap { ModelMetadata(config: $0).json["gpt2"] } ?? .null,
                "bigram": bigram.map { .object(["vocab_size": num($0.vocabSize), "n_ctx": num($0.nCtx),
                                                "table": .string(BigramLayout.tableName)]) } ?? .null,
                "tokenizer": vocabulary.map { v in .object([
                    "kind": .string(v.kind.rawValue), "tokens": num(v.tokens.count),
                    "special_tokens": .object(v.specialTokens.mapValues { num($0) }),
                    "eos_id": v.eosID.map(num) ?? .null, "has_ranks": .bool(v.ranks != nil),
                ]) } ?? .null,
                "provenance": provenance.map { ModelMetadata(provenance: $0).json["provenance"] ?? .null } ?? .null,
                "tensors": .array(rows.map { r in
                    var t: [String: JSON] = [
                        "name": .string(r.name), "dtype": .string(r.dtype), "shape": .array(r.shape.map(num)),
                        "codec": .string(r.codec), "offset": r.offset.map(num) ?? .null,
                        "stored_bytes": num(r.stored), "raw_bytes": num(r.raw),
                        "ratio": .number(r.raw == 0 ? 1 : Double(r.stored) / Double(r.raw)),
                    ]
                    t[r.extra.0] = r.extra.1
                    return .object(t)
                }),
                "totals": .object(["tensors": num(rows.count), "stored_bytes": num(stored), "raw_bytes": num(raw),
                                   "ratio": .number(raw == 0 ? 1 : Double(stored) / Double(raw))]),
                "verified": verify ? .bool(true) : .null,
                "checksums": checksums.map { .string($0) } ?? .null,
            ]
            if let fileBytes { o["file_bytes"] = num(fileBytes) }
            printJSON(.object(o))
            return
        }
        print("\(path): \(kind == "model_file" ? "GPT2Kit model file \(version ?? "")" : "checkpoint (\(layout ?? "?"))")")
        if let c = config {
        print("  gpt2: n_layer \(c.nLayer), n_head \(c.nHead), n_embd \(c.nEmbd), n_ctx \(c.nCtx), vocab \(c.vocabSize)"
              + (c.paddedVocabSize != c.vocabSize ? " (padded \(c.paddedVocabSize))" : "")
              + ", eps \(c.layerNormEpsilon), \(c.activation.rawValue), bias \(c.bias), tied head \(c.tiedHead)")
        } else if let b = bigram {
            print("  bigram: vocab \(b.vocabSize), n_ctx \(b.nCtx) (next-token logits = row of \(BigramLayout.tableName) [\(b.vocabSize), \(b.vocabSize)])")
        } else {
            print("  architecture: \(architecture) (no GPT-2 hyperparameters; the container holds any tensors)")
        }
        if let v = vocabulary {
            let specials = v.specialTokens.sorted { $0.value < $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print("  tokenizer: \(v.kind.rawValue), \(v.tokens.count) tokens\(v.ranks != nil ? " with merge ranks" : ""), "
                  + "specials [\(specials)], eos \(v.eosID.map(String.init) ?? "none")")
        } else {
            print("  tokenizer: none")
        }
        if let p = provenance {
            print("  source: \(p.sourceLayout), \(p.tool)")
            for f in p.sourceFiles { print("    \(f.path) \(f.size) bytes sha256 \(f.sha256)") }
        }
        let w = max(8, rows.map(\.name.count).max() ?? 0) + 1
        print("  " + pad("tensor", w) + pad("dtype", 6) + pad("shape", 14) + pad("codec", 16)
              + lpad("stored", 12) + lpad("raw", 12) + lpad("ratio", 7))
        for r in rows {
            print("  " + pad(r.name, w) + pad(r.dtype, 6) + pad(r.shape.map(String.init).joined(separator: "x"), 14)
                  + pad(r.codec, 16) + lpad(String(r.stored), 12) + lpad(String(r.raw), 12)
                  + lpad(format3(r.raw == 0 ? 1 : Double(r.stored) / Double(r.raw)), 7))
        }
        print("  \(rows.count) tensors, \(megabytes(stored)) MB stored, \(megabytes(raw)) MB decoded, ratio "
              + format3(raw == 0 ? 1 : Double(stored) / Double(raw))
              + (fileBytes.map { ", file \(megabytes($0)) MB" } ?? ""))
        if verify {
            if let checksums {
                print(kind == "model_file" ? "  verified: every checksum matches (\(checksums))"
                      : "  verified: every tensor read through the reader, checking the \(checksums)")
            } else {
                print("  nothing to verify: \(layout ?? "this layout") stores no checksums (every tensor was read and its size checked)")
            }
        }
    }
}

func hex8(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}
