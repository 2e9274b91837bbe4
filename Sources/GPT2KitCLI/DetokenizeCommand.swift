import ArgumentParser
import GPT2Kit
import GPT2Tokenizer

struct DetokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize", abstract: "Token ids back to the exact bytes.",
        discussion: """
        Reads ids as text (decimal, separated by spaces, newlines or commas; JSON arrays work too) \
        or, with --format u16, as little-endian uint16 (nanoGPT's train.bin), and writes the bytes \
        of the tokens unchanged (they may be invalid UTF-8 where a character is split). An id \
        outside the vocabulary is an error naming its position (0 = first id).
        """)

    enum Format: String, CaseInsensitiveArgument { case text, u16 }

    @Argument(help: "Files of ids ('-' or none: standard input).")
    var files: [String] = []

    @Option(help: "Vocabulary file or directory in any supported format, or a model file (its embedded tokenizer) (default: the GPT-2 vocabulary).")
    var vocab: String?

    @Option(help: "text (decimal ids) or u16 (binary little-endian uint16 ids).")
    var format: Format = .text

    @Option(name: .shortAndLong, help: "Write to this file (atomically: a temporary file renamed at the end).")
    var output: String?

    @Option(help: .hidden) var chunkSize: Int = 1 << 20

    func validate() throws {
        guard (2...(1 << 30)).contains(chunkSize) else { throw ValidationError("--chunk-size must be in 2...2^30") }
    }

    func run() throws {
        MallocTuning.keepFreedMemory()
        let vocabulary = try vocab.map { try TextModel.vocabulary(at: $0) } ?? Vocabulary.loadDefault()
        let tokenizer = try Tokenizer(vocabulary: vocabulary)
        let sink = try ByteSink(path: output)
        for path in files.isEmpty ? ["-"] : files {
            try IDStreamDecoder(format: format == .u16 ? .u16 : .text, chunkSize: chunkSize)
                .decode(ByteSource(path: path), tokenizer: tokenizer, into: sink)
        }
        try sink.finish()
    }
}
