// KernelBench: throughput of the GPT2Kernels hot kernels on GPT-2 124M shapes.
// Run through Tools/bench-kernels (release build). Prints one line per measurement:
//   matvec <type> threads=<n>: <GB/s> GB/s, <implied tok/s> tok/s (all 49 matrices of a token)
//   matmul <type> threads=<n> T=128: <GFLOP/s>, <implied prompt tok/s>
//   attention L=256 ... : <µs> per token with f32 and f16 caches (--only attention; not in the default set)
//   pool dispatch threads=2: <ns> per run
//   read <type> threads=<n>: a plain read of the same weights, the generation ceiling (--only read)
// Best of several repetitions (the machine is shared and noisy). The kernel set is
// Kernels.selected: GPT2KIT_KERNELS=portable|avx2|avx512 forces one.

#if canImport(Glibc)
import Glibc
#endif
import GPT2Kernels
import GPT2Support

/// GPT-2 124M linear layers, [OUT, IN]: per layer qkv, attn proj, fc, mlp proj; then the tied head.
let C = 768, V = 50257, layers = 12
let layerShapes = [(3 * C, C), (C, C), (4 * C, C), (C, 4 * C)]
let allShapes = Array(repeating: layerShapes, count: layers).flatMap { $0 } + [(V, C)]

var args = CommandLine.arguments.dropFirst()
var types: [WeightType] = [.f32, .f16, .bf16, .q8_0]
var threadCounts = [1, 2]
var reps = 5
var what: Set<String> = ["matvec", "matmul", "ops", "pool"]
var resident = false
var promptT = 128
while let a = args.popFirst() {
    switch a {
    case "--types": types = args.popFirst()!.split(separator: ",").map { WeightType(rawValue: String($0))! }
    case "--threads": threadCounts = args.popFirst()!.split(separator: ",").map { Int($0)! }
    case "--reps": reps = Int(args.popFirst()!)!
    case "--prompt": promptT = Int(args.popFirst()!)!   // T of the matmul measurement
    case "--resident": resident = true      // one L2/L3-resident 768x768 matrix: compute speed, not DRAM
    case "--sets": print(KernelSet.supported.reversed().map(\.rawValue).joined(separator: " ")); exit(0)
    case "--only": what = Set(args.popFirst()!.split(separator: ",").map(String.init))
    default: print("usage: KernelBench [--types f32,f16,bf16,q8_0] [--threads 1,2] [--reps N] [--only matvec,matmul,ops,attention,pool,read] [--prompt T] [--resident] | --sets"); exit(64)
    }
}

let K: Kernels
do { K = try Kernels.fromEnvironment() } catch { print("error: \(error)"); exit(1) }
print("kernels: \(K.description) (CPU: \(CPUFeatures.current))")
print("weight-stream software prefetch: \(CPUFeatures.streamPrefetchBytes == 0 ? "none" : "\(CPUFeatures.streamPrefetchBytes) bytes ahead")")

/// Weights live on 2 MiB pages as the runtime reads them (a model file's mapping is, on kernels
/// with large folios in the page cache; the packed q8_0 copy asks for them): 4 KiB pages cost a
/// TLB miss every 4 KiB of a weight stream. Kept here until the type's measurements are done.
nonisolated(unsafe) var weightMemory: [PageMemory] = []
func hugePageMemory(_ bytes: Int) -> UnsafeMutableRawPointer {
    guard let m = PageMemory(bytes: bytes, hugePages: true) else { fatalError("KernelBench: cannot map \(bytes) bytes") }
    weightMemory.append(m)
    return m.pointer
}

/// Random weights for every matrix of the model, encoded in `type` (one allocation each).
func makeWeights(_ type: WeightType, _ shapes: [(Int, Int)]) -> [(UnsafeMutableRawPointer, WeightMatrix)] {
    var seed: UInt32 = 1
    let tmp = UnsafeMutablePointer<Float>.allocate(capacity: V * C)
    defer { tmp.deallocate() }
    return shapes.map { (out, inn) in
        for i in 0..<out * inn { seed = seed &* 1_664_525 &+ 1_013_904_223; tmp[i] = Float(Int32(bitPattern: seed) >> 8) * 0x1p-27 }
        let bytes = type.byteCount(elements: out * inn)!
        let p = hugePageMemory(bytes)
        K.encode(tmp, count: out * inn, as: type, into: p)
        let w = WeightMatrix(base: p, type: type, rows: out, cols: inn)
        // q8_0 as the runtime has it with a VNNI kernel set: with the packed copy.
        if type == .q8_0 && K.packsQ8 {
            let dst = hugePageMemory(Kernels.packedQ8ByteCount(rows: out, cols: inn)!)
            return (p, K.packQ8(w, into: dst, pool: nil))
        }
        return (p, w)
    }
}

/// v with one decimal (no Foundation here).
func f1(_ v: Double) -> String {
    let r = (v * 10).rounded()
    return "\(Int(r) / 10).\(abs(Int(r)) % 10)"
}

nonisolated(unsafe) var sink: Float = 0

/// Sums every 4-byte word of W's bytes as f32 (the kernel set's plain read, with the matvec's
/// prefetch), split like matvec.
func readAll(_ w: WeightMatrix, _ pool: ThreadPool) -> Float {
    let n = w.rows * w.rowBytes / 64                  // 64-byte units
    let parts = UnsafeMutablePointer<Float>.allocate(capacity: 64)
    parts.initialize(repeating: 0, count: 64)
    defer { parts.deallocate() }
    pool.parallelFor(n, align: 16) { r in
        parts[r.lowerBound * 64 / max(n, 1)] += K.readSum(w.base + 64 * r.lowerBound, floats: 16 * r.count)
    }
    return parts[0]
}

/// Best wall time of n runs; `lastCPU` gets the calling thread's CPU time of that run (on a
/// shared machine, wall time includes time other processes held the core).
nonisolated(unsafe) var lastCPU = 0.0
func best(_ n: Int, _ body: () -> Void) -> Double {
    var b = Double.infinity
    for _ in 0..<n {
        let t0 = MonotonicClock.seconds(), c0 = MonotonicClock.threadCPUSeconds()
        body()
        let t = MonotonicClock.seconds() - t0
        if t < b { b = t; lastCPU = MonotonicClock.threadCPUSeconds() - c0 }
    }
    return b
}

let x = UnsafeMutablePointer<Float>.allocate(capacity: 128 * 4 * C)
for i in 0..<128 * 4 * C { x[i] = Float(i % 17) * 0.01 - 0.08 }
let y = UnsafeMutablePointer<Float>.allocate(capacity: 128 * V)

for type in types {
    let ws = makeWeights(type, resident ? [(C, C), (C, C)] : allShapes)
    let bytes = ws.reduce(0) { $0 + $1.1.rows * $1.1.rowBytes }
    for threads in threadCounts {
        let pool = ThreadPool(threads: threads)
        if what.contains("read") {
            // The memory-read ceiling of generation: one plain read of every weight byte of a token.
            var tr = Double.infinity
            for _ in 0..<reps { tr = min(tr, best(1) { for (_, w) in ws { sink += readAll(w, pool) } }) }
            print("read \(type.rawValue) threads=\(threads): \(f1(Double(bytes) / tr / 1e9)) GB/s, ceiling \(f1(1 / tr)) tok/s (\(f1(Double(bytes) / 1e6)) MB per token)")
        }
        if what.contains("matvec") {
            let inner = resident ? 200 : 1
            // Interleaved with the read ceiling in the same conditions (a plain SIMD sum over the
            // same bytes, split the same way), best of `reps` each.
            var t = Double.infinity, tr = Double.infinity, cpu = 0.0
            for _ in 0..<reps {
                let a = best(1) { for _ in 0..<inner { for (_, w) in ws { K.matvec(y, x, w, bias: nil, pool: pool) } } } / Double(inner)
                if a < t { t = a; cpu = lastCPU / Double(inner) }
                tr = min(tr, best(1) { for _ in 0..<inner { for (_, w) in ws { sink += readAll(w, pool) } } } / Double(inner))
            }
            let gbs = Double(bytes) / t / 1e9, mb = Double(bytes) / 1e6
            let cpuNote = threads == 1 ? " [by CPU time: \(f1(Double(bytes) / cpu / 1e9)) GB/s]" : ""
            print("matvec \(type.rawValue) threads=\(threads): \(f1(gbs)) GB/s, \(f1(1 / t)) tok/s (\(f1(mb)) MB of weights per token)\(cpuNote); plain read of the same bytes \(f1(Double(bytes) / tr / 1e9)) GB/s -> \(Int((tr / t * 100).rounded())) %")
        }
        if what.contains("matmul") {
            let T = promptT
            let layerWs = ws.dropLast()
            let flops = 2.0 * Double(T) * Double(layerWs.reduce(0) { $0 + $1.1.rows * $1.1.cols })
            let inner = resident ? 20 : 1
            let t = best(max(1, reps / 2)) {
                for _ in 0..<inner { for (_, w) in layerWs { K.matmul(y, x, w, bias: nil, rows: T, pool: pool) } }
            } / Double(inner)
            let cpuT = lastCPU / Double(inner)
            let head = best(reps) { K.matvec(y, x, ws.last!.1, bias: nil, pool: pool) }
            let gf = flops / t / 1e9, tps = Double(T) / (t + head)
            let cpu = threads == 1 ? " [by CPU time: \(f1(flops / cpuT / 1e9)) GFLOP/s]" : ""
            print("matmul \(type.rawValue) threads=\(threads) T=\(T): \(f1(gf)) GFLOP/s, \(f1(tps)) prompt tok/s (12 layers' matmuls + 1 head matvec)\(cpu)")
        }
    }
    weightMemory.removeAll()
}

/// A KV layer of L positions (12 heads of 64) filled from rows, f32 or f16.
func makeKVLayer<E: KVElement>(_ type: E.Type, positions L: Int) -> KVLayer<E> {
    let n = KVLayer<E>.elementCounts(heads: 12, headSize: 64, capacity: L)!
    let layer = KVLayer<E>(keys: .allocate(capacity: n.keys), values: .allocate(capacity: n.values), heads: 12, headSize: 64, capacity: L)
    let row = UnsafeMutablePointer<Float>.allocate(capacity: C)
    for j in 0..<L {
        for i in 0..<C { row[i] = Float((j * C + i) % 13) * 0.01 }
        layer.store(position: j, k: row, v: row, kernels: K)
    }
    return layer
}

if what.contains("ops") {
    // The rest of a generated token's work at context L = 256, 12 layers: 2 LayerNorms, causal
    // attention over the cache, GELU tanh over 4C, 2 residual adds (cache-resident here; in a
    // real run the KV cache comes from DRAM, see Attention.swift).
    let L = 256
    let kv = makeKVLayer(Float.self, positions: L)
    let lnw = UnsafeMutablePointer<Float>.allocate(capacity: C); lnw.initialize(repeating: 1, count: C)
    let buf = UnsafeMutablePointer<Float>.allocate(capacity: 4 * C)
    for threads in threadCounts {
        let pool = ThreadPool(threads: threads)
        let t = best(reps) {
            for _ in 0..<layers {
                K.layerNorm(buf, x, weight: lnw, bias: lnw, rows: 1, channels: C, epsilon: 1e-5)
                K.attention(y, outStride: C, q: x, qStride: C, cache: kv, rows: 1, past: L - 1, pool: pool)
                K.add(buf, y, count: C)
                K.layerNorm(buf, x, weight: lnw, bias: lnw, rows: 1, channels: C, epsilon: 1e-5)
                for i in 0..<4 * C { buf[i] = x[i] }
                K.gelu(buf, count: 4 * C, form: .tanh, pool: pool)
                K.add(y, buf, count: C)
            }
        }
        print("ops (LN x2, attention L=\(L), GELU 4C, add x2) x 12 layers threads=\(threads): \(f1(t * 1e6)) µs per token")
    }
}

if what.contains("attention") {
    // Attention alone at context L = 256, 12 heads of 64, f32 and f16 caches (cache-resident).
    let L = 256
    let kv = makeKVLayer(Float.self, positions: L), kvh = makeKVLayer(Float16.self, positions: L)
    for threads in threadCounts {
        let pool = ThreadPool(threads: threads)
        let t32 = best(reps) {
            for _ in 0..<layers { K.attention(y, outStride: C, q: x, qStride: C, cache: kv, rows: 1, past: L - 1, pool: pool) }
        }
        let t16 = best(reps) {
            for _ in 0..<layers { K.attention(y, outStride: C, q: x, qStride: C, cache: kvh, rows: 1, past: L - 1, pool: pool) }
        }
        print("attention L=\(L) x 12 layers threads=\(threads): f32 cache \(f1(t32 * 1e6)) µs, f16 cache \(f1(t16 * 1e6)) µs per token")
    }
}

if what.contains("pool") {
    for threads in threadCounts where threads > 1 {
        let pool = ThreadPool(threads: threads)
        let n = 200_000
        let t = best(3) { for _ in 0..<n { pool.run { _ in } } }
        print("pool dispatch threads=\(threads): \(f1(t / Double(n) * 1e9)) ns per run (empty task, workers spinning)")
    }
}
