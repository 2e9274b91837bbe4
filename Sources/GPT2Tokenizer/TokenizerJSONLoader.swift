import GPT2Support

/// Hugging Face `tokenizer.json` (the `tokenizers` library's single-file format), parsed with
/// json-c.
///
/// Reads `model.vocab` (token → id), `model.merges` in either spelling — `"Ġ t"` strings
/// (tokenizers < 0.20) or `["Ġ", "t"]` pairs (tokenizers ≥ 0.20) — and `added_tokens`, which
/// become special tokens; ranks then follow as for encoder.json + vocab.bpe
/// (`Vocabulary.fromMergeList`). Only GPT-2's kind of BPE is accepted: `model.type` "BPE", a
/// ByteLevel pre-tokenizer without prefix space, no normalizer. Anything else would tokenize
/// differently, so it is refused rather than silently giving other ids.
extension Vocabulary {
    /// Reads a Hugging Face tokenizer.json (a ByteLevel BPE model).
    public static func load(tokenizerJSON path: String) throws -> Vocabulary {
        let root = try parseJSON(FileBytes.read(path), path: path)
        func refuse(_ problem: String, _ hint: String) -> TokenizerError {
            .unsupportedVocabulary(path: path, problem: problem, hint: hint)
        }
        guard let model = root["model"], model.objectValue != nil else {
            throw refuse("no \"model\" object", "is this a Hugging Face tokenizer.json?")
        }
        if let type = model["type"]?.stringValue, type != "BPE" {
            throw refuse("model.type is \"\(type)\"", "GPT2Kit reads byte-level BPE tokenizers (GPT-2 family) only")
        }
        if let normalizer = root["normalizer"], normalizer != .null {
            throw refuse("it has a normalizer", "GPT-2's tokenizer has none; this one would give different ids")
        }
        if let pre = root["pre_tokenizer"], pre != .null {
            guard pre["type"]?.stringValue == "ByteLevel", pre["add_prefix_space"]?.boolValue != true,
                  pre["use_regex"]?.boolValue != false else {
                throw refuse("pre_tokenizer is not GPT-2's (ByteLevel, add_prefix_space false, use_regex true)",
                             "this tokenizer would split text differently from GPT-2")
            }
        }

        // model.vocab → token bytes by id.
        guard let vocab = model["vocab"]?.objectValue else {
            throw refuse("model.vocab is not an object of token → id", "is this a BPE tokenizer.json?")
        }
        var byID = TokensByID(path: path)
        for (token, value) in vocab {
            guard let id = value.integerValue else {
                throw refuse("model.vocab[\"\(token)\"] is \(value.typeName), expected an integer id",
                             "the file is corrupt")
            }
            // json-c keeps no byte offsets, so name the token instead of a position.
            guard ByteLevelAlphabet.bytes(of: token) != nil else {
                throw refuse("model.vocab token \(quoted(token)) has a character outside GPT-2's byte-level alphabet",
                             "not a byte-level BPE vocabulary (a SentencePiece-style one spells spaces '▁')")
            }
            try byID.add(token.unicodeScalars.map(\.value), id: id, offset: 0)
        }
        let tokens = try byID.finish()

        // model.merges → byte pairs, in rank order.
        guard let mergeNodes = model["merges"]?.arrayValue else {
            throw refuse("no model.merges array", "a byte-level BPE needs its merge list")
        }
        var merges: [(pair: [UInt8], leftCount: Int, text: String)] = []
        merges.reserveCapacity(mergeNodes.count)
        for (i, node) in mergeNodes.enumerated() {
            func bad(_ text: String, _ problem: String) -> TokenizerError {
                .invalidMerge(path: path, location: "model.merges[\(i)]", merge: text, problem: problem)
            }
            let left: String, right: String
            if let s = node.stringValue {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw bad(s, "expected two tokens separated by one space, e.g. \"Ġ t\"")
                }
                (left, right) = (String(parts[0]), String(parts[1]))
            } else if let pair = node.arrayValue, pair.count == 2, let l = pair[0].stringValue, let r = pair[1].stringValue {
                (left, right) = (l, r)
            } else {
                throw bad(node.typeName, "a merge is a \"left right\" string or a [left, right] pair of strings")
            }
            guard let l = ByteLevelAlphabet.bytes(of: left), let r = ByteLevelAlphabet.bytes(of: right) else {
                throw bad("\(left) \(right)", "a character is outside GPT-2's byte-level alphabet")
            }
            merges.append((l + r, l.count, "\(left) \(right)"))
        }

        var added: [String: Int] = [:]
        for (i, node) in (root["added_tokens"]?.arrayValue ?? []).enumerated() {
            guard let content = node["content"]?.stringValue, let id = node["id"]?.integerValue, id >= 0 else {
                throw refuse("added_tokens[\(i)] needs a string \"content\" and a non-negative integer \"id\"",
                             "the file is corrupt")
            }
            added[content] = id
        }
        return try fromMergeList(
            tokens: tokens, tokensPath: path, mergesPath: path,
            forEachMerge: { body in
                for (i, m) in merges.enumerated() { try m.pair.withUnsafeBufferPointer { try body($0, m.leftCount, i) } }
            },
            unknownToken: { i, token in
                .invalidMerge(path: path, location: "model.merges[\(i)]", merge: merges[i].text,
                              problem: "'\(token)' is not in model.vocab")
            },
            addedTokens: added)
    }
}

/// Parses a vocabulary JSON file with json-c (`GPT2Support.JSON`: depth 64, whitespace may
/// follow the value); failures become `TokenizerError`s naming the file and the byte offset.
func parseJSON(_ bytes: [UInt8], path: String) throws -> JSON {
    do {
        return try JSON.parse(bytes)
    } catch {
        switch error.kind {
        case .tooLarge:
            throw TokenizerError.unsupportedVocabulary(path: path, problem: "file of \(bytes.count) bytes is too large for JSON",
                                                       hint: "a GPT-2 vocabulary file is a few MB")
        case .outOfMemory:
            throw TokenizerError.unsupportedVocabulary(path: path, problem: "json-c is out of memory", hint: "")
        case .unexpectedEnd:
            throw TokenizerError.malformed(path: path, offset: bytes.count, expected: "JSON", found: "unexpected end of file")
        case .syntax(let why):
            throw TokenizerError.malformed(path: path, offset: error.offset, expected: "JSON", found: why)
        case .trailing, .duplicateKey:
            throw TokenizerError.malformed(path: path, offset: error.offset, expected: "end of file after the JSON value",
                                           found: "more data")
        }
    }
}

extension ByteLevelAlphabet {
    /// Byte-level alphabet text → bytes, or nil if a character is not in the alphabet.
    static func bytes(of text: String) -> [UInt8]? {
        var out: [UInt8] = []
        for u in text.unicodeScalars {
            let b = u.value < 324 ? byteOf[Int(u.value)] : -1
            guard b >= 0 else { return nil }
            out.append(UInt8(b))
        }
        return out
    }
}

/// A token as Swift would write it in a string literal, quoted, for error messages.
func quoted(_ s: String) -> String { "'" + s.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "'" }
