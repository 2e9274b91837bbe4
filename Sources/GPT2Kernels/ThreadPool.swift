// A tiny fork-join pool for the 2 cores: the caller runs part 0, persistent worker threads run
// parts 1..<n. Generation dispatches ~50 kernels per token, so a dispatch must cost microseconds,
// not the ~20-50 µs of waking a parked thread: workers spin on an atomic generation counter for
// a while (spinLimit) after each task and only then park on a condition variable.
// Dispatch overhead (Tools/bench-kernels): see README.md "Kernels".

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

public final class ThreadPool: @unchecked Sendable {
    /// Number of parts a task is split into (the caller + threadCount - 1 workers).
    public let threadCount: Int

    // State shared with the workers. `generation` counts dispatched tasks; `pending` counts
    // workers that have not finished the current one; `sleepers` how many may be parked.
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let busy = Atomic<Bool>(false)
    private var task: ((Int) -> Void)? = nil
    // Heap-allocated: pthread objects must not move, and `&property` is not a stable address.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var workers: [pthread_t] = []
    /// Spin iterations (each one atomic load) before a worker parks: ~100 µs here.
    private let spinLimit: Int

    /// `threads` >= 1 parts per task (1: everything runs on the caller, no worker thread).
    public init(threads: Int = 2, spinLimit: Int = 200_000) {
        precondition(threads >= 1, "a thread pool needs at least one thread")
        threadCount = threads
        self.spinLimit = spinLimit
        mutex.initialize(to: pthread_mutex_t()); cond.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
        for part in 1..<threads {
            let ctx = Unmanaged.passRetained(WorkerContext(pool: self, part: part)).toOpaque()
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { raw in
                let c = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                c.pool.workerLoop(part: c.part)
                return nil
            }, ctx)
            precondition(rc == 0, "pthread_create failed: \(rc)")
            workers.append(tid)
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex); pthread_cond_broadcast(cond); pthread_mutex_unlock(mutex)
        for t in workers { pthread_join(t, nil) }
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(cond)
        mutex.deallocate(); cond.deallocate()
    }

    /// Runs body(part) for part in 0..<threadCount, part 0 on the calling thread; returns when
    /// all parts are done. Not reentrant: call it from one thread at a time.
    public func run(_ body: @escaping (Int) -> Void) {
        if threadCount == 1 { body(0); return }
        // Two callers at once (or a task dispatching into its own pool) would corrupt the
        // counters: fail loudly instead. One pool per concurrent user.
        precondition(busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged,
                     "ThreadPool.run called while the pool is busy (concurrent or nested use)")
        defer { busy.store(false, ordering: .releasing) }
        task = body
        pending.store(threadCount - 1, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex); pthread_cond_broadcast(cond); pthread_mutex_unlock(mutex)
        }
        body(0)
        while pending.load(ordering: .acquiring) > 0 {}
        task = nil
    }

    /// Splits 0..<n into threadCount contiguous ranges whose bounds are multiples of `align`
    /// (the last may end at n) and runs body(range) on each; empty ranges are skipped.
    public func parallelFor(_ n: Int, align: Int = 1, _ body: @escaping (Range<Int>) -> Void) {
        let parts = threadCount
        if parts == 1 || n <= align { if n > 0 { body(0..<n) }; return }
        run { part in
            let r = ThreadPool.chunk(n, part: part, of: parts, align: align)
            if !r.isEmpty { body(r) }
        }
    }

    /// The part-th of `parts` near-equal ranges of 0..<n, bounds aligned to `align`.
    public static func chunk(_ n: Int, part: Int, of parts: Int, align: Int = 1) -> Range<Int> {
        let units = (n + align - 1) / align
        let lo = min(n, units * part / parts * align)
        let hi = min(n, units * (part + 1) / parts * align)
        return lo..<hi
    }

    private func workerLoop(part: Int) {
        var seen = 0
        while true {
            var spins = 0
            var g = generation.load(ordering: .acquiring)
            while g == seen {
                spins += 1
                if spins >= spinLimit {
                    // Park. Registering as a sleeper before re-checking under the mutex means a
                    // dispatcher either sees us and signals, or we see its new generation.
                    pthread_mutex_lock(mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen {
                        pthread_cond_wait(cond, mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    spins = 0
                }
                g = generation.load(ordering: .acquiring)
            }
            seen = g
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            task?(part)
            pending.subtract(1, ordering: .releasing)
        }
    }
}

private final class WorkerContext {
    // Unowned: the pool's deinit joins the workers, so it outlives them; a strong reference
    // would keep the pool (and its threads) alive forever.
    unowned(unsafe) let pool: ThreadPool
    let part: Int
    init(pool: ThreadPool, part: Int) { self.pool = pool; self.part = part }
}
