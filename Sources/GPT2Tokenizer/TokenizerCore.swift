/// The immutable tables a `Tokenizer` encodes and decodes with, built once from a `Vocabulary`
/// and shared (read-only) by copies of the tokenizer and by threads.
final class TokenizerCore: Sendable {
    let table: TokenTable
    /// Id of each single byte (every byte must be a token for byte-level BPE to be total).
    let byteIDs: [Int]
    /// `ranks[id]` when the vocabulary's ranks differ from its ids.
    let ranks: [UInt32]?
    /// Id of each 2-byte string (see `BytePairEncoder.pairIDs`).
    let pairIDs: [UInt32]
    /// Every rank is below `BytePairEncoder.compactRankLimit`.
    let compactRanks: Bool
    /// Number of ids (ordinary and special): valid ids are `0..<idCount` with a non-empty entry.
    let idCount: Int
    let preTokenizer = PreTokenizer()
    /// Largest vocabulary (ids) accepted: 2^24, as the loaders' id limit.
    static let maxIDs = 1 << 24
    /// nanoGPT's character vocabulary: one token per Unicode scalar, no merges.
    let isCharacterLevel: Bool

    init(_ vocabulary: Vocabulary) throws {
        isCharacterLevel = vocabulary.kind == .characters
        let tokens = vocabulary.tokenBytes
        let ordinary = tokens.count
        guard ordinary < TokenizerCore.maxIDs else {
            throw TokenizerError.invalidVocabulary("\(ordinary) tokens; at most \(TokenizerCore.maxIDs) are supported")
        }
        for (name, id) in vocabulary.specialTokens where id < 0 || id >= TokenizerCore.maxIDs {
            throw TokenizerError.invalidVocabulary(
                "special token '\(name)' has id \(id), outside 0..<\(TokenizerCore.maxIDs)")
        }
        let count = vocabulary.count
        // Ids of all tokens, specials included, so one flat table serves decoding. Ids that
        // are neither stay empty (decoding them is an error).
        var extra = [[UInt8]](repeating: [], count: count - ordinary)   // specials past the tokens
        var specialIDs = Set<Int>()
        for (name, id) in vocabulary.specialTokens {
            // Checked before `vocabulary.count` sizes the id tables: a hostile model file could
            // name id 2^40 and make us allocate terabytes.
            guard id >= 0, id < TokenizerCore.maxIDs else {
                throw TokenizerError.invalidVocabulary(
                    "special token '\(name)' has id \(id), outside 0..<\(TokenizerCore.maxIDs)")
            }
            specialIDs.insert(id)
            if id >= ordinary { extra[id - ordinary] = Array(name.utf8) }
        }
        // Specials listed among the ordinary ids stay out of the lookup (usually none: no hashing).
        let specialsInside = specialIDs.filter { $0 < ordinary }
        table = try TokenTable(flat: tokens, extra: extra,
                               skip: { $0 >= ordinary || (!specialsInside.isEmpty && specialsInside.contains($0)) })
        if let r = vocabulary.ranks {
            guard r.count == ordinary else {
                throw TokenizerError.invalidVocabulary("\(r.count) ranks for \(ordinary) tokens")
            }
            ranks = r
        } else {
            ranks = nil
        }
        var byteIDs = [Int](repeating: -1, count: 256)
        table.withView { view in
            for b in 0..<256 {
                var byte = UInt8(b)
                let id = view.lookup(&byte, 1)
                if id != TokenTable.empty { byteIDs[b] = Int(id) }
            }
        }
        if !isCharacterLevel, let missing = byteIDs.firstIndex(of: -1) {
            throw TokenizerError.invalidVocabulary(
                "no token for byte 0x\(String(missing, radix: 16)); byte-level BPE needs all 256")
        }
        self.byteIDs = byteIDs
        // As the lookup table, without specials listed among the ordinary ids: no merge makes them.
        var pairIDs = [UInt32](repeating: TokenTable.empty, count: 65536)
        for id in 0..<ordinary where tokens.length(id) == 2 && !specialsInside.contains(id) {
            let s = tokens.starts[id]
            pairIDs[Int(tokens.bytes[s]) << 8 | Int(tokens.bytes[s + 1])] = UInt32(id)
        }
        self.pairIDs = pairIDs
        compactRanks = ranks.map { r in !r.contains { $0 >= BytePairEncoder.compactRankLimit } } ?? true
        idCount = count
    }

    func encode(_ buf: UnsafeBufferPointer<UInt8>) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(buf.count / 3 + 1)
        encode(buf, into: &out)
        return out
    }

    func encode(_ buf: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
        guard let base = buf.baseAddress, buf.count > 0 else { return }
        if isCharacterLevel {
            _ = encodeCharacters(buf, into: &out)
            return
        }
        let n = buf.count
        var cache: PieceCache? = n >= PieceCache.minInput ? PieceCache() : nil
        table.withView { view in
            byteIDs.withUnsafeBufferPointer { byteIDs in
                withRanks { ranks in
                  pairIDs.withUnsafeBufferPointer { pairIDs in
                    let bpe = BytePairEncoder(view: view, ranks: ranks, pairIDs: pairIDs.baseAddress!,
                                              byteIDs: byteIDs.baseAddress!, compactRanks: compactRanks)
                    preTokenizer.split(base, n) { s, e in
                        let length = e - s
                        if length == 1 {
                            out.append(byteIDs[Int(base[s])])
                            return
                        }
                        let id = view.lookup(base + s, length)
                        if id != TokenTable.empty {
                            out.append(Int(id))
                        } else if length <= PieceCache.maxPiece, cache != nil {
                            let slot = PieceCache.slot(base + s, length)
                            if cache!.lookup(base + s, length, slot: slot, into: &out) { return }
                            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: length) { buf in
                                let count = bpe.merge(base + s, length, buf.baseAddress!)
                                for k in 0..<count { out.append(Int(buf[k])) }
                                cache!.store(base + s, length, slot: slot, buf.baseAddress!, count)
                            }
                        } else if length < ChunkedMerge.threshold {
                            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: length) { buf in
                                let count = bpe.merge(base + s, length, buf.baseAddress!)
                                for k in 0..<count { out.append(Int(buf[k])) }
                            }
                        } else {
                            ChunkedMerge(bpe: bpe).encode(base + s, length, into: &out)
                        }
                    }
                  }
                }
            }
        }
    }

    /// Character-level encode: each scalar (or invalid byte) is looked up whole. Characters
    /// the vocabulary lacks are skipped; returns the first one (scalar, byte offset) so that
    /// `Tokenizer.encode` can refuse the text instead, as nanoGPT's `stoi[c]` would.
    func encodeCharacters(_ buf: UnsafeBufferPointer<UInt8>, into out: inout [Int]) -> (UInt32, Int)? {
        guard let base = buf.baseAddress else { return nil }
        var firstUnknown: (UInt32, Int)?
        table.withView { view in
            var i = 0
            while i < buf.count {
                let (scalar, length) = UTF8Scalar.decode(base, i, buf.count)
                let id = view.lookup(base + i, length)
                if id != TokenTable.empty {
                    out.append(Int(id))
                } else if firstUnknown == nil {
                    firstUnknown = (scalar ?? UInt32(base[i]), i)
                }
                i += length
            }
        }
        return firstUnknown
    }

    @inline(__always)
    private func withRanks<R>(_ body: (UnsafePointer<UInt32>?) -> R) -> R {
        guard let ranks else { return body(nil) }
        return ranks.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        let starts = table.starts
        var total = 0
        for (position, id) in ids.enumerated() {
            guard id >= 0, id < idCount, starts[id + 1] > starts[id] else {
                throw TokenizerError.invalidTokenID(id: id, position: position, vocabularySize: idCount)
            }
            total += starts[id + 1] - starts[id]
        }
        // Most tokens are ≤ 16 bytes: copy 16 bytes unconditionally (one vector load/store)
        // and advance by the real length; the output has 16 bytes of slack and `bytes` is
        // padded by 16 (TokenTable), so the over-read and over-write stay in bounds. A memcpy
        // call per token ran at ~390 MB/s on TinyShakespeare; this at well over 1 GB/s.
        return table.bytes.withUnsafeBufferPointer { src in
            starts.withUnsafeBufferPointer { st in
                [UInt8](unsafeUninitializedCapacity: total + 16) { dst, initialized in
                    let base = dst.baseAddress!
                    var at = 0
                    for id in ids {
                        let s = st[id], length = st[id + 1] - s
                        if length <= 16 {
                            let v = UnsafeRawPointer(src.baseAddress! + s).loadUnaligned(as: SIMD16<UInt8>.self)
                            UnsafeMutableRawPointer(base + at).storeBytes(of: v, as: SIMD16<UInt8>.self)
                        } else {
                            (base + at).update(from: src.baseAddress! + s, count: length)
                        }
                        at += length
                    }
                    initialized = total
                }
            }
        }
    }
}
