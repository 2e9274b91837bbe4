// GPT2Kernels: the CPU kernels of the GPT-2 forward pass, over raw buffers.
//
// Two namespaces with the same function names:
//   `Kernels`     the fast versions: a value holding one kernel set's table of C functions
//                 (Sources/CKernels: the same C source compiled for AVX-512, AVX2 and the
//                 portable baseline, picked at run time), plus the Swift that splits work
//                 between threads;
//   `Reference.*` naive scalar versions, kept as the test oracle for the fast ones.
//
// Legend for the shape comments (as in llm.c):
//   T   number of positions (tokens) in the batch; 1 during generation
//   C   channels (n_embd), e.g. 768 for GPT-2 124M
//   NH  number of heads, HS = C / NH head size
//   V   vocabulary size (50257)
//   IN, OUT  input / output features of a linear layer; weights are [OUT, IN] row-major
// Buffers are little-endian, row-major, contiguous. Encoded weights (f16, bf16, q8_0) are read
// with unaligned loads, so a tensor mapped from a file needs no particular alignment.
// Activations, LayerNorm parameters and biases are always f32. docs/KERNELS.md has the sets,
// how one is chosen and how to add one.
import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// The fast kernels of one kernel set. A value: the runtime holds one and calls through it, and
/// tests make one per set the machine has, so every set is checked on one machine.
public struct Kernels: @unchecked Sendable {
    /// The set these kernels are built for.
    public let set: KernelSet
    /// The set's C table (static storage, valid for the life of the process).
    let t: UnsafePointer<gpt2kit_kernels>

    /// The kernels of `set`; throws `KernelSetError.unsupported` when this CPU lacks it.
    public init(_ set: KernelSet) throws(KernelSetError) {
        guard let table = gpt2kit_kernels_for(set.cValue) else {
            throw .unsupported(set: set, cpu: CPUFeatures.current.description, supported: KernelSet.supported)
        }
        self.set = set
        t = table
    }

    /// The set named by the environment variable GPT2KIT_KERNELS (portable, avx2, avx512), or
    /// the best this CPU runs when it is unset or empty.
    public static func fromEnvironment() throws(KernelSetError) -> Kernels {
        guard let raw = getenv("GPT2KIT_KERNELS"), raw.pointee != 0 else { return best }
        let name = String(cString: raw)
        guard let set = KernelSet(rawValue: name.lowercased()) else { throw .unknown(name: name) }
        return try Kernels(set)
    }

    /// The best set this CPU runs.
    public static let best: Kernels = try! Kernels(KernelSet.best)

    /// What a program uses unless told otherwise: `fromEnvironment()`, or `best` when the
    /// environment names a set this CPU cannot run (the CLI reports that error before any work;
    /// the library then still runs, on the best set).
    public static let selected: Kernels = (try? fromEnvironment()) ?? best

    /// Whether q8_0 matrices get a row-interleaved copy for generation (`packQ8`): the set has
    /// the int8 dot-product kernels (AVX-512 VNNI).
    public var packsQ8: Bool { t.pointee.q8p_matvec != nil }

    /// "avx512", "avx512+vnni", "avx2" or "portable": the set and the optional parts it uses.
    public var description: String { self.set.rawValue + (packsQ8 ? "+vnni" : "") }
}

/// Namespace of the naive reference kernels: obviously correct loops, the oracle of the tests.
package enum Reference {}

/// A check that stays in release builds: O(1) checks on arguments (not in inner loops), so a
/// caller's mistake stops with a message instead of reading out of bounds.
@inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}
