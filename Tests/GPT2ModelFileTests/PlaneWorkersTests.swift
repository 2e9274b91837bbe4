import Testing
@testable import GPT2ModelFile

@Suite struct PlaneWorkersTests {
    /// Buffers grown for a payload with huge chunks are freed, not kept in the pool.
    @Test func oversizedBuffersAreNotPooled() {
        for _ in 0..<PlaneWorker.keep + 1 {
            PlaneWorker.with(2) { w in _ = w[0].buffer(0, bytes: PlaneWorker.maxRetainedBytes + 1); _ = w[1].buffer(3, bytes: 100) }
        }
        PlaneWorker.with(PlaneWorker.keep) { w in
            #expect(w.count == PlaneWorker.keep)
            #expect(w.allSatisfy { $0.retainedBytes <= PlaneWorker.maxRetainedBytes })
        }
    }

    @Test func buffersGrowAndKeepTheirSize() {
        PlaneWorker.with(1) { w in
            let a = w[0].buffer(0, bytes: 1000)
            #expect(a.count >= 1000)
            #expect(w[0].buffer(0, bytes: 10).baseAddress == a.baseAddress)
            #expect(w[0].buffer(0, bytes: 5000).count >= 5000)
        }
    }
}
