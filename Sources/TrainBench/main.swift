// Tools/bench-train's measuring side: nanoGPT's train.py loop (train.py with
// config/train_shakespeare_char.py) through the GPT2Training API, on the uint16 train.bin /
// val.bin that nanoGPT's data/shakespeare_char/prepare.py writes. Prints what train.py prints
// ("step N: train loss X, val loss Y" at each evaluation, "iter N: loss X, time Y ms" per
// step) and, at the end, "peak_rss_kib N" (getrusage), for the script to parse. Not a product.
#if canImport(Glibc)
import Glibc
#endif
import GPT2Kernels
import GPT2ModelFile
import GPT2Runtime
import GPT2Training
import GPT2Support

struct Options {
    var data = "", vocab = 65, block = 64, batch = 12, layers = 4, heads = 4, embd = 128
    var dropout: Float = 0, lr: Float = 1e-3, minLR: Float = 1e-4, warmup = 100, decay = 2000, iters = 2000
    var beta1: Float = 0.9, beta2: Float = 0.99, weightDecay: Float = 0.1, clip: Float = 1
    var evalInterval = 250, evalIters = 20, seed: UInt64 = 1337, threads = 1, bias = false
}

func fail(_ message: String) -> Never {
    let text = "TrainBench: \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

func parse() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst()
    func value(_ flag: String) -> String {
        guard let v = args.popFirst() else { fail("\(flag) needs a value") }
        return v
    }
    func int(_ f: String) -> Int { guard let v = Int(value(f)) else { fail("\(f) needs an integer") }; return v }
    func float(_ f: String) -> Float { guard let v = Float(value(f)) else { fail("\(f) needs a number") }; return v }
    while let a = args.popFirst() {
        switch a {
        case "--data": o.data = value(a)
        case "--vocab": o.vocab = int(a)
        case "--block": o.block = int(a)
        case "--batch": o.batch = int(a)
        case "--layers": o.layers = int(a)
        case "--heads": o.heads = int(a)
        case "--embd": o.embd = int(a)
        case "--dropout": o.dropout = float(a)
        case "--lr": o.lr = float(a)
        case "--min-lr": o.minLR = float(a)
        case "--warmup": o.warmup = int(a)
        case "--decay": o.decay = int(a)
        case "--iters": o.iters = int(a)
        case "--beta2": o.beta2 = float(a)
        case "--weight-decay": o.weightDecay = float(a)
        case "--clip": o.clip = float(a)
        case "--eval-interval": o.evalInterval = int(a)
        case "--eval-iters": o.evalIters = int(a)
        case "--seed": o.seed = UInt64(int(a))
        case "-t", "--threads": o.threads = int(a)
        case "--bias": o.bias = true
        default: fail("unknown argument \(a)")
        }
    }
    if o.data.isEmpty { fail("--data DIR (train.bin and val.bin of prepare.py) is required") }
    return o
}

/// A uint16 little-endian token file (prepare.py's .bin), read whole.
func readTokens(_ path: String) -> [UInt16] {
    guard let f = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(f) }
    fseek(f, 0, SEEK_END)
    let bytes = ftell(f)
    fseek(f, 0, SEEK_SET)
    var out = [UInt16](repeating: 0, count: bytes / 2)
    let read = out.withUnsafeMutableBytes { fread($0.baseAddress, 1, bytes / 2 * 2, f) }
    guard read == bytes / 2 * 2 else { fail("short read of \(path)") }
    return out.map { UInt16(littleEndian: $0) }
}

func run(_ o: Options) {
let train = readTokens(o.data + "/train.bin"), val = readTokens(o.data + "/val.bin")
guard train.count > o.block + 1, val.count > o.block + 1 else { fail("data shorter than a block") }
var rng = RandomSource(seed: o.seed &+ 0x5EED)

/// get_batch: batch windows at random offsets in [0, count - block), targets shifted by one.
func batch(_ data: [UInt16]) -> TrainingBatch {
    var x: [Int32] = [], y: [Int32] = []
    x.reserveCapacity(o.batch * o.block)
    y.reserveCapacity(o.batch * o.block)
    for _ in 0..<o.batch {
        let i = Int(rng.next() % UInt64(data.count - o.block))
        for j in 0..<o.block {
            x.append(Int32(data[i + j]))
            y.append(Int32(data[i + j + 1]))
        }
    }
    return TrainingBatch(batch: o.batch, length: o.block, inputs: x, targets: y)
}

let config = GPT2Config(nLayer: o.layers, nHead: o.heads, nEmbd: o.embd, nCtx: o.block, vocabSize: o.vocab,
                        activation: .geluErf, bias: o.bias)
do {
    let model = try TrainableGPT(config: config, dropout: o.dropout, seed: o.seed, threads: o.threads)
    let opt = AdamW(parameters: model.parameters, beta1: o.beta1, beta2: o.beta2, epsilon: 1e-8, weightDecay: o.weightDecay)
    let schedule = LearningRateSchedule(maxRate: o.lr, minRate: o.minLR, warmupSteps: o.warmup, decaySteps: o.decay)
    let count = model.parameters.reduce(0) { $0 + $1.count }
    print("kernels \(Kernels.selected.set), threads \(o.threads), parameters \(count)")

    func estimate(_ data: [UInt16]) throws -> Double {
        var s = 0.0
        for _ in 0..<o.evalIters { s += Double(try model.loss(batch(data))) }
        return s / Double(o.evalIters)
    }

    var b = batch(train)
    var t0 = MonotonicClock.seconds()
    var it = 0
    while true {
        let lr = schedule.rate(at: it)
        if it % o.evalInterval == 0 {
            let tl = try estimate(train), vl = try estimate(val)
            print("step \(it): train loss \(format4(tl)), val loss \(format4(vl))")
        }
        model.zeroGradients()
        let loss = try model.forwardBackward(b, gradientScale: 1, training: true)
        b = batch(train)
        _ = clipGradients(model.parameters, maxNorm: o.clip)
        opt.step(learningRate: lr)
        let t1 = MonotonicClock.seconds()
        print("iter \(it): loss \(format4(Double(loss))), time \(format2((t1 - t0) * 1000))ms")
        t0 = t1
        it += 1
        if it > o.iters { break }
    }
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    print("peak_rss_kib \(usage.ru_maxrss)")
} catch {
    fail("\(error)")
}
}

run(parse())

func format4(_ x: Double) -> String { fixed(x, 4) }
func format2(_ x: Double) -> String { fixed(x, 2) }
/// x with `digits` decimals (no Foundation: it would add to the measured RSS).
func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (abs(x) * p).rounded()
    let whole = Int(r / p), frac = Int(r - Double(whole) * p)
    var f = String(frac)
    while f.count < digits { f = "0" + f }
    return (x < 0 ? "-" : "") + "\(whole).\(f)"
}
