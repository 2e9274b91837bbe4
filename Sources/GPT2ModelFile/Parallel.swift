import Dispatch

/// Runs `body(worker, index)` for every index in `0..<count` on up to `threads` threads;
/// worker `w` takes indices w, w+threads, ... (chunks are equal-sized, so static striding
/// balances). `body` must only write to memory no other index writes.
func parallelFor(count: Int, threads: Int, _ body: (_ worker: Int, _ index: Int) -> Void) {
    let t = max(1, min(threads, count))
    if t == 1 {
        for i in 0..<count { body(0, i) }
        return
    }
    withoutActuallyEscaping(body) { b in
        let box = UncheckedSendable(b)
        DispatchQueue.concurrentPerform(iterations: t) { w in
            var i = w
            while i < count { box.value(w, i); i += t }
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
