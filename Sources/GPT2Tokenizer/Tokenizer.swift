/// GPT-2 byte-level BPE with ids identical to tiktoken's (`gpt2` / `r50k_base`).
///
///     let tok = try Tokenizer(vocabulary: .loadDefault())
///     tok.encodeOrdinary("hello world")          // [31373, 995]
///     try tok.encode("hi<|endoftext|>", allowedSpecial: .all)   // [5303, 50256]
///     try tok.decode([31373, 995])                // "hello world"
///
/// Encoding: `PreTokenizer` splits UTF-8 bytes into pieces; each piece that is itself a token is
/// emitted directly (most English words), otherwise `BytePairEncoder` merges it.
public struct Tokenizer: Sendable {
    /// The vocabulary it encodes with.
    public let vocabulary: Vocabulary
    let core: TokenizerCore

    /// A tokenizer over `vocabulary`; throws `TokenizerError.invalidVocabulary` when it cannot be
    /// used (too many tokens, ranks that do not match the tokens, ...).
    public init(vocabulary: Vocabulary) throws {
        self.vocabulary = vocabulary
        self.core = try TokenizerCore(vocabulary)
    }

    /// Encodes all of `text` as ordinary text: special-token text like `<|endoftext|>` is split
    /// and merged like any other text (tiktoken's `encode_ordinary`). With a character-level
    /// vocabulary (nanoGPT `meta.pkl`) each character is one id and characters the vocabulary
    /// lacks are skipped; `encode` throws `unknownCharacter` for them instead.
    public func encodeOrdinary(_ text: String) -> [Int] {
        var text = text
        return text.withUTF8 { buf in core.encode(buf) }
    }

    /// `encodeOrdinary` over UTF-8 bytes. Bytes that are not valid UTF-8 each count as one
    /// character of class "other" (see `UTF8Scalar`); `decodeBytes` returns them exactly.
    public func encodeOrdinary(bytes: [UInt8]) -> [Int] {
        bytes.withUnsafeBufferPointer { core.encode($0) }
    }

    /// `encodeOrdinary` over a raw buffer, appending to `out` (for callers that stream chunks).
    public func encodeOrdinary(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
        core.encode(bytes, into: &out)
    }

    /// tiktoken's `encode`: first, if the text contains any special token in
    /// `disallowedSpecial` (`.all` means every special not in `allowedSpecial`), throws
    /// `TokenizerError.disallowedSpecialToken` naming it. Then each occurrence of an allowed
    /// special token becomes its id and the text between them is encoded as ordinary text.
    public func encode(_ text: String, allowedSpecial: SpecialTokens = .none,
                       disallowedSpecial: SpecialTokens = .all) throws -> [Int] {
        var text = text
        return try text.withUTF8 { try encode(bytes: $0, allowedSpecial: allowedSpecial, disallowedSpecial: disallowedSpecial) }
    }

    /// `encode` over UTF-8 bytes (callers that hold bytes, like the CLI, skip making a String
    /// of them). Bytes that are not valid UTF-8 count as in `encodeOrdinary(bytes:)`.
    public func encode(bytes buf: UnsafeBufferPointer<UInt8>, allowedSpecial: SpecialTokens = .none,
                       disallowedSpecial: SpecialTokens = .all) throws -> [Int] {
        let specials = vocabulary.specialTokens
        let allowed = allowedSpecial.resolve(in: specials).filter { specials[$0] != nil }
        let disallowed: Set<String>
        switch disallowedSpecial {
        case .all: disallowed = Set(specials.keys).subtracting(allowed)
        case .none: disallowed = []
        case .only(let names): disallowed = names
        }
        if core.isCharacterLevel {
            var out: [Int] = []
            if let (scalar, offset) = core.encodeCharacters(buf, into: &out) {
                throw TokenizerError.unknownCharacter(scalar: scalar, byteOffset: offset)
            }
            return out
        }
        if !disallowed.isEmpty,
           let hit = SpecialMatcher(names: disallowed).firstMatch(in: buf, from: 0) {
            throw TokenizerError.disallowedSpecialToken(token: hit.name, byteOffset: hit.start)
        }
        if allowed.isEmpty { return core.encode(buf) }
        let matcher = SpecialMatcher(names: allowed)
        var out: [Int] = []
        out.reserveCapacity(buf.count / 3)
        var at = 0
        while let hit = matcher.firstMatch(in: buf, from: at) {
            core.encode(UnsafeBufferPointer(rebasing: buf[at..<hit.start]), into: &out)
            out.append(specials[hit.name]!)
            at = hit.start + hit.length
        }
        core.encode(UnsafeBufferPointer(rebasing: buf[at...]), into: &out)
        return out
    }

    /// The exact bytes of the tokens (may be invalid UTF-8, e.g. id 49426 alone). Throws
    /// `invalidTokenID` naming the position of the first id that is not in the vocabulary.
    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        try core.decodeBytes(ids)
    }

    /// `decodeBytes` as a String, replacing invalid UTF-8 with U+FFFD (tiktoken's
    /// `decode(errors="replace")`).
    public func decode(_ ids: [Int]) throws -> String {
        String(decoding: try core.decodeBytes(ids), as: UTF8.self)
    }

    /// Bytes of one token (ordinary or special).
    public func tokenBytes(_ id: Int) throws -> [UInt8] {
        try core.decodeBytes([id])
    }
}
