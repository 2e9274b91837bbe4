// Tools/bench-format's measuring half: the model file codec on the float tensors of any
// safetensors file, through the public API (ModelFileWriter with byteplanes-zstd, then
// ModelFile.decodeAll), as fp32 or converted to bf16.
//
//   GPT2BenchFormat SAFETENSORS --dtype f32|bf16 --work DIR
//
// Writes DIR/raw.bin (the tensors' bytes back to back, for `zstd` on the same bytes) and prints
// `key value` lines: raw_bytes, stored_bytes, ratio, encode_mbps_t1/t2, decode_mbps_t1/t2 (through
// a model file: create, write, fsync, rename; decode with the file's checks), and the same for
// the codec alone on buffers in memory (memory_*: ZipNN's setting; package API).
#if canImport(Glibc)
import Glibc
#endif
import GPT2Kernels
import GPT2Support
import GPT2ModelFile

func fail(_ s: String) -> Never { print("GPT2BenchFormat: \(s)"); exit(2) }

func readAll(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

let args = CommandLine.arguments
guard args.count == 6, args[2] == "--dtype", args[4] == "--work" else {
    fail("usage: GPT2BenchFormat SAFETENSORS --dtype f32|bf16 --work DIR")
}
let path = args[1], dtype = args[3], work = args[5]
guard dtype == "f32" || dtype == "bf16" else { fail("--dtype f32|bf16") }

// safetensors: u64 header length, JSON {name: {dtype, shape, data_offsets}}, data.
let file = readAll(path)
var reader = ByteReader(bytes: file, file: path) { $0 }
guard let hlen = try? reader.u64AsInt("header length") else { fail("short file or header length above Int.max") }
guard hlen > 0, hlen <= file.count - 8, let header = try? JSON.parse(Array(file[8..<(8 + hlen)])),
      let entries = header.dictionaryValue else { fail("bad safetensors header") }
var tensors: [TensorData] = []
for name in entries.keys.sorted() where name != "__metadata__" {
    let e = entries[name]!
    guard e["dtype"]?.stringValue == "F32", let shape = e["shape"]?.arrayValue?.compactMap(\.intValue),
          let offs = e["data_offsets"]?.arrayValue?.compactMap(\.intValue), offs.count == 2 else { continue }
    let lo = 8 + hlen + offs[0], hi = 8 + hlen + offs[1]
    guard lo <= hi, hi <= file.count, (hi - lo) == 4 * shape.reduce(1, *) else { fail("bad entry \(name)") }
    var bytes = Array(file[lo..<hi])
    if dtype == "bf16" {
        let n = bytes.count / 4
        var out = [UInt8](repeating: 0, count: 2 * n)
        bytes.withUnsafeBytes { s in out.withUnsafeMutableBytes { o in
            Kernels.selected.f32ToBF16(s.baseAddress!.assumingMemoryBound(to: Float.self), o.baseAddress!, count: n) } }
        bytes = out
    }
    tensors.append(TensorData(name: name, shape: shape, type: dtype == "f32" ? .f32 : .bf16, bytes: bytes))
}
let rawBytes = tensors.reduce(0) { $0 + $1.bytes.count }
guard let dump = fopen(work + "/raw.bin", "wb") else { fail("cannot write \(work)/raw.bin") }
for t in tensors { _ = t.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, dump) } }
fclose(dump)

let model = work + "/codec.gpt2kit"
// ModelFile opens GPT-2 files only; a placeholder config labels the container.
let metadata = ModelMetadata(config: GPT2Config(nLayer: 1, nHead: 1, nEmbd: 1, nCtx: 1, vocabSize: 1))
var stored = 0
var out: [(String, String)] = [("tensors", "\(tensors.count)"), ("raw_bytes", "\(rawBytes)")]
for threads in [1, 2] {
    var best = Double.infinity, bestCPU = Double.infinity
    for _ in 0..<3 {
        let t0 = MonotonicClock.seconds(), c0 = MonotonicClock.threadCPUSeconds()
        let w = try ModelFileWriter(path: model, metadata: metadata)
        for t in tensors { try w.add(t, codec: .bytePlanesZstd, threads: threads) }
        try w.finish()
        best = min(best, MonotonicClock.seconds() - t0)
        bestCPU = min(bestCPU, MonotonicClock.threadCPUSeconds() - c0)
        stored = w.tensors.reduce(0) { $0 + $1.storedSize }
    }
    out.append(("encode_mbps_t\(threads)", String(Int(Double(rawBytes) / 1e6 / best))))
    if threads == 1 { out.append(("encode_mbps_cpu_t1", String(Int(Double(rawBytes) / 1e6 / bestCPU)))) }
}
out.append(("stored_bytes", "\(stored)"))
out.append(("ratio", String(Double(stored) / Double(rawBytes))))

// Decoding needs a fresh ModelFile each run (decoded tensors are cached per file).
for threads in [1, 2] {
    var best = Double.infinity, bestCPU = Double.infinity
    for _ in 0..<5 {
        let f = try ModelFile(path: model)
        let t0 = MonotonicClock.seconds(), c0 = MonotonicClock.threadCPUSeconds()
        try f.decodeAll(threads: threads)
        best = min(best, MonotonicClock.seconds() - t0)
        bestCPU = min(bestCPU, MonotonicClock.threadCPUSeconds() - c0)
    }
    out.append(("decode_mbps_t\(threads)", String(Int(Double(rawBytes) / 1e6 / best))))
    if threads == 1 { out.append(("decode_mbps_cpu_t1", String(Int(Double(rawBytes) / 1e6 / bestCPU)))) }
}
unlink(model)

// The codec alone, in memory (ZipNN's setting: a buffer in, a buffer out): every tensor encoded
// to a payload, then decoded into fresh memory (allocated per tensor per run, as ZipNN's output).
let width = dtype == "f32" ? 4 : 2
var payloads: [[UInt8]] = []
for threads in [1, 2] {
    var best = Double.infinity, bestCPU = Double.infinity
    for _ in 0..<3 {
        let t0 = MonotonicClock.seconds(), c0 = MonotonicClock.threadCPUSeconds()
        payloads = tensors.map { t in t.bytes.withUnsafeBytes { BytePlanesCodec.encodeInMemory($0, width: width, threads: threads) } }
        best = min(best, MonotonicClock.seconds() - t0)
        bestCPU = min(bestCPU, MonotonicClock.threadCPUSeconds() - c0)
    }
    out.append(("memory_encode_mbps_t\(threads)", String(Int(Double(rawBytes) / 1e6 / best))))
    if threads == 1 { out.append(("memory_encode_mbps_cpu_t1", String(Int(Double(rawBytes) / 1e6 / bestCPU)))) }
}
// As the writer: a tensor whose coding does not pay is stored raw.
out.append(("memory_ratio", String(Double(zip(tensors, payloads).reduce(0) { $0 + min($1.1.count, $1.0.bytes.count) }) / Double(rawBytes))))
for threads in [1, 2] {
    var best = Double.infinity, bestCPU = Double.infinity
    for _ in 0..<5 {
        let t0 = MonotonicClock.seconds(), c0 = MonotonicClock.threadCPUSeconds()
        for (t, p) in zip(tensors, payloads) {
            let o = UnsafeMutableRawBufferPointer.allocate(byteCount: t.bytes.count, alignment: 64)
            let crc = p.withUnsafeBytes { BytePlanesCodec.decodeInMemory($0, width: width, into: o, threads: threads) }
            guard crc != nil else { fail("\(t.name) did not decode") }
            o.deallocate()
        }
        best = min(best, MonotonicClock.seconds() - t0)
        bestCPU = min(bestCPU, MonotonicClock.threadCPUSeconds() - c0)
    }
    out.append(("memory_decode_mbps_t\(threads)", String(Int(Double(rawBytes) / 1e6 / best))))
    if threads == 1 { out.append(("memory_decode_mbps_cpu_t1", String(Int(Double(rawBytes) / 1e6 / bestCPU)))) }
}
// The round trip, checked once outside the timed runs.
for (t, p) in zip(tensors, payloads) {
    var o = [UInt8](repeating: 0, count: t.bytes.count)
    let ok = o.withUnsafeMutableBytes { ob in p.withUnsafeBytes { BytePlanesCodec.decodeInMemory($0, width: width, into: ob, threads: 2) } } != nil
    guard ok, o == t.bytes else { fail("\(t.name): in-memory round trip differs") }
}
for (k, v) in out { print("\(k) \(v)") }
