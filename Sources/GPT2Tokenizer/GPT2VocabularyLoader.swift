/// OpenAI's GPT-2 files: `encoder.json` (token string → id, in the byte-level alphabet) and
/// `vocab.bpe` (`#version: 0.2`, then one merge `left right` per line in rank order).
///
/// Ranks follow tiktoken's `data_gym_to_mergeable_bpe_ranks`: the 256 single bytes in
/// `ByteLevelAlphabet.byteOfRank` order, then merge `i` makes rank `256 + i`. For GPT-2 this
/// equals the id of every ordinary token, so `ranks` stays nil. A token that is neither a single
/// byte nor made by a merge (GPT-2's `<|endoftext|>`) is a special token; those must come after
/// all ordinary ids.
extension Vocabulary {
    /// Reads OpenAI's two-file GPT-2 vocabulary (encoder.json and vocab.bpe).
    public static func load(encoderJSON: String, vocabBPE: String) throws -> Vocabulary {
        let jsonBytes = try FileBytes.read(encoderJSON)
        let bpeBytes = try FileBytes.read(vocabBPE)

        // 1. encoder.json → tokens by id.
        var byID = TokensByID(path: encoderJSON)
        var parser = StringIDObjectParser(path: encoderJSON, bytes: jsonBytes)
        try parser.parse { key, id, offset in try byID.add(key, id: id, offset: offset) }
        let all = try byID.finish()
        let merges = MergesParser(path: vocabBPE, bytes: bpeBytes)
        return try fromMergeList(
            tokens: all, tokensPath: encoderJSON, mergesPath: vocabBPE,
            forEachMerge: { body in try merges.forEachMerge { pair, leftCount, line, _ in try body(pair, leftCount, line) } },
            unknownToken: { line, token in .unknownMergeToken(path: vocabBPE, line: line, token: token) })
    }

    /// Steps 2–3 of every merge-list format (encoder.json + vocab.bpe, vocab.json + merges.txt,
    /// tokenizer.json): ranks from the merges, then specials from the unreachable tokens.
    /// `forEachMerge` calls its body in rank order with (pair, leftCount, site): `pair` is the
    /// merged token's bytes, of which the first `leftCount` are the left token and the rest the
    /// right one (one buffer, so a merge costs no allocation: 50,000 of them load in ~2 ms);
    /// `site` (a line or an index) only goes into errors, through `unknownToken(site, text)`. `addedTokens`
    /// (tokenizer.json's added_tokens) are special whatever their bytes. Zero merges is an
    /// error: BPE without merges would emit single bytes and look like it worked.
    static func fromMergeList(tokens all: TokenBytes, tokensPath encoderJSON: String, mergesPath vocabBPE: String,
                              forEachMerge: (((UnsafeBufferPointer<UInt8>, Int, Int) throws -> Void) throws -> Void),
                              unknownToken: @escaping (Int, String) -> TokenizerError,
                              addedTokens: [String: Int] = [:]) throws -> Vocabulary {
        let table = try TokenTable(flat: all)

        // 2. vocab.bpe → rank of every token made by a merge.
        var rankOfID = [UInt32](repeating: UInt32.max, count: all.count)
        for (rank, b) in ByteLevelAlphabet.byteOfRank.enumerated() {
            var byte = b
            let id = table.withView { $0.lookup(&byte, 1) }
            guard id != TokenTable.empty else {
                throw TokenizerError.invalidVocabulary(
                    "'\(encoderJSON)' has no token for byte 0x\(String(b, radix: 16)); byte-level BPE needs all 256")
            }
            rankOfID[Int(id)] = UInt32(rank)
        }
        var rank = 256
        // One view and a raw rank array for the whole loop: no captured-array box per merge.
        try table.withView { view in
          try rankOfID.withUnsafeMutableBufferPointer { rankOfID in
            try forEachMerge { pair, leftCount, line in
                defer { rank += 1 }
                let base = pair.baseAddress!
                guard view.lookup(base, leftCount) != TokenTable.empty else {
                    throw unknownToken(line, MergesParser.show(Array(pair[..<leftCount])))
                }
                guard view.lookup(base + leftCount, pair.count - leftCount) != TokenTable.empty else {
                    throw unknownToken(line, MergesParser.show(Array(pair[leftCount...])))
                }
                let id = view.lookup(base, pair.count)
                guard id != TokenTable.empty else { throw unknownToken(line, MergesParser.show(Array(pair))) }
                guard rankOfID[Int(id)] == UInt32.max else {
                    throw TokenizerError.duplicateToken(path: vocabBPE, token: MergesParser.show(Array(pair)), id: Int(id))
                }
                rankOfID[Int(id)] = UInt32(rank)
            }
          }
        }

        // 3. Unreachable tokens are special; they must follow the ordinary ids.
        let ordinaryCount = rankOfID.lastIndex(where: { $0 != UInt32.max }).map { $0 + 1 } ?? 0
        // An added token among the ordinary ids is the clearer error (RoBERTa-style order).
        if let (content, id) = addedTokens.filter({ $0.value < ordinaryCount }).min(by: { $0.value < $1.value }) {
            throw TokenizerError.unsupportedVocabulary(path: encoderJSON,
                problem: "special token '\(content)' has id \(id), among the \(ordinaryCount) ordinary ids",
                hint: "GPT2Kit keeps special tokens after the ordinary ones, as GPT-2 does")
        }
        if let gap = rankOfID[..<ordinaryCount].firstIndex(of: UInt32.max) {
            throw TokenizerError.badTokenID(
                path: encoderJSON, id: gap,
                expected: "a single byte or a merge result in vocab.bpe ('\(MergesParser.show(Array(all[gap])))' is neither)")
        }
        guard rank > 256 else { throw TokenizerError.noMerges(path: vocabBPE) }
        var specials: [String: Int] = [:]
        for id in ordinaryCount..<all.count { specials[String(decoding: all[id], as: UTF8.self)] = id }
        specials.merge(addedTokens) { _, added in added }
        let ranks = Array(rankOfID[..<ordinaryCount])
        let identity = ranks.enumerated().allSatisfy { UInt32($0.offset) == $0.element }
        return Vocabulary(kind: .byteLevelBPE, tokenBytes: all.prefix(ordinaryCount),
                          ranks: identity ? nil : ranks, specialTokens: specials,
                          eosID: specials["<|endoftext|>"])
    }
}

/// Lines of vocab.bpe / merges.txt: an optional `#version` first line, then `left right` per
/// line (one space), tokens in the byte-level alphabet; blank lines are ignored.
struct MergesParser {
    let path: String
    let bytes: [UInt8]

    /// `body(pair, leftCount, lineNumber, rank)`, rank = 256 + merge index: `pair` holds the
    /// left token's bytes then the right one's (valid during the call only). Runs over raw
    /// pointers with one reused pair buffer: GPT-2's 50,000 merges parse in about a millisecond,
    /// which matters because every `gpt2kit` start does it.
    func forEachMerge(_ body: (UnsafeBufferPointer<UInt8>, Int, Int, Int) throws -> Void) throws {
        let n = bytes.count
        // A line's token bytes are never more than the line's UTF-8 bytes.
        let pair = UnsafeMutablePointer<UInt8>.allocate(capacity: max(n, 1))
        defer { pair.deallocate() }
        try bytes.withUnsafeBufferPointer { buf in
            try ByteLevelAlphabet.byteOf.withUnsafeBufferPointer { byteOf in
                let p = buf.baseAddress!
                var line = 0, start = 0, rank = 256
                while start < n {
                    line += 1
                    var end = start
                    while end < n, p[end] != 0x0A { end += 1 }
                    var stop = end
                    if stop > start, p[stop - 1] == 0x0D { stop -= 1 }
                    defer { start = end + 1 }
                    if stop == start { continue }
                    if line == 1, p[start] == UInt8(ascii: "#") { continue }
                    var space = start
                    while space < stop, p[space] != 0x20 { space += 1 }
                    var extra = space + 1
                    while extra < stop, p[extra] != 0x20 { extra += 1 }
                    guard space > start, space + 1 < stop, extra >= stop else {
                        throw TokenizerError.malformed(path: path, offset: start, expected: "'left right' (two tokens, one space) on line \(line)",
                                                       found: "'\(String(decoding: buf[start..<stop].prefix(80), as: UTF8.self))'")
                    }
                    func decode(_ from: Int, _ to: Int, _ count: inout Int) throws {
                        var i = from
                        while i < to {
                            let (scalar, length) = UTF8Scalar.decode(p, i, to)
                            let b = scalar.map { $0 < 324 ? byteOf[Int($0)] : -1 } ?? -1
                            guard b >= 0 else {
                                throw TokenizerError.malformed(path: path, offset: i, expected: "a token in GPT-2's byte-level alphabet on line \(line)",
                                                               found: scalar.map { "character U+\(String($0, radix: 16, uppercase: true))" } ?? "invalid UTF-8")
                            }
                            pair[count] = UInt8(truncatingIfNeeded: b)
                            count += 1
                            i += length
                        }
                    }
                    var count = 0
                    try decode(start, space, &count)
                    let leftCount = count
                    try decode(space + 1, stop, &count)
                    try body(UnsafeBufferPointer(start: pair, count: count), leftCount, line, rank)
                    rank += 1
                }
            }
        }
    }

    /// Token bytes shown in the byte-level alphabet, as they appear in the files.
    static func show(_ bytes: [UInt8]) -> String { ByteLevelAlphabet.text(bytes) }
}
