import ArgumentParser
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

    enum Format: String, ExpressibleByArgument { case text, u16 }

    @Argument(help: "Files of ids ('-' or none: standard input).")
    var files: [String] = []

    @Option(help: "Vocabulary file or directory, any supported format (default: the GPT-2 vocabulary in Vocab/).")
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
        let vocabulary = try vocab.map { try Vocabulary.load(path: $0) } ?? Vocabulary.loadDefault()
        let tokenizer = try Tokenizer(vocabulary: vocabulary)
        let sink = try ByteSink(path: output)
        for path in files.isEmpty ? ["-"] : files {
            try decode(ByteSource(path: path), tokenizer: tokenizer, into: sink)
        }
        try sink.finish()
    }

    /// Streams one input: read a chunk, parse its ids, write their bytes.
    func decode(_ source: ByteSource, tokenizer: Tokenizer, into sink: ByteSink) throws {
        var parser = IDTextParser()
        var chunk: [UInt8] = []
        var offset = 0      // input offset of chunk[0]
        var position = 0    // index of the next id in the input
        var ended = false
        while !ended {
            chunk.removeAll(keepingCapacity: true)
            ended = try source.read(appendingTo: &chunk, count: chunkSize) == 0
            switch format {
            case .text:
                if ended { try parser.finish(input: source.name, at: offset) } else {
                    try chunk.withUnsafeBufferPointer { try parser.feed($0, base: offset, input: source.name) }
                }
            case .u16:
                // A read may end between the two bytes of an id: fetch its partner now.
                if chunk.count % 2 == 1, try source.read(appendingTo: &chunk, count: 1) == 0 {
                    throw TokenIOError.oddU16Length(input: source.name, length: offset + chunk.count)
                }
                for i in stride(from: 0, to: chunk.count, by: 2) {
                    parser.ids.append(Int(chunk[i]) | Int(chunk[i + 1]) << 8)
                    parser.offsets.append(offset + i)
                }
            }
            offset += chunk.count
            do {
                try sink.write(tokenizer.decodeBytes(parser.ids))
            } catch let TokenizerError.invalidTokenID(id, at, size) {
                // Write the ids before the bad one, then name it by its place in the whole input.
                try sink.write(tokenizer.decodeBytes(Array(parser.ids[..<at])))
                throw TokenIOError.idOutOfRange(input: source.name, id: id, position: position + at,
                                                offset: format == .text ? parser.offsets[at] : nil, vocabularySize: size)
            }
            position += parser.ids.count
            parser.ids.removeAll(keepingCapacity: true)
            parser.offsets.removeAll(keepingCapacity: true)
        }
    }
}
