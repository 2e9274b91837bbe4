/// tiktoken's `byte_pair_encode` in its plainest form, the oracle the fast merge paths are
/// checked against (MergeOracleTests, the `tokenizer` fuzz target): parts as byte arrays, a
/// dictionary of token bytes → rank, merge the leftmost lowest-rank adjacent pair until none
/// is a token. Quadratic; never used to encode.
struct NaiveBytePairMerge {
    let rankOf: [[UInt8]: Int]

    init(_ v: Vocabulary) {
        var d: [[UInt8]: Int] = [:]
        for (id, t) in v.tokens.enumerated() { d[t] = v.ranks.map { Int($0[id]) } ?? id }
        rankOf = d
    }

    func merge(_ piece: [UInt8]) -> [[UInt8]] {
        var parts = piece.map { [$0] }
        // rank of merging parts[i] and parts[i+1], kept up to date (O(n) lookups overall).
        var pairRank = (0..<max(0, parts.count - 1)).map { rankOf[parts[$0] + parts[$0 + 1]] ?? Int.max }
        while let best = pairRank.min(), best != Int.max {
            let i = pairRank.firstIndex(of: best)!
            parts[i] += parts[i + 1]
            parts.remove(at: i + 1)
            pairRank.remove(at: i)
            if i < parts.count - 1 { pairRank[i] = rankOf[parts[i] + parts[i + 1]] ?? Int.max }
            if i > 0 { pairRank[i - 1] = rankOf[parts[i - 1] + parts[i]] ?? Int.max }
        }
        return parts
    }
}
