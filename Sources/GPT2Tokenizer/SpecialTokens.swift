/// A set of special tokens named by their text, as in tiktoken's `allowed_special` /
/// `disallowed_special` arguments (`"all"`, a set, or nothing).
public enum SpecialTokens: Sendable, Equatable {
    case none
    case all
    case only(Set<String>)

    /// The names this set stands for, given the vocabulary's special tokens.
    func resolve(in specials: [String: Int]) -> Set<String> {
        switch self {
        case .none: return []
        case .all: return Set(specials.keys)
        case .only(let names): return names
        }
    }
}
