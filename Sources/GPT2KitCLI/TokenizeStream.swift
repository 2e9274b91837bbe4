import Dispatch
import GPT2Tokenizer

/// Streams one input through the tokenizer in bounded memory, on several threads, with output
/// identical to encoding the whole input at once.
///
/// The input is read and cut into pieces of at least `chunkSize` bytes at
/// `Tokenizer.safeSplitPoint` (before ASCII whitespace that follows a non-whitespace character:
/// the GPT-2 pattern always ends a pre-token there, and has no look-behind, so what follows
/// encodes the same alone). Pieces are encoded by up to `threads` workers while this thread reads ahead; results
/// are written strictly in input order. No round barrier: a worker that finishes takes the
/// next piece, so both cores stay busy until the end. At most `2 × threads` pieces are in
/// flight, so memory is a few chunks plus the longest stretch without a split point (text with
/// no ASCII whitespace at all, like 1 GB of `a`, is a single pre-token and must be held whole).
struct TokenizeStream {
    let encoder: PieceEncoder
    let threads: Int
    let chunkSize: Int

    /// Encodes `source` into `sink`; returns the number of tokens.
    func run(_ source: ByteSource, into sink: ByteSink) throws -> Int {
        var writer = OrderedWriter(encoder: encoder, input: source.name, sink: sink)
        try sink.write(encoder.format.opening)
        var pieces = PiecePipeline(encoder: encoder, threads: threads)
        var pending: [UInt8] = []
        var base = 0              // input offset of pending[0]
        var scanFloor = 0         // bytes of pending known to hold no split point
        var ended = false
        while !ended || !pending.isEmpty {
            if !ended { ended = try source.fill(&pending, to: max(2 * chunkSize, pending.count + chunkSize)) }
            var resume = 0        // where the next search starts if no cut is found now
            let cut = pending.withUnsafeBufferPointer { buf -> Int? in
                var from = max(chunkSize, scanFloor)
                while from < buf.count, let p = Tokenizer.safeSplitPoint(in: buf, from: from) {
                    // Judging a cut needs the special-token text that could run past it.
                    if !ended, p + encoder.longestSpecialWithSpace > buf.count { resume = p; return nil }
                    if !splitsSpecialText(buf, at: p) { return p }
                    from = p + 1
                }
                resume = max(from, buf.count)   // every position below was judged: no cut
                return ended ? buf.count : nil
            }
            guard let cut else {
                scanFloor = resume                      // read more; scan only what is new
                // No cut in two chunks: likely one long pre-token. Read the rest of a file into
                // one buffer rather than a doubling one.
                if pending.count >= 2 * chunkSize, pending.capacity < 4 * chunkSize,
                   let rest = source.remainingBytes() {
                    pending.reserveCapacity(pending.count + rest + 1)
                }
                continue
            }
            if cut > 0 {
                let last = ended && cut == pending.count
                try pieces.submit(takePiece(&pending, cut), start: base, last: last) { try writer.write($0) }
            }
            base += cut
            scanFloor = 0
        }
        try pieces.drain { try writer.write($0) }
        try sink.write(encoder.format.closing)
        return writer.tokens
    }
}

extension TokenizeStream {
    /// Returns `pending[..<cut]` and leaves the bytes after the cut in `pending`. The piece
    /// keeps the buffer (no copy of it: for 10 MB without a cut point the copy, and the fresh
    /// pages it touched, cost more than encoding); only the tail moves, less than two chunks.
    func takePiece(_ pending: inout [UInt8], _ cut: Int) -> [UInt8] {
        var rest: [UInt8] = []
        if cut < pending.count {
            rest.reserveCapacity(max(2 * chunkSize, pending.count - cut))
            rest.append(contentsOf: pending[cut...])
            pending.removeLast(pending.count - cut)
        }
        swap(&rest, &pending)
        return rest
    }

    /// True if a special token's text spans position `p`. GPT-2's `<|endoftext|>` has no
    /// whitespace, so a cut before whitespace never splits it; an added token of another
    /// vocabulary might (tokenizer.json allows any text), and such a cut is skipped.
    func splitsSpecialText(_ buf: UnsafeBufferPointer<UInt8>, at p: Int) -> Bool {
        for name in encoder.specialsWithSpace {
            let n = name.count
            var start = max(0, p - n + 1)
            while start < p, start + n <= buf.count {
                if buf[start] == name[0], buf[start..<(start + n)].elementsEqual(name) { return true }
                start += 1
            }
        }
        return false
    }
}

/// One piece on its way through a worker: filled by exactly one worker, read by the writer only
/// after `done` is signalled — hence `@unchecked Sendable`.
final class Piece: @unchecked Sendable {
    let bytes: [UInt8]
    let start: Int
    var result = PieceEncoder.Result()
    let done = DispatchSemaphore(value: 0)

    init(bytes: [UInt8], start: Int) { self.bytes = bytes; self.start = start }
}

/// Up to `2 × threads` pieces in flight, at most `threads` encoding at once; finished pieces
/// are handed out in submission order.
struct PiecePipeline {
    let encoder: PieceEncoder
    let threads: Int
    private var window: [Piece] = []
    private var head = 0
    private let workers: DispatchSemaphore

    init(encoder: PieceEncoder, threads: Int) {
        self.encoder = encoder
        self.threads = threads
        workers = DispatchSemaphore(value: threads)
    }

    /// `last`: the input's final piece. With nothing else in flight it is encoded on this
    /// thread: handing it to a worker only adds a thread wake-up (most of a one-line input's
    /// encode time) while this thread waits anyway.
    mutating func submit(_ bytes: [UInt8], start: Int, last: Bool = false, _ write: (Piece) throws -> Void) throws {
        let piece = Piece(bytes: bytes, start: start)
        if threads == 1 || (last && head == window.count) {
            piece.result = piece.bytes.withUnsafeBufferPointer { encoder.encode($0) }
            return try write(piece)
        }
        let pieceEncoder = encoder, running = workers
        DispatchQueue.global().async {
            running.wait()
            piece.result = piece.bytes.withUnsafeBufferPointer { pieceEncoder.encode($0) }
            running.signal()
            piece.done.signal()
        }
        window.append(piece)
        // Write what is already finished; block on the oldest only when the window is full.
        while head < window.count, window[head].done.wait(timeout: .now()) == .success {
            try write(window[head]); head += 1
        }
        while window.count - head >= 2 * threads {
            window[head].done.wait()
            try write(window[head]); head += 1
        }
        if head > 64 { window.removeFirst(head); head = 0 }
    }

    mutating func drain(_ write: (Piece) throws -> Void) throws {
        while head < window.count {
            window[head].done.wait()
            try write(window[head]); head += 1
        }
    }
}

/// Writes piece results in input order, turning a piece's failure into the error for the
/// whole input (absolute byte offset or id position).
struct OrderedWriter {
    let encoder: PieceEncoder
    let input: String
    let sink: ByteSink
    private(set) var tokens = 0
    private var atStart = true        // no id written yet for this input

    init(encoder: PieceEncoder, input: String, sink: ByteSink) {
        self.encoder = encoder; self.input = input; self.sink = sink
    }

    mutating func write(_ piece: Piece) throws {
        let r = piece.result
        switch r.failure {
        case .invalidUTF8(let offset)?:
            throw TokenIOError.invalidUTF8(input: input, offset: piece.start + offset)
        case .special(let token, let offset)?:
            throw TokenIOError.specialTokenInText(input: input, token: token, offset: piece.start + offset,
                                                  id: encoder.tokenizer.vocabulary.specialTokens[token] ?? -1)
        case .u16(let id, let index)?:
            try sink.write(r.output)
            throw TokenIOError.idTooLargeForU16(input: input, id: id, position: tokens + index)
        case .encoder(let error)?:
            throw error
        case nil:
            break
        }
        if atStart, r.count > 0 {
            try sink.write(Array(r.output.dropFirst(encoder.format.separator.count)))
            atStart = false
        } else {
            try sink.write(r.output)
        }
        tokens += r.count
    }
}
