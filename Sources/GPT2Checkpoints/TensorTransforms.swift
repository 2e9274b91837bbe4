import Dispatch
import GPT2ModelFile
#if arch(x86_64)
import CKernels
#endif

/// Rearrangements every reader needs to turn a stored tensor into its canonical form, on raw
/// little-endian bytes of any 2- or 4-byte element type (f16, bf16, f32): no conversion of values,
/// so results are bit-exact.
enum TensorTransforms {
    /// Element type of a safetensors / HF dtype string (`F32`, `F16`, `BF16`), nil otherwise.
    static func elementType(dtype: String) -> ElementType? {
        switch dtype {
        case "F32": return .f32
        case "F16": return .f16
        case "BF16": return .bf16
        default: return nil
        }
    }

    /// Bytes per element of the source types readers produce (q8_0 has no fixed size: nil).
    static func elementSize(_ t: ElementType) -> Int? {
        switch t {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q8_0: return nil
        }
    }

    /// `src` holds a row-major `[rows, cols]` matrix; returns the `[cols, rows]` transpose.
    /// Preconditions (callers have validated sizes): `src.count == rows * cols * elementSize`.
    /// `threads` split the source rows (each thread writes its own column range of the result).
    static func transpose2D(_ src: UnsafeRawBufferPointer, rows: Int, cols: Int,
                                   elementSize: Int, threads: Int = 1) -> [UInt8] {
        precondition(src.count == rows * cols * elementSize, "transpose2D: size mismatch")
        if src.isEmpty { return [] }
        switch elementSize {
        case 4: return transpose(src, rows, cols, UInt32.self, threads: threads)
        case 2: return transpose(src, rows, cols, UInt16.self, threads: threads)
        default: preconditionFailure("transpose2D: element size \(elementSize)")
        }
    }

    private static func transpose<T: FixedWidthInteger & Sendable>(_ src: UnsafeRawBufferPointer, _ rows: Int,
                                                        _ cols: Int, _: T.Type, threads: Int) -> [UInt8] {
        // 32×32 tiles, gathered into a small buffer and written out one destination row segment
        // at a time. Writing the transpose directly from the tile loop revisits 32 destination
        // lines 32 times each; when the destination row stride is a multiple of 4096 bytes
        // (GPT-2's mlp.c_proj: [3072, 768] f32 → stride 12288) those lines all fall in one L1
        // set and thrash: 21 ns/element, against 0.7 ns with the buffer (measured on a
        // 768×3072 f32 matrix, -Ounchecked; 0.4-0.7 ns for the other GPT-2 shapes).
        let size = MemoryLayout<T>.size
        let tile = 32
        let tileRows = (rows + tile - 1) / tile
        let t = max(1, min(threads, tileRows))
        return [UInt8](unsafeUninitializedCapacity: src.count) { out, initialized in
            let dst = UncheckedSendablePointer(UnsafeMutableRawPointer(out.baseAddress!))
            let source = UncheckedSendableRawBuffer(src)
            // Thread w transposes tile rows [w·tileRows/t, (w+1)·tileRows/t).
            let part: @Sendable (Int) -> Void = { w in
                let dst = dst.value
                #if !arch(x86_64)
                let buf = UnsafeMutablePointer<T>.allocate(capacity: tile * tile)
                defer { buf.deallocate() }
                #endif
                let band = UnsafeMutableRawPointer.allocate(byteCount: tile * cols * size, alignment: 64)
                defer { band.deallocate() }
                var r0 = w * tileRows / t * tile
                let rEnd = min(rows, (w + 1) * tileRows / t * tile)
                while r0 < rEnd {
                    let h = min(tile, rEnd - r0)
                    // The band's rows are contiguous in the source: one sequential copy into a
                    // scratch band (L2-sized) first. Read tile by tile straight from the source
                    // mapping, every 128-byte row piece was a demand miss in a different page
                    // (32 streams defeat the prefetcher): perf put 82 % of the transpose on that
                    // load, 28 % of a raw GPT-2 124M convert.
                    band.copyMemory(from: source.value.baseAddress! + r0 * cols * size, byteCount: h * cols * size)
                    #if arch(x86_64)
                    // SSE2 4x4 / 8x8 register transposes (CKernels/transpose.c): raw GPT-2 124M
                    // convert, the transposition 14 % -> 7 % of the samples (perf, Zen 4).
                    gpt2kit_transpose_band(band, h, cols, size, dst, rows, r0)
                    #else
                    let src = UnsafeRawPointer(band)
                    var c0 = 0
                    while c0 < cols {
                        let w = min(tile, cols - c0)
                        for r in 0..<h {                                  // read source rows
                            let rowStart = (r * cols + c0) * size
                            for c in 0..<w {
                                buf[c * tile + r] = src.loadUnaligned(fromByteOffset: rowStart + c * size, as: T.self)
                            }
                        }
                        for c in 0..<w {                                  // write destination rows
                            (dst + ((c0 + c) * rows + r0) * size).copyMemory(from: buf + c * tile, byteCount: h * size)
                        }
                        c0 += w
                    }
                    #endif
                    r0 += h
                }
            }
            if t == 1 { part(0) } else { DispatchQueue.concurrentPerform(iterations: t, execute: part) }
            initialized = src.count
        }
    }

    /// The naive transpose, kept as the test oracle for `transpose2D`.
    static func transpose2DNaive(_ src: [UInt8], rows: Int, cols: Int, elementSize: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: src.count)
        for r in 0..<rows {
            for c in 0..<cols {
                for b in 0..<elementSize {
                    out[(c * rows + r) * elementSize + b] = src[(r * cols + c) * elementSize + b]
                }
            }
        }
        return out
    }

    /// The first `keep` rows of a row-major matrix of `cols` columns: drops the padding rows
    /// that nanoGPT and llm.c add to `wte` (50257 → 50304 for GPU-friendly sizes).
    static func leadingRows(_ src: UnsafeRawBufferPointer, keep: Int, cols: Int,
                                   elementSize: Int) -> [UInt8] {
        let n = keep * cols * elementSize
        precondition(n <= src.count, "leadingRows: not enough rows")
        return Array(UnsafeRawBufferPointer(rebasing: src[0..<n]))
    }
}
