#if canImport(Glibc)
import Glibc
#endif
import GPT2Kernels
import GPT2ModelFile

/// The memory a run needs, computed before anything is allocated: parameters, gradients,
/// AdamW's two moments (each 4 bytes per parameter), the activations one micro-batch keeps
/// for the backward pass and the largest scratch one op allocates while it runs (the head's
/// weight tiles: 147 MiB for GPT-2's vocabulary at 768 wide). `check` refuses a run above the
/// machine's physical memory.
public struct MemoryPlan: Sendable, Equatable {
    /// Trainable floats.
    public var parameterCount: Int
    /// Bytes of the parameters (f32).
    public var parameterBytes: Int { parameterCount * 4 }
    /// Bytes of the gradients (f32).
    public var gradientBytes: Int { parameterCount * 4 }
    /// Bytes of AdamW's two moments (f32).
    public var optimizerBytes: Int { parameterCount * 8 }
    /// Bytes of the activations kept for the backward pass of one micro-batch.
    public var activationBytes: Int
    /// Peak bytes an op allocates while it runs (freed when it returns).
    public var scratchBytes: Int
    /// Everything the run holds at its peak.
    public var totalBytes: Int { parameterBytes + gradientBytes + optimizerBytes + activationBytes + scratchBytes }

    /// Sizes for a GPT of `config` (or the bigram table when `bigram`), batch × length windows,
    /// trained with `threads` threads on `kernels`. Overflow-checked: absurd configurations
    /// throw instead of wrapping.
    public init(config: GPT2Config, bigram: Bool, batch: Int, length: Int, threads: Int = 1, kernels: Kernels = .selected) throws {
        func tooLarge() -> TrainingError {
            TrainingError(.outOfMemory, "the model (n_layer \(config.nLayer), n_embd \(config.nEmbd), vocab \(config.vocabSize)) is too large to count",
                          hint: "use a much smaller model")
        }
        func mul(_ a: Int, _ b: Int) throws -> Int {
            let (m, o) = a.multipliedReportingOverflow(by: b)
            guard !o, m < 1 << 56 else { throw tooLarge() }
            return m
        }
        if bigram {
            parameterCount = try mul(config.vocabSize, config.vocabSize)
            // Logits and their gradient for every position.
            activationBytes = try mul(mul(mul(batch, length), config.vocabSize), 8)
            scratchBytes = 0
            return
        }
        var count = 0
        for t in TensorName.gpt2Tensors(config) {
            var n = 1
            for d in t.shape { n = try mul(n, d) }
            count += n
            guard count < 1 << 56 else { throw tooLarge() }
        }
        parameterCount = count
        // TrainableGPT's own count of its activation floats; every factor is checked first.
        let c = config, N = try mul(batch, length)
        _ = try mul(mul(mul(N, c.nLayer + 1), max(c.vocabSize, 4 * c.nEmbd)), 16)
        _ = try mul(mul(mul(N, c.nHead), length), c.nLayer * 2 + 1)
        _ = try mul(mul(config.vocabSize + 32, try mul(4, c.nEmbd)), 4)    // the widest weight, in tiles
        activationBytes = TrainableGPT.activationBytes(config: config, batch: batch, length: length)
        scratchBytes = TrainableGPT.scratchBytes(config: config, batch: batch, length: length, threads: threads, kernels: kernels)
    }

    /// The machine's physical memory in bytes.
    public static var physicalMemory: Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Throws when the run needs more than `limit` bytes (default: physical memory).
    public func check(limit: Int = MemoryPlan.physicalMemory) throws {
        guard totalBytes <= limit else {
            throw TrainingError(.outOfMemory,
                                "the run needs \(MemoryPlan.format(totalBytes)) (\(summary)), more than the machine's \(MemoryPlan.format(limit)) of RAM",
                                hint: "use a smaller model (--n-layer, --n-embd), --block-size or --batch-size (with --grad-accum to keep the tokens per step)")
        }
    }

    /// One line for the log: the total and its parts.
    public var summary: String {
        "parameters \(MemoryPlan.format(parameterBytes)), gradients \(MemoryPlan.format(gradientBytes)), "
            + "optimiser \(MemoryPlan.format(optimizerBytes)), activations \(MemoryPlan.format(activationBytes)), "
            + "scratch \(MemoryPlan.format(scratchBytes))"
    }

    /// A byte count in MiB or GiB, for messages.
    public static func format(_ bytes: Int) -> String {
        func r(_ x: Double) -> String { "\((x * 10).rounded() / 10)" }
        let b = Double(bytes)
        if bytes >= 1 << 30 { return r(b / Double(1 << 30)) + " GiB" }
        if bytes >= 1 << 20 { return r(b / Double(1 << 20)) + " MiB" }
        return r(b / 1024) + " KiB"
    }
}
