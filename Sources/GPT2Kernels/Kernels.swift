// GPT2Kernels: the CPU kernels of the GPT-2 forward pass, over raw buffers.
//
// Two namespaces with the same function names:
//   `Kernels.*`   the fast versions (SIMD16<Float>, register tiling, both cores);
//   `Reference.*` naive scalar versions, kept as the test oracle for the fast ones.
//
// Legend for the shape comments (as in llm.c):
//   T   number of positions (tokens) in the batch; 1 during generation
//   C   channels (n_embd), e.g. 768 for GPT-2 124M
//   NH  number of heads, HS = C / NH head size
//   V   vocabulary size (50257)
//   IN, OUT  input / output features of a linear layer; weights are [OUT, IN] row-major
// Buffers are little-endian, row-major, contiguous. Encoded weights (f16, bf16, q8_0) are read
// through `UnsafeRawPointer` with unaligned loads, so a tensor mapped from a file needs no
// particular alignment. Activations, LayerNorm parameters and biases are always f32.
//
// Numbers and the benchmark command are in README.md, section "Kernels".

/// Namespace of the fast kernels.
public enum Kernels {}

/// Namespace of the naive reference kernels: obviously correct loops, the oracle of the tests.
public enum Reference {}

/// A check that stays in release builds. The kernel target is compiled with -Ounchecked, which
/// removes `precondition`; these O(1) checks on arguments (not in inner loops) are kept so a
/// caller's mistake stops with a message instead of reading out of bounds.
@inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}
