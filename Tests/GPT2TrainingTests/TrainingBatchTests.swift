import Testing
@testable import GPT2Training

@Suite struct TrainingBatchTests {
    @Test func parameterDecaysOnlyMatrices() {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 4)
        defer { p.deallocate() }
        #expect(TrainableParameter(name: "w", shape: [2, 2], values: p, gradients: p, count: 4).decays)
        #expect(!TrainableParameter(name: "b", shape: [4], values: p, gradients: p, count: 4).decays)
    }
}
