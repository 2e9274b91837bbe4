import GPT2Support
import GPT2Tokenizer

/// The token ids a run trains and evaluates on, split as nanoGPT's `prepare.py` does: the text
/// is cut at `int(n * 0.9)` characters (Unicode scalars, Python's `len`), the first part is the
/// training split, the rest validation, each part encoded separately. Or nanoGPT's own
/// `train.bin` / `val.bin` (little-endian uint16) from a directory.
public struct TrainingData: Sendable {
    /// How text becomes ids: GPT-2's BPE or one id per character.
    public enum TokenizerKind: String, Sendable, CaseIterable, Codable {
        /// GPT-2 byte-level BPE (tiktoken's `encode_ordinary`), vocabulary 50257.
        case gpt2
        /// shakespeare_char's `prepare.py`: the sorted set of the text's characters.
        case char
    }

    /// Ids of the training split.
    public var train: [Int32]
    /// Ids of the validation split.
    public var validation: [Int32]
    /// The tokenizer the ids belong to (embedded in the model file).
    public var vocabulary: Vocabulary
    /// Where the data came from, for errors and metadata.
    public var source: String

    /// Splits already tokenized with `vocabulary`; `source` names where they came from.
    public init(train: [Int32], validation: [Int32], vocabulary: Vocabulary, source: String) {
        self.train = train
        self.validation = validation
        self.vocabulary = vocabulary
        self.source = source
    }

    /// Number of ids the model's embedding needs.
    public var vocabularySize: Int { vocabulary.count }

    /// A text file, tokenized by `tokenizer` (`gpt2` needs the GPT-2 vocabulary: `bpe`).
    public static func text(path: String, tokenizer: TokenizerKind, bpe: () throws -> Tokenizer) throws -> TrainingData {
        let bytes = try readAll(path)
        guard !bytes.isEmpty else {
            throw TrainingError(.emptyData, "\(path): the file is empty", hint: "train on a text file with some text in it")
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw TrainingError(.badData, "\(path): the text is not valid UTF-8",
                                hint: "convert it to UTF-8 first (e.g. iconv)")
        }
        let scalars = universalNewlines(Array(decoded.unicodeScalars))
        let cut = Int(Double(scalars.count) * 0.9)
        let head = Array(scalars[..<cut]), tail = Array(scalars[cut...])
        switch tokenizer {
        case .char:
            let vocab = characterVocabulary(scalars)
            var index: [Unicode.Scalar: Int32] = [:]
            for (i, s) in vocab.enumerated() { index[s] = Int32(i) }
            let tokens = vocab.map { Array(String($0).utf8) }
            return TrainingData(train: head.map { index[$0]! }, validation: tail.map { index[$0]! },
                                vocabulary: Vocabulary(kind: .characters, tokens: tokens), source: path)
        case .gpt2:
            let tok = try bpe()
            func encode(_ s: [Unicode.Scalar]) -> [Int32] {
                var text = String(); text.unicodeScalars.append(contentsOf: s)
                return tok.encodeOrdinary(text).map { Int32($0) }
            }
            return TrainingData(train: encode(head), validation: encode(tail), vocabulary: tok.vocabulary, source: path)
        }
    }

    /// nanoGPT's `train.bin` and `val.bin` in `directory`: uint16 ids, little-endian, with the
    /// vocabulary they were made with (GPT-2's, or the char vocabulary of its meta.pkl).
    public static func binaries(directory: String, vocabulary: Vocabulary) throws -> TrainingData {
        func ids(_ name: String) throws -> [Int32] {
            let path = Paths.join(directory, name)
            let bytes = try readAll(path)
            guard !bytes.isEmpty else { throw TrainingError(.emptyData, "\(path): the file is empty", hint: "run nanoGPT's prepare.py again") }
            guard bytes.count % 2 == 0 else {
                throw TrainingError(.badData, "\(path): \(bytes.count) bytes is not a whole number of uint16 ids",
                                    hint: "the file is truncated; run prepare.py again")
            }
            var out = [Int32](repeating: 0, count: bytes.count / 2)
            let limit = vocabulary.count
            for i in out.indices {
                let id = Int32(bytes[2 * i]) | Int32(bytes[2 * i + 1]) << 8
                guard id < limit else {
                    throw TrainingError(.badData, "\(path): id \(id) at byte offset \(2 * i) is outside the vocabulary of \(limit)",
                                        hint: "the .bin files were made with another tokenizer (put its meta.pkl beside them)")
                }
                out[i] = id
            }
            return out
        }
        return TrainingData(train: try ids("train.bin"), validation: try ids("val.bin"), vocabulary: vocabulary, source: directory)
    }

    /// Both splits must hold one window: `blockSize` inputs and the id after the last
    /// (get_batch draws a start in `0..<count - blockSize`).
    public func check(blockSize: Int) throws {
        for (name, split) in [("training", train), ("validation", validation)] where split.count < blockSize + 1 {
            throw TrainingError(.splitTooShort,
                                "\(source): the \(name) split has \(split.count) tokens, fewer than block size + 1 = \(blockSize + 1)",
                                hint: "use more text (the validation split is the last 10%) or a smaller --block-size")
        }
    }

    /// `sorted(list(set(data)))`: Python orders str by code point.
    public static func characterVocabulary(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        Set(scalars).sorted { $0.value < $1.value }
    }

    /// Python's text mode (`open(path, 'r')`, what prepare.py reads with): "\r\n" and a lone
    /// "\r" become "\n".
    static func universalNewlines(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard s.contains("\r") else { return s }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if s[i] == "\r" {
                out.append("\n")
                if i + 1 < s.count, s[i + 1] == "\n" { i += 1 }
            } else {
                out.append(s[i])
            }
            i += 1
        }
        return out
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        do {
            let f = try MappedFile(path: path)
            return f.count == 0 ? [] : f.withUnsafeBytes { Array($0) }
        } catch {
            throw TrainingError(.emptyData, "cannot read the training data: \(error)", hint: "check the path and its permissions")
        }
    }
}
