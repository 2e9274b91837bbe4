import GPT2Kernels
import Testing
@testable import GPT2Training

/// The fast linear forward and backward (k_train.h's tr_matmul) against the naive Reference on
/// shapes past the micro-kernel's KC = 1024 chunk of the inner dimension (forward: IN; dx: OUT;
/// dw: the rows N; and OUT 9000, whose dw is done in two bands of rows to keep dyᵀ under 8 Mi
/// floats), where partial sums are added across chunks, at every kernel set on 1 and 2 threads. Tolerance 2e-5 of the output's scale: f32 sums of ~1000 products (the finite-
/// difference tests cover the formulas on small shapes).
@Suite struct TrainingLinearTests {
    @Test(arguments: OpsPath.all.filter { $0.set != nil }, [(1030, 1027, 7), (13, 5, 1029), (950, 3, 9000)])
    func fastMatchesReferenceOnLongSums(path: OpsPath, shape: (Int, Int, Int)) throws {
        let (N, IN, OUT) = shape
        let fast = try path.ops(), ref = ReferenceTrainingOps()
        var r = TestRandom(31)
        let x = r.floats(N * IN).floats, w = r.floats(OUT * IN).floats, b = r.floats(OUT).floats, dy = r.floats(N * OUT).floats
        let dw0 = r.floats(OUT * IN).floats, db0 = r.floats(OUT).floats
        func run(_ ops: TrainingOps) -> (y: [Float], dx: [Float], dw: [Float], db: [Float]) {
            var y = [Float](repeating: .nan, count: N * OUT), dx = [Float](repeating: .nan, count: N * IN), dw = dw0, db = db0
            ops.linearForward(&y, x, weight: w, bias: b, rows: N, in: IN, out: OUT)
            ops.linearBackward(dx: &dx, dw: &dw, db: &db, dy: dy, x: x, weight: w, rows: N, in: IN, out: OUT)
            return (y, dx, dw, db)
        }
        let got = run(fast), want = run(ref)
        for (name, g, e) in [("y", got.y, want.y), ("dx", got.dx, want.dx), ("dw", got.dw, want.dw), ("db", got.db, want.db)] {
            let err = scaledError(g.doubles, e.doubles)
            #expect(err <= 2e-5, "\(path) \(N)x\(IN)->\(OUT) \(name): off by \(err) of its scale")
        }
    }
}
