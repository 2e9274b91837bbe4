import Dispatch
import GPT2Tokenizer
import Synchronization

/// Streams one input through the tokenizer in bounded memory, on several threads, with output
/// identical to encoding the whole input at once.
///
/// The input is read in rounds of about `threads × 4 × chunkSize` bytes and cut into pieces of
/// at least `chunkSize` bytes at `Tokenizer.safeSplitPoint` (a space between two ASCII
/// non-space bytes, where the GPT-2 pattern always ends a piece and whose pieces after it do
/// not depend on the text before). The bytes after the last cut carry over to the next round.
/// Worker threads take pieces in any order; the results are written in input order. Memory is
/// one round plus its output, plus the longest stretch without a split point (text with no
/// ASCII space at all, such as 1 GB of `a`, is one piece, as it is one pre-token).
struct TokenizeStream {
    let encoder: PieceEncoder
    let threads: Int
    let chunkSize: Int

    /// Pieces per round for each thread: enough that an uneven piece does not leave a core idle.
    static let piecesPerThread = 4

    /// Encodes `source` into `sink`; returns the number of tokens.
    func run(_ source: ByteSource, into sink: ByteSink) throws -> Int {
        let format = encoder.format
        try sink.write(format.opening)
        var pending: [UInt8] = []
        var base = 0              // input offset of pending[0]
        var tokens = 0
        var atStart = true        // no id written yet for this input
        var scanFloor = 0         // bytes of pending known to hold no split point
        let roundBytes = threads * Self.piecesPerThread * chunkSize
        var ended = false
        while !ended || !pending.isEmpty {
            if !ended { ended = try source.fill(&pending, to: max(roundBytes, pending.count + chunkSize)) }
            let cuts = pending.withUnsafeBufferPointer { cutPoints(in: $0, from: scanFloor, ended: ended) }
            guard cuts.count > 1 else {
                scanFloor = max(0, pending.count - 2)   // no split yet: read more, scan only new bytes
                continue
            }
            let results = pending.withUnsafeBufferPointer { encodePieces($0, cuts) }
            for (i, r) in results.enumerated() {
                let pieceStart = base + cuts[i]
                switch r.failure {
                case .invalidUTF8(let offset)?:
                    throw TokenIOError.invalidUTF8(input: source.name, offset: pieceStart + offset)
                case .special(let token, let offset)?:
                    throw TokenIOError.specialTokenInText(input: source.name, token: token, offset: pieceStart + offset,
                                                          id: encoder.tokenizer.vocabulary.specialTokens[token] ?? -1)
                case .u16(let id, let index)?:
                    try sink.write(r.output)
                    throw TokenIOError.idTooLargeForU16(input: source.name, id: id, position: tokens + index)
                case .encoder(let error)?:
                    throw error
                case nil:
                    break
                }
                if atStart, r.count > 0 {
                    try sink.write(Array(r.output.dropFirst(format.separator.count)))
                    atStart = false
                } else {
                    try sink.write(r.output)
                }
                tokens += r.count
            }
            let consumed = cuts.last!
            pending.removeSubrange(..<consumed)
            base += consumed
            scanFloor = 0
        }
        try sink.write(format.closing)
        return tokens
    }

    /// Piece boundaries: 0, then a safe split point at least `chunkSize` after the previous
    /// one, as many as fit; at the end of the input the last boundary is the end.
    func cutPoints(in buf: UnsafeBufferPointer<UInt8>, from floor: Int, ended: Bool) -> [Int] {
        var cuts = [0]
        while true {
            let from = max(cuts.last! + chunkSize, floor)
            guard from < buf.count, let cut = Tokenizer.safeSplitPoint(in: buf, from: from) else { break }
            cuts.append(cut)
        }
        if ended, cuts.last! < buf.count { cuts.append(buf.count) }
        return cuts
    }

    /// Encodes pieces `cuts[i]..<cuts[i+1]`, on `threads` threads when there is more than one.
    func encodePieces(_ buf: UnsafeBufferPointer<UInt8>, _ cuts: [Int]) -> [PieceEncoder.Result] {
        let count = cuts.count - 1
        if threads == 1 || count == 1 {
            return (0..<count).map { encoder.encode(UnsafeBufferPointer(rebasing: buf[cuts[$0]..<cuts[$0 + 1]])) }
        }
        let results = UnsafeMutableBufferPointer<PieceEncoder.Result>.allocate(capacity: count)
        results.initialize(repeating: PieceEncoder.Result())
        defer { results.deinitialize(); results.deallocate() }
        let jobs = PieceJobs(input: buf, cuts: cuts, results: results, encoder: encoder)
        let next = Atomic<Int>(0)
        // Each worker takes the next piece until none is left, so a slow piece does not hold
        // back the other core.
        DispatchQueue.concurrentPerform(iterations: min(threads, count)) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < count else { return }
                jobs.run(i)
            }
        }
        return Array(results)
    }
}

/// The buffers one round shares with its worker threads: the input is only read, and each
/// result slot is written by the one worker that took its piece, before `concurrentPerform`
/// returns — hence `@unchecked Sendable`.
private struct PieceJobs: @unchecked Sendable {
    let input: UnsafeBufferPointer<UInt8>
    let cuts: [Int]
    let results: UnsafeMutableBufferPointer<PieceEncoder.Result>
    let encoder: PieceEncoder

    func run(_ i: Int) {
        results[i] = encoder.encode(UnsafeBufferPointer(rebasing: input[cuts[i]..<cuts[i + 1]]))
    }
}
