#if canImport(Glibc)
import Glibc
#endif

/// Anonymous memory from mmap, asked for transparent huge pages, unmapped in deinit: the packed
/// q8_0 weights (PackedQ8Weights.swift), tens to hundreds of MB written once at load.
/// With huge pages (THP "madvise" mode here, /sys/kernel/mm/transparent_hugepage/enabled) the
/// 133 MB of a 124M q8_0 model take ~70 page faults instead of ~33,000. Pages come zeroed.
final class PageMemory {
    let pointer: UnsafeMutableRawPointer
    let count: Int

    init(bytes: Int, what: String) throws {
        let size = max(bytes, 1)
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != MAP_FAILED else {
            throw RuntimeError.outOfMemory(what: what, bytes: bytes)
        }
        _ = madvise(p, size, 14 /* MADV_HUGEPAGE */)   // advice only: without THP, 4 KiB pages
        pointer = p
        count = size
    }

    deinit { munmap(pointer, count) }
}
