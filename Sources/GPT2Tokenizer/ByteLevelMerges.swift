/// A byte-level BPE vocabulary as token strings and merge strings (the form GGUF's
/// `tokenizer.ggml.tokens` / `tokenizer.ggml.merges` and HF's vocab.json / merges.txt use),
/// both ways.
extension Vocabulary {
    /// Token strings by id and `"left right"` merges in rank order, both in GPT-2's byte-level
    /// alphabet; ids in `specialIDs` (GGUF control / user-defined tokens) are special tokens.
    /// `source` names the file in errors. Ranks follow as for the other merge-list formats.
    public static func load(byteLevelTokens tokens: [String], merges: [String], specialIDs: Set<Int> = [],
                            eosID: Int? = nil, source: String) throws -> Vocabulary {
        var byID = TokensByID(path: source)
        for (id, t) in tokens.enumerated() {
            if specialIDs.contains(id) {
                // A special token is plain text (e.g. <|endoftext|>), not alphabet-encoded.
                try byID.add(t.utf8.map { ByteLevelAlphabet.scalarOf[Int($0)] }, id: id, offset: 0)
            } else {
                try byID.add(t.unicodeScalars.map(\.value), id: id, offset: 0)
            }
        }
        let all = try byID.finish()
        var pairs: [(pair: [UInt8], leftCount: Int)] = []
        pairs.reserveCapacity(merges.count)
        for (i, m) in merges.enumerated() {
            let parts = m.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let l = ByteLevelAlphabet.bytes(of: String(parts[0])),
                  let r = ByteLevelAlphabet.bytes(of: String(parts[1])), !l.isEmpty, !r.isEmpty else {
                throw TokenizerError.invalidMerge(path: source, location: "merge \(i)", merge: m,
                                                  problem: "expected two tokens in GPT-2's byte-level alphabet separated by one space")
            }
            pairs.append((l + r, l.count))
        }
        var specials: [String: Int] = [:]
        for id in specialIDs where id >= 0 && id < all.count { specials[String(decoding: all[id], as: UTF8.self)] = id }
        var v = try fromMergeList(
            tokens: all, tokensPath: source, mergesPath: source,
            forEachMerge: { body in
                for (i, p) in pairs.enumerated() { try p.pair.withUnsafeBufferPointer { try body($0, p.leftCount, i) } }
            },
            unknownToken: { i, token in
                .invalidMerge(path: source, location: "merge \(i)", merge: merges[i], problem: "'\(token)' is not a token")
            },
            addedTokens: specials)
        if let eosID { v.eosID = eosID }
        return v
    }

    /// The merge list that rebuilds this vocabulary's ranks: for each token made by a merge, in
    /// rank order, the two tokens it was merged from. A vocabulary stores ranks, not merges, so
    /// each pair is recovered as tiktoken-to-HF converters do: BPE of the token's bytes using
    /// only lower-ranked merges stops at exactly two parts. (For GPT-2 this gives vocab.bpe's
    /// 50,000 merges exactly.) Throws for a character-level vocabulary, which has no merges.
    public func mergeList() throws -> [(left: [UInt8], right: [UInt8])] {
        guard kind == .byteLevelBPE else {
            throw TokenizerError.invalidVocabulary("a character-level vocabulary has no BPE merges")
        }
        var rankOf: [[UInt8]: UInt32] = [:]
        rankOf.reserveCapacity(tokens.count)
        for (id, t) in tokens.enumerated() { rankOf[t] = ranks?[id] ?? UInt32(id) }
        var out: [(left: [UInt8], right: [UInt8])] = []
        let order = tokens.indices.filter { tokens[$0].count > 1 }.sorted { rankOf[tokens[$0]]! < rankOf[tokens[$1]]! }
        for id in order {
            let token = tokens[id], limit = rankOf[token]!
            var parts = token.map { [$0] }
            while parts.count > 2 {
                var best: (rank: UInt32, at: Int)?
                for i in 0..<(parts.count - 1) {
                    if let r = rankOf[parts[i] + parts[i + 1]], r < limit, r < best?.rank ?? .max { best = (r, i) }
                }
                guard let b = best else { break }
                parts[b.at] += parts[b.at + 1]
                parts.remove(at: b.at + 1)
            }
            guard parts.count == 2, let l = rankOf[parts[0]], let r = rankOf[parts[1]], l < limit, r < limit else {
                throw TokenizerError.invalidVocabulary(
                    "token \(id) ('\(ByteLevelAlphabet.text(token))') is not the merge of two lower-ranked tokens")
            }
            out.append((parts[0], parts[1]))
        }
        return out
    }
}

extension ByteLevelAlphabet {
    /// Bytes spelled in the byte-level alphabet, as encoder.json, merges.txt and GGUF write them.
    public static func text(_ bytes: [UInt8]) -> String {
        var s = ""
        s.unicodeScalars.reserveCapacity(bytes.count)
        for b in bytes { s.unicodeScalars.append(Unicode.Scalar(scalarOf[Int(b)])!) }
        return s
    }
}
