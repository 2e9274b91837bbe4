import GPT2Kit
import GPT2Tokenizer

/// What `tokenize` does with special-token text such as `<|endoftext|>` in its input: the
/// library's one rule (refuse, `--allow-special`, `--special-as-text`).
typealias SpecialTextPolicy = SpecialTokenRule

/// Encodes one piece of the input (cut at a safe split point, so pieces encode independently)
/// and formats its ids. Runs on worker threads: it only reads shared state.
struct PieceEncoder: Sendable {
    let tokenizer: Tokenizer
    let format: TokenOutputFormat
    let special: SpecialTextPolicy
    let lossy: Bool
    /// Special tokens whose text contains ASCII whitespace, where a chunk cut could fall (none
    /// in GPT-2).
    let specialsWithSpace: [[UInt8]]
    let longestSpecialWithSpace: Int

    init(tokenizer: Tokenizer, format: TokenOutputFormat, special: SpecialTextPolicy, lossy: Bool) {
        self.tokenizer = tokenizer
        self.format = format
        self.special = special
        self.lossy = lossy
        specialsWithSpace = tokenizer.vocabulary.specialTokens.keys.map { Array($0.utf8) }
            .filter { name in name.contains { b in b == 0x20 || (0x09...0x0D).contains(b) } }
        longestSpecialWithSpace = specialsWithSpace.map(\.count).max() ?? 0
    }

    /// A piece's output, or where in the piece it failed.
    struct Result {
        var output: [UInt8] = []
        var count = 0
        var failure: Failure?
    }

    enum Failure {
        case invalidUTF8(offset: Int)                 // byte offset within the piece
        case special(token: String, offset: Int)      // byte offset within the piece
        case u16(id: Int, index: Int)                 // index among the piece's ids
        case encoder(Error)
    }

    func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> Result {
        var result = Result()
        let ids: [Int]
        do {
            // Valid UTF-8 is encoded in place (no String copy of the piece).
            if let bad = Tokenizer.firstInvalidUTF8(in: bytes) {
                guard lossy else {
                    result.failure = .invalidUTF8(offset: bad)
                    return result
                }
                // Replacement follows Unicode's "maximal subpart" practice, as Python's
                // errors="replace" does; pieces are cut at ASCII bytes, which end any bad
                // sequence, so replacing per piece equals replacing the whole input.
                var text = String(decoding: bytes, as: UTF8.self)
                ids = try text.withUTF8 { try encodeValid($0) }
            } else {
                ids = try encodeValid(bytes)
            }
        } catch let TokenizerError.disallowedSpecialToken(token, offset) {
            result.failure = .special(token: token, offset: offset)
            return result
        } catch {
            result.failure = .encoder(error)
            return result
        }
        result.count = ids.count
        if let bad = format.append(ids, to: &result.output, tokenizer: tokenizer) {
            result.failure = .u16(id: ids[bad], index: bad)
        }
        return result
    }
}

extension PieceEncoder {
    /// Ids of valid UTF-8 under the special-token policy.
    func encodeValid(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [Int] {
        switch special {
        case .asText:
            var ids: [Int] = []
            ids.reserveCapacity(bytes.count / 3 + 1)
            tokenizer.encodeOrdinary(bytes, into: &ids)
            return ids
        case .allow: return try tokenizer.encode(bytes: bytes, allowedSpecial: .all)
        case .refuse: return try tokenizer.encode(bytes: bytes)
        }
    }
}

/// Offset of the first byte that does not start a well-formed UTF-8 sequence (only called on
/// input already known to be invalid).
func firstInvalidUTF8Offset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    var parser = Unicode.UTF8.ForwardParser()
    var it = bytes.makeIterator()
    var offset = 0
    while true {
        switch parser.parseScalar(from: &it) {
        case .valid(let s): offset += s.count
        case .error: return offset
        case .emptyInput: return offset
        }
    }
}
