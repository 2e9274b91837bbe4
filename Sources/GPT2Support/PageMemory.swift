#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Anonymous memory from mmap, unmapped in deinit; pages come zeroed and are faulted in on
/// first touch. `hugePages` asks for transparent huge pages (THP is in "madvise" mode here,
/// /sys/kernel/mm/transparent_hugepage/enabled): right for memory written whole at load (the
/// packed q8_0 weights, PackedQ8Weights.swift: ~70 faults instead of ~33,000 for 133 MB),
/// wrong for the KV cache, which is touched a few KB per head as the sequence grows (2 MB pages
/// took a 124M f32 run at 256 positions from 33 to 88 MiB RssAnon). With `hugePages` the
/// mapping is 2 MiB larger and `pointer` starts on a 2 MiB boundary: only aligned 2 MiB ranges
/// can be huge pages, and mmap aligns only some mappings (KernelBench's per-matrix ones were
/// partly 4 KiB pages, a ~20 % slower read).
package final class PageMemory {
    /// The usable memory, `count` bytes.
    package let pointer: UnsafeMutableRawPointer
    /// Bytes usable at `pointer` (at least 1).
    package let count: Int
    private let base: UnsafeMutableRawPointer
    private let mapped: Int

    /// nil when the mapping fails (the caller names what it was for in its own error).
    package init?(bytes: Int, hugePages: Bool) {
        let size = max(bytes, 1), huge = 1 << 21
        let (total, overflow) = size.addingReportingOverflow(hugePages ? huge : 0)
        guard !overflow, let p = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != MAP_FAILED else { return nil }
        if hugePages { _ = madvise(p, total, MADV_HUGEPAGE) }   // advice only: else 4 KiB pages
        base = p
        mapped = total
        pointer = hugePages ? p + (huge - Int(bitPattern: p) % huge) % huge : p
        count = size
    }

    deinit { munmap(base, mapped) }
}
