/// Step 1 of the vocabulary loaders: tokens with their ids into token bytes indexed by id,
/// refusing duplicate ids and holes. The merge-list formats (encoder.json / vocab.json,
/// tokenizer.json's `model.vocab`) spell tokens in GPT-2's byte-level alphabet (`add(_:id:offset:)`,
/// which refuses characters outside it); tiktoken's rank files give the bytes (`add(id:bytes:)`).
struct TokensByID {
    let path: String
    /// What the file calls an id ("id"; "rank" in a tiktoken file), for errors.
    let noun: String
    /// Bytes of the tokens in the order they came, and where each id's are (-1: not yet seen).
    private var arrived: [UInt8] = []
    private var start: [Int] = []
    private var length: [Int32] = []

    init(path: String, noun: String = "id") {
        self.path = path
        self.noun = noun
        arrived.reserveCapacity(1 << 19)
        start.reserveCapacity(50257)
        length.reserveCapacity(50257)
    }

    /// Adds token `id` spelled by `scalars`; `offset` (byte position in the file, when known)
    /// goes into errors.
    mutating func add(_ scalars: [UInt32], id: Int, offset: Int) throws {
        // This loop runs 50,257 times at every start of `gpt2kit`: bytes go into one buffer.
        let byteOf = ByteLevelAlphabet.byteOf   // one lazy-global check, not one per scalar
        let at = arrived.count
        var bad: UInt32?
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: scalars.count) { out in
            for (i, scalar) in scalars.enumerated() {
                let b = scalar < 324 ? byteOf[Int(scalar)] : -1
                guard b >= 0 else { bad = scalar; return }
                out[i] = UInt8(truncatingIfNeeded: b)
            }
            arrived.append(contentsOf: out)     // one append per token, not one per byte
        }
        if let bad {
            throw TokenizerError.malformed(
                path: path, offset: offset, expected: "a token in GPT-2's byte-level alphabet",
                found: "character U+\(String(bad, radix: 16, uppercase: true))")
        }
        try place(id, from: at)
    }

    /// Adds token `id` whose bytes `write` appends to the given buffer; `write` returns false
    /// when the file's spelling is malformed, and then so does this (nothing is added).
    mutating func add(id: Int, bytes write: (inout [UInt8]) -> Bool) throws -> Bool {
        let at = arrived.count
        guard write(&arrived) else {
            arrived.removeSubrange(at...)
            return false
        }
        try place(id, from: at)
        return true
    }

    /// Records that token `id` is `arrived[at...]`.
    @inline(__always)
    private mutating func place(_ id: Int, from at: Int) throws {
        guard id >= 0, id < 1 << 24 else {
            throw TokenizerError.badTokenID(path: path, id: id, expected: "\(noun)s in 0..<2^24")
        }
        let count = Int32(arrived.count - at)
        if id == start.count {                  // the usual case: ids in order
            start.append(at)
            length.append(count)
            return
        }
        if id > start.count {
            start.append(contentsOf: repeatElement(-1, count: id + 1 - start.count))
            length.append(contentsOf: repeatElement(0, count: id + 1 - length.count))
        }
        guard start[id] < 0 else {
            throw TokenizerError.duplicateToken(path: path, token: MergesParser.show(Array(arrived[at...])), id: id)
        }
        start[id] = at
        length[id] = count
    }

    func finish() throws -> TokenBytes {
        if let hole = start.firstIndex(where: { $0 < 0 }) {
            throw TokenizerError.badTokenID(path: path, id: hole,
                                            expected: "\(noun)s 0..<\(start.count) without gaps (\(noun) \(hole) is missing)")
        }
        var out = TokenBytes()
        out.reserve(tokens: start.count, bytes: arrived.count)
        for id in start.indices { out.append(arrived[start[id]..<(start[id] + Int(length[id]))]) }
        return out
    }
}
