import GPT2ModelFile

/// Rearrangements every reader needs to turn a stored tensor into its canonical form, on raw
/// little-endian bytes of any 2- or 4-byte element type (f16, bf16, f32): no conversion of values,
/// so results are bit-exact.
public enum TensorTransforms {
    /// Element type of a safetensors / HF dtype string (`F32`, `F16`, `BF16`), nil otherwise.
    public static func elementType(dtype: String) -> ElementType? {
        switch dtype {
        case "F32": return .f32
        case "F16": return .f16
        case "BF16": return .bf16
        default: return nil
        }
    }

    /// Bytes per element of the source types readers produce (q8_0 has no fixed size: nil).
    public static func elementSize(_ t: ElementType) -> Int? {
        switch t {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q8_0: return nil
        }
    }

    /// `src` holds a row-major `[rows, cols]` matrix; returns the `[cols, rows]` transpose.
    /// Preconditions (callers have validated sizes): `src.count == rows * cols * elementSize`.
    public static func transpose2D(_ src: UnsafeRawBufferPointer, rows: Int, cols: Int,
                                   elementSize: Int) -> [UInt8] {
        precondition(src.count == rows * cols * elementSize, "transpose2D: size mismatch")
        switch elementSize {
        case 4: return transpose(src, rows, cols, UInt32.self)
        case 2: return transpose(src, rows, cols, UInt16.self)
        default: preconditionFailure("transpose2D: element size \(elementSize)")
        }
    }

    private static func transpose<T: FixedWidthInteger>(_ src: UnsafeRawBufferPointer, _ rows: Int,
                                                        _ cols: Int, _: T.Type) -> [UInt8] {
        let size = MemoryLayout<T>.size
        var out = [UInt8](repeating: 0, count: src.count)
        out.withUnsafeMutableBytes { dst in
            // Tiles of 32×32 keep both the reads and the writes within a few cache lines:
            // a plain row loop strides `rows * size` bytes on every write.
            let tile = 32
            var r0 = 0
            while r0 < rows {
                let r1 = min(r0 + tile, rows)
                var c0 = 0
                while c0 < cols {
                    let c1 = min(c0 + tile, cols)
                    for r in r0..<r1 {
                        for c in c0..<c1 {
                            let v = src.loadUnaligned(fromByteOffset: (r * cols + c) * size, as: T.self)
                            dst.storeBytes(of: v, toByteOffset: (c * rows + r) * size, as: T.self)
                        }
                    }
                    c0 = c1
                }
                r0 = r1
            }
        }
        return out
    }

    /// The naive transpose, kept as the test oracle for `transpose2D`.
    public static func transpose2DNaive(_ src: [UInt8], rows: Int, cols: Int, elementSize: Int) -> [UInt8] {
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
    public static func leadingRows(_ src: UnsafeRawBufferPointer, keep: Int, cols: Int,
                                   elementSize: Int) -> [UInt8] {
        let n = keep * cols * elementSize
        precondition(n <= src.count, "leadingRows: not enough rows")
        return Array(UnsafeRawBufferPointer(rebasing: src[0..<n]))
    }
}
