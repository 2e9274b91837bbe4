// Single-thread encode/decode throughput of GPT2Tokenizer, for Tools/bench-tokenizer (which runs
// tiktoken on the same files in the same run and prints the ratio).
//
//   TokenizerBench VOCAB_DIR FILE... [--min-seconds S]
// For each file prints one line: `encode FILE BYTES TOKENS MB/s` and `decode FILE BYTES MB/s`.
// Only encodeOrdinary (or decodeBytes) is timed; each is repeated until S seconds (default 1)
// of CPU time have passed, and the best repetition counts, to damp the noise of a shared machine.
import GPT2Support
import GPT2Tokenizer
#if canImport(Glibc)
import Glibc
#endif

// Timings are CPU time of this thread (MonotonicClock.threadCPUSeconds): the machine is shared
// (load averages of 10-20 on 2 cores were seen), so wall time measures the neighbours;
// Tools/bench-tokenizer times tiktoken the same way.

func readFile(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { fatalError("cannot open \(path)") }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}

var args = Array(CommandLine.arguments.dropFirst())
var minSeconds = 1.0
if let i = args.firstIndex(of: "--min-seconds"), i + 1 < args.count {
    minSeconds = Double(args[i + 1]) ?? 1.0
    args.removeSubrange(i...(i + 1))
}
// `--hello VOCAB_DIR`: the whole-process cost of a one-line job (load, encode "hello\n",
// print), for comparison with `echo hello | gpt2kit tokenize` (target ≤ 30 ms warm).
if args.first == "--hello", args.count == 2 {
    let t0 = MonotonicClock.threadCPUSeconds()
    let tok = try Tokenizer(vocabulary: Vocabulary.load(gpt2At: args[1]))
    let t1 = MonotonicClock.threadCPUSeconds()
    print(tok.encodeOrdinary("hello\n"), "load CPU ms:", (t1 - t0) * 1000)
    exit(0)
}
guard args.count >= 2 else {
    print("usage: TokenizerBench VOCAB_DIR FILE... [--min-seconds S]")
    exit(64)
}
let tokenizer = try Tokenizer(vocabulary: Vocabulary.load(gpt2At: args[0]))

for path in args.dropFirst() {
    let bytes = readFile(path)
    let mb = Double(bytes.count) / 1e6
    var best = Double.infinity
    var ids: [Int] = []
    let start = MonotonicClock.threadCPUSeconds()
    repeat {
        let t0 = MonotonicClock.threadCPUSeconds()
        ids = tokenizer.encodeOrdinary(bytes: bytes)
        best = min(best, MonotonicClock.threadCPUSeconds() - t0)
    } while MonotonicClock.threadCPUSeconds() - start < minSeconds
    print("encode \(path) \(bytes.count) \(ids.count) \(mb / best)")
    var bestDecode = Double.infinity
    let start2 = MonotonicClock.threadCPUSeconds()
    var decoded: [UInt8] = []
    repeat {
        let t0 = MonotonicClock.threadCPUSeconds()
        decoded = try tokenizer.decodeBytes(ids)
        bestDecode = min(bestDecode, MonotonicClock.threadCPUSeconds() - t0)
    } while MonotonicClock.threadCPUSeconds() - start2 < minSeconds / 2
    precondition(decoded == bytes, "round trip failed for \(path)")
    print("decode \(path) \(bytes.count) \(mb / bestDecode)")
}
