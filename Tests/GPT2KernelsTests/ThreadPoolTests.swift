import Testing
import Synchronization
@testable import GPT2Kernels

@Test(arguments: [1, 2, 3]) func parallelForCoversEveryIndexOnce(threads: Int) {
    let pool = ThreadPool(threads: threads, spinLimit: 1000)      // small: exercises parking too
    for n in [0, 1, 5, 16, 17, 1000] {
        for align in [1, 4, 16] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(n, 1))
            hits.initialize(repeating: 0, count: max(n, 1))
            pool.parallelFor(n, align: align) { r in
                #expect(r.lowerBound % align == 0)
                for i in r { hits[i] += 1 }
            }
            #expect((0..<n).allSatisfy { hits[$0] == 1 }, "n \(n) align \(align)")
            hits.deallocate()
        }
    }
}

@Test func manyDispatchesRunEveryPart() {
    let pool = ThreadPool(threads: 2, spinLimit: 100)
    let count = Atomic<Int>(0)
    for _ in 0..<2000 { pool.run { _ in count.add(1, ordering: .relaxed) } }
    #expect(count.load(ordering: .relaxed) == 4000)
}

@Test func guidedBoundsShrinkAndCoverTheRange() {
    let b = UnsafeMutablePointer<Int>.allocate(capacity: 256)
    defer { b.deallocate() }
    // 48 units (a 768-row matrix in 16-row units), 2 threads: a quarter of what is left each time.
    let n = ThreadPool.guidedBounds(units: 48, threads: 2, into: b, capacity: 256)
    #expect(Array(UnsafeBufferPointer(start: b, count: n + 1)) == [0, 12, 21, 27, 32, 36, 39, 41, 42, 43, 44, 45, 46, 47, 48])
    for (units, threads) in [(1, 2), (2, 2), (7, 3), (3141, 2), (100_000, 2), (5, 64)] {
        let parts = ThreadPool.guidedBounds(units: units, threads: threads, into: b, capacity: 256)
        #expect(b[0] == 0 && b[parts] == units && parts <= 255, "\(units) \(threads)")
        for k in 0..<parts { #expect(b[k] < b[k + 1]) }
        for k in 1..<max(1, parts - 1) { #expect(b[k + 1] - b[k] <= b[k] - b[k - 1], "sizes never grow (\(units), part \(k))") }
    }
    // Capacity reached: the last part takes the rest.
    let capped = ThreadPool.guidedBounds(units: 1000, threads: 2, into: b, capacity: 5)
    #expect(capped == 4 && b[4] == 1000)
    // Many threads: the floor of units / 128 keeps the parts under the cap, so no big last part.
    for units in [3142, 50257] {
        let parts = ThreadPool.guidedBounds(units: units, threads: 64, into: b, capacity: 256)
        #expect(parts < 255)
        #expect(b[parts] - b[parts - 1] <= units / 128 + 1, "\(units): last part \(b[parts] - b[parts - 1])")
    }
}

/// The task must not outlive `parallelFor`/`run`: a closure made escaping only for the call
/// (`withoutActuallyEscaping`) traps if a worker still holds it afterwards (seen with the
/// worker keeping its copy until it left claimParts).
@Test func taskDoesNotOutliveTheCall() async {
    await #expect(processExitsWith: .success) {
        let pool = ThreadPool(threads: 2)
        for _ in 0..<100_000 {
            let f: (Range<Int>) -> Void = { r in precondition(!r.isEmpty) }
            withoutActuallyEscaping(f) { g in pool.parallelFor(64, g) }
        }
    }
}

@Test func nestedParallelForTraps() async {
    await #expect(processExitsWith: .failure) {
        let pool = ThreadPool(threads: 2)
        pool.parallelFor(64) { _ in pool.parallelFor(64) { _ in } }
    }
}

// Dispatching into a pool from inside one of its own tasks would corrupt its counters; it must
// stop the process with a message instead of hanging or computing garbage.
@Test func nestedUseTraps() async {
    await #expect(processExitsWith: .failure) {
        let pool = ThreadPool(threads: 2)
        pool.run(parts: 2) { _ in pool.run(parts: 2) { _ in } }
    }
}
