import GPT2Support
import GPT2Tokenizer

/// Where a model file's weights came from (FORMAT.md, "provenance").
public struct Provenance: Sendable, Equatable {
    /// One file the weights were read from.
    public struct SourceFile: Sendable, Equatable {
        /// As given to the converter (file name or relative path).
        public var path: String
        /// Size in bytes.
        public var size: Int
        /// SHA-256 of the file, lowercase hex.
        public var sha256: String
        /// A source file record.
        public init(path: String, size: Int, sha256: String) {
            self.path = path; self.size = size; self.sha256 = sha256
        }
    }
    /// The checkpoint layout read, e.g. "safetensors", "nanogpt".
    public var sourceLayout: String
    /// The files read.
    public var sourceFiles: [SourceFile]
    /// The tool that wrote the model file, e.g. "gpt2kit 0.2.0".
    public var tool: String

    /// A provenance record.
    public init(sourceLayout: String, sourceFiles: [SourceFile], tool: String) {
        self.sourceLayout = sourceLayout; self.sourceFiles = sourceFiles; self.tool = tool
    }
}

/// The metadata document of a model file in typed form. `extra` keeps any other top-level keys
/// (the container is architecture-agnostic; readers ignore keys they do not know).
public struct ModelMetadata: Sendable, Equatable {
    /// This build's tool name and version, as `Provenance.tool` records it.
    public static let toolVersion = "gpt2kit \(GPT2KitVersion.current)"

    /// "gpt2", "bigram", or another architecture's name.
    public var architecture: String
    /// The hyperparameters (the "gpt2" object), if present.
    public var config: GPT2Config?
    /// The embedded tokenizer, if any.
    public var vocabulary: Vocabulary?
    /// Where the weights came from, if recorded.
    public var provenance: Provenance?
    /// Every other top-level key (e.g. "training"), kept as JSON.
    public var extra: [String: JSON]

    /// Metadata of a model file to write.
    public init(architecture: String = "gpt2", config: GPT2Config? = nil, vocabulary: Vocabulary? = nil,
                provenance: Provenance? = nil, extra: [String: JSON] = [:]) {
        self.architecture = architecture
        self.config = config
        self.vocabulary = vocabulary
        self.provenance = provenance
        self.extra = extra
    }

    /// The metadata document (FORMAT.md's keys plus `extra`).
    public var json: JSON {
        var o = extra
        o["architecture"] = .string(architecture)
        if let c = config {
            o["gpt2"] = .object([
                "n_layer": .number(Double(c.nLayer)), "n_head": .number(Double(c.nHead)),
                "n_embd": .number(Double(c.nEmbd)), "n_ctx": .number(Double(c.nCtx)),
                "vocab_size": .number(Double(c.vocabSize)), "padded_vocab_size": .number(Double(c.paddedVocabSize)),
                // Via the Float's shortest text so the JSON says 1e-05, not 9.99999974737875e-06.
                "layer_norm_epsilon": .number(c.layerNormEpsilon),
                "activation": .string(c.activation.rawValue), "bias": .bool(c.bias), "tied_head": .bool(c.tiedHead),
            ])
        }
        if let v = vocabulary {
            var t: [String: JSON] = [
                "kind": .string(v.kind.rawValue),
                "tokens": .array(v.tokens.map { .string(Base64.encode($0)) }),
                "special_tokens": .object(v.specialTokens.mapValues { .number(Double($0)) }),
            ]
            if let r = v.ranks { t["ranks"] = .array(r.map { .number(Double($0)) }) }
            if let e = v.eosID { t["eos_id"] = .number(Double(e)) }
            o["tokenizer"] = .object(t)
        }
        if let p = provenance {
            o["provenance"] = .object([
                "source_layout": .string(p.sourceLayout), "tool": .string(p.tool),
                "source_files": .array(p.sourceFiles.map {
                    .object(["path": .string($0.path), "size": .number(Double($0.size)), "sha256": .string($0.sha256)])
                }),
            ])
        }
        return .object(o)
    }

    /// Reads the typed fields; `at` is the metadata's file offset for errors.
    public init(json: JSON, file: String, at offset: Int) throws(ModelFileError) {
        try self.init(json: json, tokens: nil, file: file, at: offset)
    }

    /// `tokens`: `tokenizer.tokens` already decoded (`MetadataTokenList`; `json` has `[]` there).
    init(json: JSON, tokens decoded: TokenBytes?, file: String, at offset: Int) throws(ModelFileError) {
        func bad(_ key: String, _ expected: String, _ found: JSON?) -> ModelFileError {
            let f: String
            switch found {
            case nil: f = "missing"
            case .string(let s)?: f = "\"\(s.prefix(40))\""
            // Whole numbers as integers ("found 2", not "found 2.0"): most keys are counts.
            case .int(let i)?: f = String(i)
            case .double(let d)?: f = d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
            default: f = "another JSON type"
            }
            return ModelFileError(.badMetadata, file: file, offset: offset, expected: "\(key): \(expected)", found: f,
                                  hint: "the metadata does not follow FORMAT.md; convert the model again")
        }
        guard let o = json.dictionaryValue else { throw bad("metadata", "an object", json) }
        guard let arch = o["architecture"]?.stringValue else { throw bad("architecture", "a string", o["architecture"]) }
        architecture = arch
        var extra = o
        for k in ["architecture", "gpt2", "tokenizer", "provenance"] { extra[k] = nil }
        self.extra = extra
        config = nil; vocabulary = nil; provenance = nil

        if let g = o["gpt2"] {
            func int(_ k: String, min: Int = 1) throws(ModelFileError) -> Int {
                guard let v = g[k]?.intValue, v >= min, v <= 1 << 31 else { throw bad("gpt2.\(k)", "an integer >= \(min)", g[k]) }
                return v
            }
            let eps = g["layer_norm_epsilon"]?.doubleValue
            guard let eps, eps > 0, eps < 1 else { throw bad("gpt2.layer_norm_epsilon", "a number in (0, 1)", g["layer_norm_epsilon"]) }
            guard let a = g["activation"]?.stringValue, let act = GPT2Config.Activation(rawValue: a) else {
                throw bad("gpt2.activation", "\"gelu_tanh\" or \"gelu_erf\"", g["activation"])
            }
            guard let bias = g["bias"]?.boolValue else { throw bad("gpt2.bias", "true or false", g["bias"]) }
            guard let tied = g["tied_head"]?.boolValue else { throw bad("gpt2.tied_head", "true or false", g["tied_head"]) }
            let c = GPT2Config(nLayer: try int("n_layer"), nHead: try int("n_head"), nEmbd: try int("n_embd"),
                               nCtx: try int("n_ctx"), vocabSize: try int("vocab_size"),
                               paddedVocabSize: try int("padded_vocab_size"), layerNormEpsilon: Float(eps),
                               activation: act, bias: bias, tiedHead: tied)
            // The limits every reader shares (GPT2Config.validate), so what opens here also runs.
            do { try c.validate() } catch {
                throw ModelFileError(.badMetadata, file: file, offset: offset, expected: "gpt2.\(error.key): \(error.expected)",
                                     found: error.value, hint: "the hyperparameters are corrupt or not a GPT-2 model")
            }
            config = c
        } else if arch == "gpt2" {
            throw bad("gpt2", "an object of hyperparameters", nil)
        }

        if let t = o["tokenizer"] {
            guard let k = t["kind"]?.stringValue, let kind = Vocabulary.Kind(rawValue: k) else {
                throw bad("tokenizer.kind", "\"byte_level_bpe\" or \"characters\"", t["kind"])
            }
            guard let list = t["tokens"]?.arrayValue else { throw bad("tokenizer.tokens", "an array of base64 strings", t["tokens"]) }
            let tokens: TokenBytes
            if let decoded {
                tokens = decoded
            } else {
                // Flat: one buffer for all tokens' bytes, no array per token (50,257 at every start).
                var bytes: [UInt8] = [], starts = [0]
                starts.reserveCapacity(list.count + 1)
                for (i, v) in list.enumerated() {
                    guard let s = v.stringValue, Base64.decode(s, appendingTo: &bytes) else {
                        throw bad("tokenizer.tokens[\(i)]", "a base64 string", v)
                    }
                    starts.append(bytes.count)
                }
                tokens = TokenBytes(bytes: bytes, starts: starts)
            }
            var ranks: [UInt32]?
            if let r = t["ranks"] {
                guard let a = r.arrayValue, a.count == tokens.count else {
                    throw bad("tokenizer.ranks", "an array of \(tokens.count) integers", r)
                }
                var rs: [UInt32] = []
                rs.reserveCapacity(a.count)
                for v in a {
                    guard let x = v.intValue, x >= 0, x <= Int(UInt32.max) else { throw bad("tokenizer.ranks[]", "a rank", v) }
                    rs.append(UInt32(x))
                }
                ranks = rs
            }
            var specials: [String: Int] = [:]
            if let s = t["special_tokens"] {
                guard let so = s.objectValue else { throw bad("tokenizer.special_tokens", "an object", s) }
                for (name, v) in so {
                    guard let id = v.intValue, id >= 0 else { throw bad("tokenizer.special_tokens.\(name)", "an id", v) }
                    specials[name] = id
                }
            }
            var eos: Int?
            if let e = t["eos_id"] {
                guard let id = e.intValue, id >= 0 else { throw bad("tokenizer.eos_id", "an id", e) }
                eos = id
            }
            // Ids the runtime will index the embedding with: beyond its rows they would read
            // out of bounds, beyond the vocabulary they decode to nothing.
            let v = Vocabulary(kind: kind, tokenBytes: tokens, ranks: ranks, specialTokens: specials, eosID: eos)
            let rows = config?.vocabSize
            for (name, id) in specials.sorted(by: { $0.value < $1.value }) where rows.map({ id >= $0 }) ?? false {
                throw bad("tokenizer.special_tokens.\(name)", "an id below vocab_size \(rows!) (the embedding's rows)", .number(Double(id)))
            }
            if let eos, eos >= v.count || rows.map({ eos >= $0 }) ?? false {
                throw bad("tokenizer.eos_id", "an id below \(min(v.count, rows ?? v.count)) (the vocabulary and the embedding)", .number(Double(eos)))
            }
            if let rows, tokens.count > rows {
                throw bad("tokenizer.tokens", "at most vocab_size \(rows) tokens (the embedding's rows)", .number(Double(tokens.count)))
            }
            vocabulary = v
        }

        if let p = o["provenance"] {
            var files: [Provenance.SourceFile] = []
            for f in p["source_files"]?.arrayValue ?? [] {
                files.append(.init(path: f["path"]?.stringValue ?? "", size: f["size"]?.intValue ?? 0,
                                   sha256: f["sha256"]?.stringValue ?? ""))
            }
            provenance = Provenance(sourceLayout: p["source_layout"]?.stringValue ?? "", sourceFiles: files,
                                    tool: p["tool"]?.stringValue ?? "")
        }
    }
}
