import Dispatch
import Synchronization

/// Runs `body(worker, index)` for every index in `0..<count` on up to `threads` threads.
/// Indices are handed out one at a time from a shared counter, so a thread that loses its core
/// to another process (the 2 cores here are shared) delays only the index it holds; fixed
/// striding made every batch wait for the slowest thread. `worker` identifies the calling
/// thread (0..<threads) for per-thread state; `body` must only write to memory no other index
/// writes.
func parallelFor(count: Int, threads: Int, _ body: (_ worker: Int, _ index: Int) -> Void) {
    let t = max(1, min(threads, count))
    if t == 1 {
        for i in 0..<count { body(0, i) }
        return
    }
    let next = Atomic<Int>(0)
    withoutActuallyEscaping(body) { b in
        let box = UncheckedSendable(b)
        DispatchQueue.concurrentPerform(iterations: t) { w in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= count { break }
                box.value(w, i)
            }
        }
    }
}

/// Carries a value the caller knows is used safely across threads (disjoint writes).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Cores to use by default: both on this machine.
public var defaultThreadCount: Int {
    #if os(Linux)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return 2
    #endif
}

#if os(Linux)
import Glibc
#endif
