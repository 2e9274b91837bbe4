import ArgumentParser
import GPT2Kit
import GPT2Tokenizer
import Glibc

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Text on stdin or files to GPT-2 token ids.",
        discussion: """
        Output: token ids separated by spaces, one line per input (default); --json: a JSON array \
        per input; --tokens: "id -> 'piece'" per token with unprintable bytes escaped; --count: the \
        number of tokens; --format u16: little-endian uint16 ids (nanoGPT's train.bin).
        Text containing a special token such as <|endoftext|> is refused unless --allow-special \
        or --special-as-text says what it means (the same rule and flags as generate and \
        perplexity). Large inputs stream through bounded memory and \
        are encoded on all cores; the ids are the same as encoding the whole text at once.
        """)

    enum Format: String, CaseInsensitiveArgument { case text, u16 }

    @Argument(help: "Files to tokenize, each its own text ('-' or none: standard input).")
    var files: [String] = []

    @Option(name: .shortAndLong, help: "Tokenize this text instead of files or standard input.")
    var prompt: String?

    @Option(help: "Vocabulary file or directory in any supported format, or a model file (its embedded tokenizer) (default: the GPT-2 vocabulary).")
    var vocab: String?

    @Flag(help: "Print the number of tokens only.") var count = false
    @Flag(help: "Print each token's id and bytes, one per line.") var tokens = false
    @Flag(help: "Print a JSON array of ids.") var json = false
    @Option(help: "text (ids, or --count/--tokens/--json) or u16 (binary little-endian uint16 ids).")
    var format: Format = .text

    @OptionGroup var special: SpecialTokenOptions
    @Flag(help: "Replace invalid UTF-8 with U+FFFD instead of failing.")
    var lossy = false

    @Option(name: .shortAndLong, help: "Write to this file (atomically: a temporary file renamed at the end).")
    var output: String?

    @Option(name: [.customShort("t"), .long], help: "Threads for large inputs.")
    var threads: Int = min(64, max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    @Option(help: .hidden) var chunkSize: Int = 256 << 10

    func validate() throws {
        if [count, tokens, json].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --count, --tokens, --json")
        }
        if format == .u16, count || tokens || json {
            throw ValidationError("--format u16 writes binary ids; it does not combine with --count, --tokens or --json")
        }
        if prompt != nil && !files.isEmpty { throw ValidationError("give the text with -p or as files, not both") }
        try ThreadCount.validate(threads)
        guard (1...(1 << 30)).contains(chunkSize) else { throw ValidationError("--chunk-size must be in 1...2^30") }
    }

    var outputFormat: TokenOutputFormat {
        format == .u16 ? .u16 : count ? .count : tokens ? .tokens : json ? .json : .ids
    }

    func run() throws {
        MallocTuning.keepFreedMemory()
        let vocabulary = try vocab.map { try TextModel.vocabulary(at: $0) } ?? Vocabulary.loadDefault()
        let encoder = PieceEncoder(tokenizer: try Tokenizer(vocabulary: vocabulary), format: outputFormat,
                                   special: special.rule, lossy: lossy)
        let stream = TokenizeStream(encoder: encoder, threads: threads, chunkSize: chunkSize)
        let sink = try ByteSink(path: output)
        let inputs = files.isEmpty ? ["-"] : files
        var total = 0
        for path in inputs {
            let n = try stream.run(prompt.map { ByteSource(text: $0) } ?? ByteSource(path: path), into: sink)
            total += n
            if count { try sink.write(inputs.count > 1 ? "\(n) \(path)\n" : "\(n)\n") }
        }
        if count, inputs.count > 1 { try sink.write("\(total) total\n") }
        try sink.finish()
    }
}
