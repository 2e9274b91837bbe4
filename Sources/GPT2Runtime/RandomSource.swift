/// The sampler's random numbers: xoshiro256** seeded through SplitMix64.
///
/// Our own generator (not `SystemRandomNumberGenerator`, not the platform's `random()`) so the
/// same `--seed` gives the same text on every run and every machine: both algorithms are fixed
/// integer arithmetic, specified at https://prng.di.unimi.it (xoshiro256** 1.0 and SplitMix64).
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    /// Expands `seed` into the 256-bit state with SplitMix64, as the xoshiro authors recommend
    /// (a state of all zeros is impossible this way).
    public init(seed: UInt64) {
        var x = seed
        self.init(state: (Self.splitMix64(&x), Self.splitMix64(&x), Self.splitMix64(&x), Self.splitMix64(&x)))
    }

    /// A generator with this exact state (tests compare with published vectors).
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = state
    }

    /// SplitMix64: advances `x` and returns the next output.
    static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A uniform double in [0, 1) from the top 53 bits (the recipe on the xoshiro page).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
