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

    /// Compresses `src` into `dst` as one frame; returns the compressed size, or nil if it does
    /// not fit. `forceLiterals` makes zstd Huffman-code literals even at negative levels, where
    /// it would otherwise store them raw.
    func compress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, level: Int32,
                  forceLiterals: Bool = false) -> Int? {
        ZSTD_CCtx_reset(ctx, ZSTD_reset_session_and_parameters)
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level)
        if forceLiterals { ZSTD_CCtx_setParameter(ctx, Self.literalCompressionMode, Self.forceEnable) }
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
