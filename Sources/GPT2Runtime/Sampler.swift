import Foundation

/// How the next token is picked from the logits (nanoGPT `sample.py` semantics, plus top-p,
/// and llama.cpp's min-p and repeat penalty).
///
/// Order, as llama.cpp's default chain: repeat penalty on the raw logits, then top-k, top-p
/// (over the probabilities at `temperature`, as transformers), min-p (on the logits, so at
/// temperature 1, as llama.cpp), then one draw at `temperature`. Temperature 0 is the argmax of
/// the penalized logits.
public struct SamplingOptions: Sendable, Equatable {
    /// 0 picks the argmax (greedy); otherwise logits are divided by it before the softmax.
    public var temperature: Float
    /// Keep only the k most likely tokens (ties with the k-th kept, as nanoGPT's
    /// `logits[logits < v[:, [-1]]] = -inf`); nil or 0 keeps all.
    public var topK: Int?
    /// Nucleus: keep the smallest set of most likely tokens whose probability sum reaches p
    /// (after top-k), as in Holtzman et al. 2019 and transformers' `TopPLogitsWarper`. 1 keeps all.
    public var topP: Float
    /// llama.cpp's min-p: keep only tokens whose probability is at least `minP` times the most
    /// likely one's (logit >= max + ln(minP)). 0 keeps all.
    public var minP: Float
    /// llama.cpp's repeat penalty: each distinct token among the last `repeatLastN` (prompt and
    /// generated) has a positive logit divided by it, a negative one multiplied. 1 is off.
    public var repeatPenalty: Float
    /// How many recent tokens the repeat penalty looks at (llama.cpp's `--repeat-last-n`, 64).
    public var repeatLastN: Int
    /// Seed of the random draws: the same seed gives the same text on every machine.
    public var seed: UInt64

    /// nanoGPT's defaults (temperature 0.8, top-k 200), every other filter off.
    public init(temperature: Float = 0.8, topK: Int? = 200, topP: Float = 1, minP: Float = 0,
                repeatPenalty: Float = 1, repeatLastN: Int = 64, seed: UInt64 = 1337) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.repeatLastN = repeatLastN
        self.seed = seed
    }

    /// Rejects values out of range with a message naming the option.
    public func validate() throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw RuntimeError.invalidOption("--temp must be a finite number >= 0, got \(temperature)")
        }
        if let k = topK, k < 0 {
            throw RuntimeError.invalidOption("--top-k must be >= 0 (0 = off), got \(k)")
        }
        guard topP > 0, topP <= 1 else {
            throw RuntimeError.invalidOption("--top-p must be in (0, 1], got \(topP)")
        }
        guard minP >= 0, minP <= 1 else {
            throw RuntimeError.invalidOption("--min-p must be in [0, 1] (0 = off), got \(minP)")
        }
        guard repeatPenalty.isFinite, repeatPenalty > 0 else {
            throw RuntimeError.invalidOption("--repeat-penalty must be a finite number > 0 (1 = off), got \(repeatPenalty)")
        }
        guard repeatLastN >= 0 else {
            throw RuntimeError.invalidOption("--repeat-last-n must be >= 0, got \(repeatLastN)")
        }
    }
}

/// Picks tokens from logits. Holds its scratch buffers, so sampling allocates nothing per token.
public struct Sampler {
    /// The options it samples with.
    public let options: SamplingOptions
    private var rng: RandomSource
    private var probs: [Float] = []
    private var order: [Int32] = []
    /// The last `repeatLastN` tokens of the sequence (for the repeat penalty), oldest first.
    private(set) var recent: [Int] = []
    private var penalized: [Float] = []

    /// A sampler seeded from `options.seed`; throws `RuntimeError.invalidOption` on an option out
    /// of range.
    public init(options: SamplingOptions) throws {
        try options.validate()
        self.options = options
        rng = RandomSource(seed: options.seed)
    }

    /// The index of the largest logit; the first one on ties (as `torch.argmax`). NaNs are
    /// skipped; 0 when nothing is above -inf. The maximum is found 16 lanes at a time, then its
    /// first index: the one-at-a-time loop was ~1 % of a q8_0 generation step (50257 logits).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        guard let p = logits.baseAddress, logits.count > 0 else { return 0 }
        let n = logits.count
        var mv = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
            mv.replace(with: v, where: v .> mv)              // a NaN compares false: never taken
            i += 16
        }
        var m = mv.max()
        while i < n { if p[i] > m { m = p[i] }; i += 1 }
        guard m > -.infinity else { return 0 }
        for j in 0..<n where p[j] == m { return j }
        return 0
    }

    /// Picks the next token from `logits` (greedy at temperature 0).
    public mutating func sample(_ logits: [Float]) -> Int {
        logits.withUnsafeBufferPointer { sample($0) }
    }

    /// Starts a new sequence: the repeat penalty forgets what it saw and looks at `tokens`
    /// (the prompt) first, as llama.cpp feeds the prompt to its sampler.
    public mutating func begin(_ tokens: [Int]) {
        recent.removeAll(keepingCapacity: true)
        for t in tokens { remember(t) }
    }

    /// Adds a token to the repeat penalty's window (`sample` does it for the tokens it picks).
    public mutating func remember(_ token: Int) {
        guard options.repeatLastN > 0, options.repeatPenalty != 1 else { return }
        if recent.count == options.repeatLastN { recent.removeFirst() }
        recent.append(token)
    }

    /// Next token id from the logits of one position; the pick joins the repeat penalty's window.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int {
        let id = pick(logits)
        remember(id)
        return id
    }

    private mutating func pick(_ logits: UnsafeBufferPointer<Float>) -> Int {
        guard options.repeatPenalty != 1, !recent.isEmpty else { return pickUnpenalized(logits) }
        var buf: [Float] = []
        swap(&buf, &penalized)                      // reused: no allocation per token
        defer { swap(&buf, &penalized) }
        if buf.count != logits.count { buf = [Float](repeating: 0, count: logits.count) }
        for i in 0..<logits.count { buf[i] = logits[i] }
        // Each distinct token once, however often it occurs (llama.cpp's token_count > 0).
        for (n, t) in recent.enumerated() where t >= 0 && t < buf.count && !recent[..<n].contains(t) {
            buf[t] = buf[t] <= 0 ? buf[t] * options.repeatPenalty : buf[t] / options.repeatPenalty
        }
        return buf.withUnsafeBufferPointer { pickUnpenalized($0) }
    }

    /// The filtered, unnormalized weights of every id in `probs` and their sum; nil for
    /// temperature 0 (argmax).
    mutating func weights(_ logits: UnsafeBufferPointer<Float>) -> Double? {
        let v = logits.count
        let invT = 1 / options.temperature
        // 0, or so small that 1/T overflows (0 · ∞ would be NaN): the limit is the argmax.
        guard options.temperature > 0, invT.isFinite else { return nil }
        if probs.count != v { probs = [Float](repeating: 0, count: v); order = [] }
        // Candidates: every id, or the top k of them.
        var m = -Float.infinity
        for x in logits { m = max(m, x) }
        var threshold = -Float.infinity
        if let k = options.topK, k > 0, k < v {
            threshold = Self.kthLargest(logits, k, scratch: &probs)
        }
        // probs = softmax(logits / T) over the candidates (unnormalized weights first)
        var sum: Double = 0
        probs.withUnsafeMutableBufferPointer { p in
            for i in 0..<v {
                let e: Float = logits[i] >= threshold ? expf((logits[i] - m) * invT) : 0
                p[i] = e
                sum += Double(e)
            }
        }
        var total = sum
        if options.topP < 1 { total = nucleus(limit: Double(options.topP) * sum, sum: sum) }
        if options.minP > 0 {
            // logit >= max + ln(minP), i.e. p >= minP · p_max at temperature 1 (llama.cpp).
            let floor = m + logf(options.minP)
            total = 0
            for i in 0..<v {
                if logits[i] < floor { probs[i] = 0 }
                total += Double(probs[i])
            }
        }
        return total
    }

    /// The weights `weights` left, normalized by their `total` (for tests).
    func probabilities(_ total: Double) -> [Double] { probs.map { Double($0) / total } }

    private mutating func pickUnpenalized(_ logits: UnsafeBufferPointer<Float>) -> Int {
        let v = logits.count
        guard let total = weights(logits) else { return Self.argmax(logits) }
        // Inverse CDF with one uniform draw; walks ids in order (the set is what matters).
        let r = rng.nextUnit() * total
        var acc: Double = 0
        var lastNonZero = 0
        for i in 0..<v where probs[i] > 0 {
            acc += Double(probs[i])
            lastNonZero = i
            if r < acc { return i }
        }
        return lastNonZero
    }

    /// The k-th largest value of `x` (k ≥ 1), by quickselect on a copy in `scratch`.
    static func kthLargest(_ x: UnsafeBufferPointer<Float>, _ k: Int, scratch: inout [Float]) -> Float {
        scratch.withUnsafeMutableBufferPointer { s in
            for i in 0..<x.count { s[i] = x[i] }
            var lo = 0, hi = x.count - 1, want = k - 1      // index in descending order
            while lo < hi {
                let pivot = s[(lo + hi) / 2]
                var i = lo, j = hi
                while i <= j {
                    while s[i] > pivot { i += 1 }
                    while s[j] < pivot { j -= 1 }
                    if i <= j { s.swapAt(i, j); i += 1; j -= 1 }
                }
                if want <= j { hi = j } else if want >= i { lo = i } else { break }
            }
            return s[want]
        }
    }

    /// Zeroes every weight outside the nucleus and returns the kept mass. Only weights above
    /// `(1-p)·sum / V` can be in it (all the others together weigh less than `(1-p)·sum`), so
    /// just those are sorted: a few hundred ids instead of 50257.
    private mutating func nucleus(limit: Double, sum: Double) -> Double {
        let v = probs.count
        let cut = Float((sum - limit) / Double(v))
        order.removeAll(keepingCapacity: true)
        for i in 0..<v where probs[i] > cut { order.append(Int32(i)) }
        order.sort { probs[Int($0)] > probs[Int($1)] || (probs[Int($0)] == probs[Int($1)] && $0 < $1) }
        var acc: Double = 0
        var kept = order.count
        for (n, id) in order.enumerated() {
            acc += Double(probs[Int(id)])
            if acc >= limit { kept = n + 1; break }
        }
        var mass: Double = 0
        for n in 0..<kept { mass += Double(probs[Int(order[n])]) }
        // Everything not kept leaves the distribution.
        for n in kept..<order.count { probs[Int(order[n])] = 0 }
        for i in 0..<v where probs[i] <= cut { probs[i] = 0 }
        return mass
    }
}
