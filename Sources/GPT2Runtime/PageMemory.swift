#if canImport(Glibc)
import Glibc
#endif

/// Anonymous memory from mmap, unmapped in deinit; pages come zeroed and are faulted in on
/// first touch. `hugePages` asks for transparent huge pages (THP is in "madvise" mode here,
/// /sys/kernel/mm/transparent_hugepage/enabled): right for memory written whole at load (the
/// packed q8_0 weights, PackedQ8Weights.swift: ~70 faults instead of ~33,000 for 133 MB),
/// wrong for the KV cache, which is touched a few KB per head as the sequence grows (2 MB pages
/// took a 124M f32 run at 256 positions from 33 to 88 MiB RssAnon).
final class PageMemory {
    let pointer: UnsafeMutableRawPointer
    let count: Int

    init(bytes: Int, what: String, hugePages: Bool) throws {
        let size = max(bytes, 1)
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != MAP_FAILED else {
            throw RuntimeError.outOfMemory(what: what, bytes: bytes)
        }
        if hugePages { _ = madvise(p, size, MADV_HUGEPAGE) }   // advice only: else 4 KiB pages
        pointer = p
        count = size
    }

    deinit { munmap(pointer, count) }
}
