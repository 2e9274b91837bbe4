/// The data a tokenizer is made of, whatever file it was read from.
///
/// Every vocabulary loader (encoder.json + vocab.bpe, vocab.json + merges.txt, tokenizer.json,
/// `.tiktoken`, llm.c's `gpt2_tokenizer.bin`, nanoGPT's `meta.pkl`) produces this value, and the
/// model file embeds it, so one tokenizer implementation serves every source.
public struct Vocabulary: Sendable, Equatable {
    /// How token ids map to text.
    public enum Kind: String, Sendable, Equatable {
        /// GPT-2 byte-level BPE (tiktoken's `r50k_base` / `gpt2` semantics).
        case byteLevelBPE = "byte_level_bpe"
        /// nanoGPT's character-level `meta.pkl`: each Unicode scalar is one token.
        case characters = "characters"
    }

    /// Byte-level BPE or characters.
    public var kind: Kind
    /// Raw bytes of each ordinary token, indexed by id (ids `0..<tokens.count`). Held flat
    /// (`tokenBytes`); the arrays are made on the first read and kept.
    public var tokens: [[UInt8]] {
        get { store.arrays }
        set { store = TokenStore(arrays: newValue) }
    }
    private var store: TokenStore
    /// The ordinary tokens' bytes, flat (what the tokenizer and the model file read).
    package var tokenBytes: TokenBytes { store.flat }
    /// BPE merge priority of each id, lower merges first (tiktoken's "rank"). `nil` means
    /// rank == id, which holds for GPT-2's own files. Loaders that read an explicit merges list
    /// derive it from merge order: a token made by merge `i` gets rank `256 + i`.
    public var ranks: [UInt32]?
    /// Special tokens by their text, e.g. `["<|endoftext|>": 50256]`. Their ids are outside
    /// `0..<tokens.count` or (for formats that list them in the vocabulary) inside it.
    public var specialTokens: [String: Int]
    /// End-of-text id used to stop generation, if the source names one.
    public var eosID: Int?

    /// A vocabulary of `tokens` (by id), with optional ranks, special tokens and end-of-text id.
    public init(kind: Kind = .byteLevelBPE, tokens: [[UInt8]], ranks: [UInt32]? = nil,
                specialTokens: [String: Int] = [:], eosID: Int? = nil) {
        self.init(kind: kind, store: TokenStore(arrays: tokens), ranks: ranks, specialTokens: specialTokens, eosID: eosID)
    }

    /// A vocabulary of flat token bytes (loaders: no array per token).
    package init(kind: Kind = .byteLevelBPE, tokenBytes: TokenBytes, ranks: [UInt32]? = nil,
                 specialTokens: [String: Int] = [:], eosID: Int? = nil) {
        self.init(kind: kind, store: TokenStore(flat: tokenBytes), ranks: ranks, specialTokens: specialTokens, eosID: eosID)
    }

    private init(kind: Kind, store: TokenStore, ranks: [UInt32]?, specialTokens: [String: Int], eosID: Int?) {
        self.kind = kind
        self.store = store
        self.ranks = ranks
        self.specialTokens = specialTokens
        self.eosID = eosID
    }

    /// Same kind, tokens, ranks, specials and end-of-text id.
    public static func == (a: Vocabulary, b: Vocabulary) -> Bool {
        a.kind == b.kind && a.ranks == b.ranks && a.specialTokens == b.specialTokens && a.eosID == b.eosID
            && (a.store === b.store || a.store.flat == b.store.flat)
    }

    /// Number of ids, ordinary and special: the size of a model's logits row.
    public var count: Int {
        let maxSpecial = specialTokens.values.max() ?? -1
        return max(store.flat.count, maxSpecial + 1)
    }
}
