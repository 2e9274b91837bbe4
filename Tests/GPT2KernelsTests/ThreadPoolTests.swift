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

@Test func chunksPartitionTheRange() {
    #expect(ThreadPool.chunk(10, part: 0, of: 2) == 0..<5)
    #expect(ThreadPool.chunk(10, part: 1, of: 2) == 5..<10)
    #expect(ThreadPool.chunk(33, part: 0, of: 2, align: 16) == 0..<16)
    #expect(ThreadPool.chunk(33, part: 1, of: 2, align: 16) == 16..<33)
}

// Dispatching into a pool from inside one of its own tasks would corrupt its counters; it must
// stop the process with a message instead of hanging or computing garbage.
@Test func nestedUseTraps() async {
    await #expect(processExitsWith: .failure) {
        let pool = ThreadPool(threads: 2)
        pool.run(parts: 2) { _ in pool.run(parts: 2) { _ in } }
    }
}
