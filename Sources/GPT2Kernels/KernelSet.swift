import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// The instruction sets the kernels are built for. One build carries every set of its
/// architecture (the C kernels in CKernels are compiled once per set with per-function target
/// attributes); `Kernels` picks one at run time from the CPU, or the one `GPT2KIT_KERNELS` names.
public enum KernelSet: String, Sendable, CaseIterable, Comparable {
    /// Plain vectors of 4 floats: SSE2 on any x86-64, NEON on arm64. Correct everywhere.
    case portable
    /// x86-64 with AVX2, FMA and F16C (Intel since Haswell, AMD since Zen).
    case avx2
    /// x86-64 with AVX-512 F/BW/VL/DQ (+ AVX2, FMA, F16C); q8_0 generation also uses VNNI where
    /// the CPU has it.
    case avx512

    var cValue: gpt2kit_set {
        switch self {
        case .portable: GPT2KIT_SET_PORTABLE
        case .avx2: GPT2KIT_SET_AVX2
        case .avx512: GPT2KIT_SET_AVX512
        }
    }

    /// Orders the sets from the baseline up (portable < avx2 < avx512).
    public static func < (a: KernelSet, b: KernelSet) -> Bool { a.rank < b.rank }
    private var rank: Int { KernelSet.allCases.firstIndex(of: self)! }

    /// The sets this CPU runs, from the baseline up.
    public static var supported: [KernelSet] { allCases.filter { gpt2kit_kernels_for($0.cValue) != nil } }

    /// The fastest set this CPU runs.
    public static var best: KernelSet { supported.last! }

    /// What each set needs from the CPU, for error messages.
    var requirement: String {
        switch self {
        case .portable: "nothing beyond the architecture's baseline"
        case .avx2: "AVX2, FMA and F16C"
        case .avx512: "AVX-512 F, BW, VL and DQ, with AVX2, FMA and F16C"
        }
    }
}

/// The CPU features the kernel choice looks at (CPUID, checked against the OS's XGETBV).
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    /// The feature bits (the C side's `GPT2KIT_CPU_*` flags).
    public let rawValue: UInt32
    /// Features from their bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// This CPU's (detected once).
    public static var current: CPUFeatures { CPUFeatures(rawValue: gpt2kit_cpu_features()) }

    /// How far ahead the weight-streaming matvec kernels prefetch in software on this CPU, in
    /// bytes; 0 where they leave it to the hardware prefetcher (chosen by vendor, docs/KERNELS.md).
    public static var streamPrefetchBytes: Int { Int(gpt2kit_stream_prefetch()) }

    private static func f(_ v: Int) -> UInt32 { UInt32(v) }
    static let names: [(UInt32, String)] = [
        (f(GPT2KIT_CPU_SSE42), "SSE4.2"), (f(GPT2KIT_CPU_AVX), "AVX"),
        (f(GPT2KIT_CPU_AVX2), "AVX2"), (f(GPT2KIT_CPU_FMA), "FMA"),
        (f(GPT2KIT_CPU_F16C), "F16C"), (f(GPT2KIT_CPU_AVX512F), "AVX512F"),
        (f(GPT2KIT_CPU_AVX512BW), "AVX512BW"), (f(GPT2KIT_CPU_AVX512VL), "AVX512VL"),
        (f(GPT2KIT_CPU_AVX512DQ), "AVX512DQ"), (f(GPT2KIT_CPU_AVX512VNNI), "AVX512_VNNI"),
        (f(GPT2KIT_CPU_AVX512BF16), "AVX512_BF16"), (f(GPT2KIT_CPU_AVXVNNI), "AVX_VNNI"),
        (f(GPT2KIT_CPU_NEON), "NEON"),
    ]

    /// The feature names, e.g. "SSE4.2 AVX AVX2 FMA F16C"; "baseline only" when none.
    public var description: String {
        let n = CPUFeatures.names.filter { rawValue & $0.0 != 0 }.map(\.1)
        return n.isEmpty ? "baseline only" : n.joined(separator: " ")
    }
}

/// Why a kernel set cannot be used.
public enum KernelSetError: Error, Equatable, CustomStringConvertible {
    /// `GPT2KIT_KERNELS` (or a caller) named a set that does not exist.
    case unknown(name: String)
    /// The set exists but this CPU (or this build's architecture) lacks what it needs.
    case unsupported(set: KernelSet, cpu: String, supported: [KernelSet])

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .unknown(let name):
            return "unknown kernel set '\(name)' in GPT2KIT_KERNELS\n"
                + "HINT: use one of \(KernelSet.allCases.map(\.rawValue).joined(separator: ", ")), or unset it to choose automatically"
        case .unsupported(let set, let cpu, let supported):
            return "this CPU cannot run the \(set.rawValue) kernel set: it needs \(set.requirement); the CPU has \(cpu)\n"
                + "HINT: this CPU runs \(supported.map(\.rawValue).joined(separator: ", ")); set GPT2KIT_KERNELS to one of them or unset it"
        }
    }
}
