/// Step 1 of the merge-list loaders: token strings in GPT-2's byte-level alphabet, with their
/// ids, into token bytes indexed by id — refusing characters outside the alphabet, duplicate
/// ids and holes. Used for encoder.json / vocab.json and tokenizer.json's `model.vocab`.
struct TokensByID {
    let path: String
    private var byID: [[UInt8]?] = []

    init(path: String) {
        self.path = path
        byID.reserveCapacity(50257)
    }

    /// Adds token `id` spelled by `scalars`; `offset` (byte position in the file, when known)
    /// goes into errors.
    mutating func add(_ scalars: [UInt32], id: Int, offset: Int) throws {
        // One exactly-sized array per token, filled in place: this loop runs 50,257 times
        // at every start of `gpt2kit`.
        var bad: UInt32?
        let byteOf = ByteLevelAlphabet.byteOf   // one lazy-global check, not one per scalar
        let bytes = [UInt8](unsafeUninitializedCapacity: scalars.count) { out, n in
            for (i, scalar) in scalars.enumerated() {
                let b = scalar < 324 ? byteOf[Int(scalar)] : -1
                guard b >= 0 else { bad = scalar; break }
                out[i] = UInt8(truncatingIfNeeded: b)
                n = i + 1
            }
        }
        if let bad {
            throw TokenizerError.malformed(
                path: path, offset: offset, expected: "a token in GPT-2's byte-level alphabet",
                found: "character U+\(String(bad, radix: 16, uppercase: true))")
        }
        guard id >= 0, id < 1 << 24 else {
            throw TokenizerError.badTokenID(path: path, id: id, expected: "an id in 0..<2^24")
        }
        if id >= byID.count { byID.append(contentsOf: repeatElement(nil, count: id + 1 - byID.count)) }
        guard byID[id] == nil else {
            throw TokenizerError.duplicateToken(path: path, token: String(decoding: bytes, as: UTF8.self), id: id)
        }
        byID[id] = bytes
    }

    func finish() throws -> [[UInt8]] {
        if let hole = byID.firstIndex(where: { $0 == nil }) {
            throw TokenizerError.badTokenID(path: path, id: hole,
                                            expected: "ids 0..<\(byID.count) without gaps (id \(hole) is missing)")
        }
        return byID.map { $0! }
    }
}
