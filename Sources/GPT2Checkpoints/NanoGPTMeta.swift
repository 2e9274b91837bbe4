import GPT2Support
import GPT2Tokenizer

/// nanoGPT's character-level tokenizer, `meta.pkl` beside `ckpt.pt` (written by
/// `data/shakespeare_char/prepare.py`): a pickled dict `{'vocab_size': n, 'itos': {id: char},
/// 'stoi': {char: id}}`. Read by the safe pickle reader (no globals at all are needed).
enum NanoGPTMeta {
    static let fileName = "meta.pkl"

    /// The character vocabulary of `path`: token `i` is the UTF-8 of `itos[i]`.
    static func load(path: String) throws -> Vocabulary {
        let file = try MappedFile.checkpoint(path)
        guard file.count <= 64 << 20 else {
            throw CheckpointError(.headerTooLarge, file: path, "meta.pkl of \(file.count) bytes is larger than 64 MB",
                                  hint: "a character vocabulary pickle is a few KB")
        }
        let policy = PickleReader.Policy(allowedGlobals: PickleReader.setConstructors)
        let root = try TorchFile.unpickle(path) {
            try file.withUnsafeBytes { try PickleReader.read($0, policy: policy).value }
        }
        return try vocabulary(root, file: path)
    }

    static func vocabulary(_ root: PickleValue, file: String) throws -> Vocabulary {
        func bad(_ msg: String) -> CheckpointError {
            CheckpointError(.corrupt, file: file, "meta.pkl: \(msg)",
                            hint: "expected nanoGPT's {'vocab_size': n, 'itos': {i: ch}, 'stoi': {ch: i}}")
        }
        guard let n = root["vocab_size"]?.asInt, n > 0, n <= 1 << 24 else { throw bad("vocab_size missing or out of range") }
        guard let itos = root["itos"]?.asDict else { throw bad("no itos dict") }
        guard itos.count == n else { throw bad("itos has \(itos.count) entries, vocab_size is \(n)") }
        var tokens = [[UInt8]?](repeating: nil, count: n)
        for e in itos {
            guard let i = e.key.asInt, i >= 0, i < n else { throw bad("itos key \(e.key) is not an id below \(n)") }
            guard let s = e.value.asString, !s.isEmpty else { throw bad("itos[\(i)] is not a non-empty str") }
            guard tokens[i] == nil else { throw bad("itos id \(i) repeated") }
            tokens[i] = Array(s.utf8)
        }
        // stoi must be itos inverted, or encode and decode would disagree.
        if let stoi = root["stoi"]?.asDict {
            guard stoi.count == n else { throw bad("stoi has \(stoi.count) entries, vocab_size is \(n)") }
            for e in stoi {
                guard let s = e.key.asString, let i = e.value.asInt, i >= 0, i < n, tokens[i] == Array(s.utf8) else {
                    throw bad("stoi[\(e.key)] = \(e.value) disagrees with itos")
                }
            }
        }
        return Vocabulary(kind: .characters, tokens: tokens.map { $0! })
    }
}
