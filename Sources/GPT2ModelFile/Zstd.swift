import CZstd

/// One zstd compression context (reused across planes: creating one costs ~100 µs and
/// hundreds of KB). Owns the C handle; freed in deinit. Not shared between threads.
final class ZstdCompressor {
    private let ctx: OpaquePointer
    /// Reused block list for `huffmanOnly`.
    private var sequences: [ZSTD_Sequence] = []

    init() {
        guard let c = ZSTD_createCCtx() else { fatalError("zstd: out of memory creating a context") }
        ctx = c
    }

    deinit { ZSTD_freeCCtx(ctx) }

    /// zstd's `ZSTD_c_literalCompressionMode` (experimental parameter 5, stable in the 1.5
    /// shared library; the header only names it under ZSTD_STATIC_LINKING_ONLY).
    static let literalCompressionMode = ZSTD_cParameter(rawValue: 1002)
    static let forceEnable: Int32 = 1   // ZSTD_ps_enable

    /// How to compress one plane.
    enum Tuning {
        /// `ZSTD_c_compressionLevel` alone. `forceLiterals` makes zstd Huffman-code literals even
        /// at negative levels, where it would otherwise store them raw.
        case level(Int32, forceLiterals: Bool = false)
        /// Level 19's optimal parser with a cut search (searchLog 1, hashLog/chainLog 8,
        /// minMatch 7): the 2026-11 writer's setting, ~35 MB/s. Kept for the bench's comparison.
        case planes
        /// No matches at all: every `blockSize` bytes (≤ 128 KiB, zstd's block limit) are one
        /// zstd block of literals, which zstd Huffman-codes with 4 streams (its own table per
        /// block, or the previous one when that is cheaper) or stores raw when the first and last
        /// 4 KB look incompressible. That is ZipNN's "Huffman only" for byte planes, inside a
        /// standard zstd frame, so any zstd decoder reads it. Float byte planes have almost no
        /// real matches: a match finder only spends time and, greedy at low levels, takes
        /// chance ones (level 1 lands at 1.13x the exponent plane's entropy, this at 1.014x).
        case huffmanOnly(blockSize: Int)
    }

    /// Compresses `src` into `dst` as one frame; returns the compressed size, or nil if it does
    /// not fit.
    func compress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, tuning: Tuning) -> Int? {
        ZSTD_CCtx_reset(ctx, ZSTD_reset_session_and_parameters)
        switch tuning {
        case .level(let level, let forceLiterals):
            ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level)
            if forceLiterals { ZSTD_CCtx_setParameter(ctx, Self.literalCompressionMode, Self.forceEnable) }
        case .planes:
            ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, 19)
            ZSTD_CCtx_setParameter(ctx, ZSTD_c_searchLog, 1)
            ZSTD_CCtx_setParameter(ctx, ZSTD_c_hashLog, 8)
            ZSTD_CCtx_setParameter(ctx, ZSTD_c_chainLog, 8)
            ZSTD_CCtx_setParameter(ctx, ZSTD_c_minMatch, 7)
        case .huffmanOnly(let blockSize):
            return literalsOnly(src, into: dst, blockSize: blockSize)
        }
        let n = ZSTD_compress2(ctx, dst.baseAddress, dst.count, src.baseAddress, src.count)
        return ZSTD_isError(n) != 0 ? nil : n
    }

    /// zstd's sequence API with explicit block delimiters: one sequence per block, all
    /// literals, no match (offset 0, matchLength 0 is the delimiter).
    private func literalsOnly(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, blockSize: Int) -> Int? {
        precondition(blockSize > 0 && blockSize <= 1 << 17, "zstd blocks hold at most 128 KiB")
        let blocks = max(1, (src.count + blockSize - 1) / blockSize)
        if sequences.count < blocks { sequences = [ZSTD_Sequence](repeating: ZSTD_Sequence(), count: blocks) }
        for b in 0..<blocks {
            sequences[b] = ZSTD_Sequence(offset: 0, litLength: UInt32(min(blockSize, src.count - b * blockSize)),
                                         matchLength: 0, rep: 0)
        }
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_experimentalParam11, Int32(ZSTD_sf_explicitBlockDelimiters.rawValue))  // blockDelimiters
        let n = sequences.withUnsafeBufferPointer { seq in
            ZSTD_compressSequences(ctx, dst.baseAddress, dst.count, seq.baseAddress, blocks, src.baseAddress, src.count)
        }
        return ZSTD_isError(n) != 0 ? nil : n
    }

    static func bound(_ n: Int) -> Int { ZSTD_compressBound(n) }
}

/// One zstd decompression context; owns the C handle, freed in deinit. Not shared between threads.
final class ZstdDecompressor {
    private let ctx: OpaquePointer

    init() {
        guard let c = ZSTD_createDCtx() else { fatalError("zstd: out of memory creating a context") }
        ctx = c
    }

    deinit { ZSTD_freeDCtx(ctx) }

    /// Decompresses one frame into `dst`. Returns the decoded size, or zstd's error text. zstd
    /// never writes past `dst.count`, so a hostile frame cannot overflow the buffer.
    func decompress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer) -> Result<Int, ZstdError> {
        let n = ZSTD_decompressDCtx(ctx, dst.baseAddress, dst.count, src.baseAddress, src.count)
        if ZSTD_isError(n) != 0 { return .failure(ZstdError(message: String(cString: ZSTD_getErrorName(n)))) }
        return .success(n)
    }
}

struct ZstdError: Error { var message: String }
