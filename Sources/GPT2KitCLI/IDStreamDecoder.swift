import GPT2Tokenizer

/// `detokenize`'s reader of one input, apart from the command so that the fuzz target
/// (docs/FUZZING.md) runs exactly this code: ids as text or little-endian uint16, in chunks.
struct IDStreamDecoder {
    enum Format { case text, u16 }
    let format: Format
    /// Bytes read per step (2...2^30).
    let chunkSize: Int

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
            // An error in the input's syntax is raised after the ids before it are decoded, so
            // the first error in input order is the one reported, whatever the chunk size.
            var syntaxError: TokenIOError?
            switch format {
            case .text:
                do {
                    if ended { try parser.finish(input: source.name, at: offset) } else {
                        try chunk.withUnsafeBufferPointer { try parser.feed($0, base: offset, input: source.name) }
                    }
                } catch let e as TokenIOError {
                    syntaxError = e
                }
            case .u16:
                // A read may end between the two bytes of an id: fetch its partner now.
                if chunk.count % 2 == 1, try source.read(appendingTo: &chunk, count: 1) == 0 {
                    syntaxError = TokenIOError.oddU16Length(input: source.name, length: offset + chunk.count)
                }
                for i in stride(from: 0, to: chunk.count - 1, by: 2) {
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
            if let syntaxError { throw syntaxError }
        }
    }
}
