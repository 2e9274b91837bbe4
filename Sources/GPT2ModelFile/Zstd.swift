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

    /// Compresses `src` into `dst`; returns the compressed size, or nil if it does not fit.
    func compress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, level: Int32) -> Int? {
        let n = ZSTD_compressCCtx(ctx, dst.baseAddress, dst.count, src.baseAddress, src.count, level)
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
