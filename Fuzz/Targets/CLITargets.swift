import Glibc
import GPT2Tokenizer

/// Parses `bytes` as detokenize's id text, fed in chunks of `chunk` bytes.
private func parseIDs(_ bytes: [UInt8], chunk: Int) -> (ids: [Int], offsets: [Int], error: String?) {
    var p = IDTextParser()
    do {
        var at = 0
        while at < bytes.count {
            let end = min(at + chunk, bytes.count)
            try bytes[at..<end].withUnsafeBufferPointer { try p.feed($0, base: at, input: "in") }
            at = end
        }
        try p.finish(input: "in", at: bytes.count)
        return (p.ids, p.offsets, nil)
    } catch {
        return (p.ids, p.offsets, "\(error)")
    }
}

/// Runs `tokenize`'s streaming pipeline on `bytes` with chunks of `chunkSize`; the output file's
/// bytes, or the error.
private func stream(_ bytes: [UInt8], _ encoder: PieceEncoder, chunkSize: Int) -> Result<[UInt8], any Error> {
    let input = Scratch.write(bytes, "tokenize-in.txt")
    let output = "\(Scratch.dir)/tokenize-out"
    return Result {
        let sink = try ByteSink(path: output)
        _ = try TokenizeStream(encoder: encoder, threads: 1, chunkSize: chunkSize).run(ByteSource(path: input), into: sink)
        try sink.finish()
        return Scratch.readAbsolute(output)
    }
}

/// Runs `detokenize`'s reader on `bytes`; the output file's bytes, or the error's text.
private func detokenize(_ bytes: [UInt8], _ format: IDStreamDecoder.Format, chunkSize: Int) -> Result<[UInt8], FuzzFailure> {
    let input = Scratch.write(bytes, "detokenize-in")
    let output = "\(Scratch.dir)/detokenize-out"
    do {
        let sink = try ByteSink(path: output)
        try IDStreamDecoder(format: format, chunkSize: chunkSize).decode(ByteSource(path: input), tokenizer: GPT2.tokenizer, into: sink)
        try sink.finish()
        return .success(Scratch.readAbsolute(output))
    } catch {
        if !isTypedError(error) { fatalError("untyped error \(type(of: error)): \(error)") }
        return .failure(FuzzFailure(text: "\(error)"))
    }
}

struct FuzzFailure: Error, Equatable { let text: String }

let cliTargets: [FuzzTarget] = [
    FuzzTarget(name: "detokenize-stream", about: "format byte, chunk byte, ids: detokenize's reader (text, u16) in small chunks == in one") { bytes in
        guard bytes.count >= 2 else { return }
        let format: IDStreamDecoder.Format = bytes[0] & 1 == 0 ? .text : .u16
        let ids = Array(bytes[2...])
        let small = detokenize(ids, format, chunkSize: 2 + Int(bytes[1]) % 31)
        let whole = detokenize(ids, format, chunkSize: 1 << 20)
        guard small == whole else { fatalError("chunked detokenize differs: \(small) vs \(whole)") }
    },
    FuzzTarget(name: "detokenize", about: "detokenize's id text parser: chunked == whole, then the ids decoded") { bytes in
        let whole = parseIDs(bytes, chunk: max(bytes.count, 1))
        let chunked = parseIDs(bytes, chunk: 1 + Int(bytes.first ?? 0) % 7)
        guard whole.error == chunked.error, whole.ids == chunked.ids, whole.offsets == chunked.offsets else {
            fatalError("chunked parse differs: \(whole) vs \(chunked)")
        }
        guard whole.error == nil else { return }
        do { _ = try GPT2.tokenizer.decodeBytes(whole.ids) } catch TokenizerError.invalidTokenID {}
    },
    FuzzTarget(name: "tokenize", about: "options byte, chunk byte, text: tokenize's stream == the whole text at once") { bytes in
        guard bytes.count >= 2 else { return }
        let formats: [TokenOutputFormat] = [.ids, .json, .tokens, .u16]
        let policies: [SpecialTextPolicy] = [.refuse, .allow, .asText, .refuse]
        let encoder = PieceEncoder(tokenizer: GPT2.tokenizer, format: formats[Int(bytes[0] & 3)],
                                   special: policies[Int(bytes[0] >> 2 & 3)], lossy: bytes[0] & 16 != 0)
        let text = Array(bytes[2...])
        let small = stream(text, encoder, chunkSize: 2 + Int(bytes[1]) % 63)
        var whole = text.withUnsafeBufferPointer { encoder.encode($0) }
        // The piece's first id carries a separator; an input's first id does not.
        if !whole.output.isEmpty { whole.output.removeFirst(encoder.format.separator.count) }
        switch small {
        case .success(let out):
            guard whole.failure == nil, out == encoder.format.opening + whole.output + encoder.format.closing else {
                fatalError("streamed output differs from the whole text's: \(out) vs \(whole)")
            }
        case .failure(let error):
            guard whole.failure != nil else { fatalError("stream failed (\(error)) where the whole text encodes") }
            throw error
        }
    },
]
