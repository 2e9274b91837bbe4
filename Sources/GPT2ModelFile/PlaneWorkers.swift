import Synchronization

/// One thread's reusable state for the byte-plane codec: zstd contexts and plane-sized
/// buffers, kept in a small pool between tensors.
///
/// Why: encoding allocated a fresh zstd context, plane buffer and output buffer for every chunk
/// (and decoding a context per tensor). Large allocations come back as new pages from the
/// kernel, so a profile of GPT2BenchFormat on MiniLM bf16 spent 40 % of its samples in the
/// kernel (clear_page, page faults) and 1.8 % creating zstd decompression contexts.
final class PlaneWorker: @unchecked Sendable {
    /// Created on first use: an encoder never needs a decoder and vice versa.
    private(set) lazy var compressor = ZstdCompressor()
    private(set) lazy var decompressor = ZstdDecompressor()
    private var buffers: [UnsafeMutableRawBufferPointer] = []

    deinit { for b in buffers { b.deallocate() } }

    /// Buffer `i` with at least `bytes` capacity (contents undefined), kept for the next user.
    func buffer(_ i: Int, bytes: Int) -> UnsafeMutableRawBufferPointer {
        while buffers.count <= i { buffers.append(UnsafeMutableRawBufferPointer(start: nil, count: 0)) }
        if buffers[i].count < bytes {
            buffers[i].deallocate()
            buffers[i] = .allocate(byteCount: bytes, alignment: 64)
        }
        return buffers[i]
    }

    var retainedBytes: Int { buffers.reduce(0) { $0 + $1.count } }

    /// Idle workers. At most `keep` are kept, so the pool holds a few chunk-sized buffers per
    /// core (chunks of 256 Ki elements: ~1 MiB each), not a tensor's worth.
    private static let idle = Mutex<[PlaneWorker]>([])
    static let keep = 4
    static let maxRetainedBytes = 16 << 20

    /// `count` workers for the duration of `body`, returned to the pool afterwards.
    static func with<R, E: Error>(_ count: Int, _ body: ([PlaneWorker]) throws(E) -> R) throws(E) -> R {
        let workers: [PlaneWorker] = idle.withLock { pool in
            let reused = Array(pool.suffix(count))
            pool.removeLast(reused.count)
            return reused + (0..<(count - reused.count)).map { _ in PlaneWorker() }
        }
        defer {
            // A hostile or unusual payload's huge chunks must not stay allocated.
            let kept = workers.filter { $0.retainedBytes <= maxRetainedBytes }
            idle.withLock { pool in pool += kept.prefix(max(0, keep - pool.count)) }
        }
        return try body(workers)
    }
}
