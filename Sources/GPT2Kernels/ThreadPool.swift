// A tiny fork-join pool for the 2 cores. A task is cut into parts; the caller and the
// persistent worker threads claim parts from one atomic ticket until none is left, so
//  - a dispatch costs an atomic store + claims, not a thread wake-up (~20-50 µs): workers spin
//    on the ticket for a while (spinLimit) after each task and only then park;
//  - on a loaded machine a descheduled worker does not stall the caller: whatever the worker has
//    not claimed yet, the caller runs itself (parallelFor cuts work into shrinking parts).
// Generation calls ~50 kernels per token. Dispatch cost: README.md "Kernels".
// Results never depend on which thread ran a part, so 1 and 2 threads give identical output.

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A fork-join pool of persistent worker threads: the caller and the workers claim parts of a task
/// from one atomic ticket, so results never depend on which thread ran a part.
public final class ThreadPool: @unchecked Sendable {
    /// Threads working on a task: the caller + threadCount - 1 workers.
    public let threadCount: Int

    // ticket = generation << 32 | next unclaimed part. A claim is a compare-exchange on it, so
    // a worker that is late by a whole task can never claim a part of the wrong generation.
    private let ticket = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let busy = Atomic<Bool>(false)
    // Written by the caller only while no part of the previous task can still be claimed; read
    // by a worker only after it claimed a part (so it cannot change under it).
    // Unretained: the caller's `TaskBox` lives on its stack frame until `run` returns, and a
    // worker only calls it after claiming a part, i.e. before `finished` reaches `parts`. Calling
    // through a borrowed box takes no reference: neither a retain per part (refcount atomics from
    // both cores: 3 % of a 2-thread q8_0 run in swift_release) nor a copy that could outlive
    // `run` (a `withoutActuallyEscaping` closure must not; taskDoesNotOutliveTheCall).
    private var task: Unmanaged<TaskBox>? = nil
    private let parts = Atomic<Int>(0)
    // Heap-allocated: pthread objects must not move, and `&property` is not a stable address.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var workers: [pthread_t] = []
    /// Spin iterations (each one atomic load) before a worker parks: ~100 µs here.
    private let spinLimit: Int
    /// parallelFor's part boundaries (guidedBounds), written by the caller before a task is
    /// published, read by the threads running it.
    private let bounds: UnsafeMutablePointer<Int>
    private let boundsCapacity = 256

    /// `threads` >= 1 (1: everything runs on the caller, no worker thread).
    public init(threads: Int = 2, spinLimit: Int = 200_000) {
        require(threads >= 1, "a thread pool needs at least one thread")
        threadCount = threads
        self.spinLimit = spinLimit
        bounds = .allocate(capacity: boundsCapacity)
        mutex.initialize(to: pthread_mutex_t()); cond.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
        for _ in 1..<threads {
            let ctx = Unmanaged.passRetained(WorkerContext(pool: self)).toOpaque()
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { raw in
                let c = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                c.pool.workerLoop()
                return nil
            }, ctx)
            require(rc == 0, "pthread_create failed: \(rc)")
            workers.append(tid)
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        ticket.add(1 << 32, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex); pthread_cond_broadcast(cond); pthread_mutex_unlock(mutex)
        for t in workers { pthread_join(t, nil) }
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(cond)
        mutex.deallocate(); cond.deallocate()
        bounds.deallocate()
    }

    /// Runs body(part) once for every part in 0..<parts, on the caller and the workers; returns
    /// when all are done. Not reentrant: one caller at a time (checked).
    public func run(parts n: Int, _ body: @escaping (Int) -> Void) {
        if threadCount == 1 || n <= 1 { for p in 0..<n { body(p) }; return }
        claim()
        defer { busy.store(false, ordering: .releasing) }
        runClaimed(parts: n, body)
    }

    /// Two callers at once (or a task dispatching into its own pool) would corrupt the counters
    /// and parallelFor's bounds: fail loudly instead. One pool per concurrent user.
    private func claim() {
        let claimed = busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        require(claimed, "ThreadPool.run called while the pool is busy (concurrent or nested use)")
    }

    /// `run` once the caller holds `busy`.
    private func runClaimed(parts n: Int, _ body: @escaping (Int) -> Void) {
        require(n < 1 << 31, "too many parts")
        let box = TaskBox(body)
        task = Unmanaged.passUnretained(box)
        parts.store(n, ordering: .relaxed)
        finished.store(0, ordering: .relaxed)
        // 31 bits, so generation << 32 never reaches the sign bit (wraps after 2^31 tasks).
        let generation = ((ticket.load(ordering: .relaxed) >> 32) + 1) & 0x7FFF_FFFF
        ticket.store(generation << 32, ordering: .sequentiallyConsistent)      // publishes task
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex); pthread_cond_broadcast(cond); pthread_mutex_unlock(mutex)
        }
        claimParts(generation)
        while finished.load(ordering: .acquiring) < n {}
        task = nil
        withExtendedLifetime(box) {}
    }

    /// Runs body(part) for part in 0..<threadCount.
    public func run(_ body: @escaping (Int) -> Void) { run(parts: threadCount, body) }

    /// Splits 0..<n into contiguous ranges whose bounds are multiples of `align` (the last may
    /// end at n) and runs body(range) on each, the parts claimed in order by whichever thread
    /// is free. Guided sizes (`guidedBounds`): each part is 1/(2·threads) of what is left, at
    /// least one unit of `align`, so the parts shrink towards the end. With equal parts (4 per
    /// thread, before) a thread that finished first waited on average half a part, ~1/16 of
    /// every matvec at 2 threads (the callers' and workers' spin loops were 7.5 % of an f16
    /// generation profile); now at most one small part. A stalled thread's share is still
    /// picked up by the others.
    public func parallelFor(_ n: Int, align: Int = 1, _ body: @escaping (Range<Int>) -> Void) {
        if n <= 0 { return }
        let units = (n + align - 1) / align
        if threadCount == 1 || units <= 1 { body(0..<n); return }
        // One task at a time (claimed before the bounds are written), so one buffer serves all.
        claim()
        defer { busy.store(false, ordering: .releasing) }
        let parts = ThreadPool.guidedBounds(units: units, threads: threadCount, into: bounds, capacity: boundsCapacity)
        let b = bounds
        runClaimed(parts: parts) { part in
            let r = min(n, b[part] * align)..<min(n, b[part + 1] * align)
            if !r.isEmpty { body(r) }
        }
    }

    /// Part boundaries in units for `parallelFor`: bounds[0] = 0 < bounds[1] < ... < bounds[parts]
    /// = units, part k taking left / (2 · threads) units but at least units / 128 (and 1), the
    /// last part taking whatever is left once `capacity` (>= 2 entries) is reached. The floor
    /// keeps many threads from running into the cap (64 threads would want ~1000 parts for
    /// 3142 units and leave the rest to one part); at 2 threads it only shapes the tail of
    /// large tasks. Returns the number of parts.
    public static func guidedBounds(units: Int, threads: Int, into bounds: UnsafeMutablePointer<Int>, capacity: Int) -> Int {
        require(capacity >= 2 && threads >= 1, "guidedBounds needs room for one part and a thread")
        bounds[0] = 0
        var at = 0, k = 0
        let least = max(1, units / 128)
        while at < units {
            k += 1
            let left = units - at
            at += k == capacity - 1 ? left : min(left, max(least, left / (2 * threads)))
            bounds[k] = at
        }
        return k
    }

    /// Claims and runs parts of `generation` until none is left (or a newer task started).
    private func claimParts(_ generation: Int) {
        while true {
            let t = ticket.load(ordering: .acquiring)
            if t >> 32 != generation { return }
            let part = t & 0xFFFF_FFFF
            if part >= parts.load(ordering: .relaxed) { return }
            if ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing).exchanged {
                task!._withUnsafeGuaranteedRef { $0.body(part) }
                finished.add(1, ordering: .releasing)
            }
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            var g = ticket.load(ordering: .acquiring) >> 32
            while g == seen {
                spins += 1
                if spins >= spinLimit {
                    // Park. Registering as a sleeper before re-checking under the mutex means a
                    // dispatcher either sees us and signals, or we see its new generation.
                    pthread_mutex_lock(mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while ticket.load(ordering: .sequentiallyConsistent) >> 32 == seen {
                        pthread_cond_wait(cond, mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    spins = 0
                }
                g = ticket.load(ordering: .acquiring) >> 32
            }
            seen = g
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            claimParts(g)
        }
    }
}

/// The task of one dispatch, owned by the caller's `run` for its duration.
private final class TaskBox {
    let body: (Int) -> Void
    init(_ body: @escaping (Int) -> Void) { self.body = body }
}

private final class WorkerContext {
    // Unowned: the pool's deinit joins the workers, so it outlives them; a strong reference
    // would keep the pool (and its threads) alive forever.
    unowned(unsafe) let pool: ThreadPool
    init(pool: ThreadPool) { self.pool = pool }
}
