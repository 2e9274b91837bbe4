import GPT2Runtime

/// nanoGPT's `get_batch`: `batch` windows starting at uniform random offsets in
/// `0..<count - length`; inputs are `length` ids from the start, targets the same shifted by one.
///
/// The generator is the runtime's seeded xoshiro256**; the sampler counts the numbers it drew,
/// so a resumed run rebuilds the exact state from the seed and the count (`init(seed:drawn:)`).
public struct BatchSampler: Sendable {
    /// Seed of the window positions.
    public let seed: UInt64
    /// Windows drawn so far (saved in the resume state so a resumed run draws the same next ones).
    public private(set) var drawn: UInt64 = 0
    private var rng: RandomSource

    /// A sampler that continues after `drawn` windows of the stream seeded by `seed`.
    public init(seed: UInt64, drawn: UInt64 = 0) {
        self.seed = seed
        rng = RandomSource(seed: seed)
        for _ in 0..<drawn { _ = rng.next() }
        self.drawn = drawn
    }

    /// The next batch from `data` (at least `length + 1` ids, checked by `TrainingData.check`).
    public mutating func batch(from data: [Int32], batch: Int, length: Int) -> TrainingBatch {
        precondition(data.count > length)
        let span = UInt64(data.count - length)
        var inputs = [Int32](), targets = [Int32]()
        inputs.reserveCapacity(batch * length)
        targets.reserveCapacity(batch * length)
        for _ in 0..<batch {
            let start = Int(uniform(below: span))
            inputs.append(contentsOf: data[start..<start + length])
            targets.append(contentsOf: data[start + 1...start + length])
        }
        return TrainingBatch(batch: batch, length: length, inputs: inputs, targets: targets)
    }

    /// Uniform in `0..<n` by rejection (no modulo bias), counting every draw.
    mutating func uniform(below n: UInt64) -> UInt64 {
        let limit = UInt64.max - UInt64.max % n
        while true {
            let x = rng.next()
            drawn += 1
            if x < limit { return x % n }
        }
    }
}
