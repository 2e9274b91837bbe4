import Foundation
import GPT2Kernels
import Testing
@testable import GPT2Training

/// The backward of every training op against double-precision central differences of a scalar
/// loss L = Σ r·y (r random, so every output element matters) over the op's textbook forward
/// (DoubleOps), on random small shapes (tails of every vector width, the sizes where the fast
/// ops start splitting work between threads), through the fast kernels of every kernel set on
/// 1 and 2 threads and through the Reference ops. Parameter gradients are checked to
/// accumulate (+=) onto what was there, as the model relies on.
///
/// Tolerance 2e-5 of the gradient's scale (max |∂L/∂x| of the tensor): the finite differences
/// are good to ~1e-11 (centralDifferences), so what remains is the f32 computation of the op
/// under test, whose rounding is a few units of 6e-8 per term over sums of at most ~80 terms
/// here (≤ ~5e-6 even if every rounding went the same way), plus the saved f32 statistics
/// (mean, 1/std, softmax weights) it reuses. A wrong formula (a missing term, a sign, a
/// transposed index, a lost accumulation) is off by O(1) of the scale.
@Suite struct FiniteDifferenceTests {
    static let tolerance = 2e-5

    static func expectClose(_ got: [Double], _ want: [Double], _ what: @autoclosure () -> String) {
        let e = scaledError(got, want)
        #expect(e <= tolerance, "\(what()): off by \(e) of the gradient's scale")
    }

    @Test(arguments: OpsPath.all) func linear(path: OpsPath) throws {
        let ops = try path.ops()
        var r = TestRandom(11)
        for trial in 0..<4 {
            let N = r.int(1...20), IN = r.int(1...40), OUT = r.int(1...40), withBias = trial % 2 == 0
            let x = r.floats(N * IN), w = r.floats(OUT * IN), b = withBias ? r.floats(OUT) : nil, dy = r.floats(N * OUT)
            let shape = "\(path) linear \(N)x\(IN)->\(OUT) bias \(withBias)"
            var y = [Float](repeating: 0, count: N * OUT)
            withOptionalPointer(b?.floats) { ops.linearForward(&y, x.floats, weight: w.floats, bias: $0, rows: N, in: IN, out: OUT) }
            Self.expectClose(y.doubles, DoubleOps.linear(x, w, b, rows: N, in: IN, out: OUT), "\(shape) forward")

            var dx = [Float](repeating: .nan, count: N * IN)    // written, not accumulated
            let dw0 = r.floats(OUT * IN), db0 = r.floats(OUT)
            var dw = dw0.floats, db = db0.floats
            db.withUnsafeMutableBufferPointer { dbp in
                ops.linearBackward(dx: &dx, dw: &dw, db: withBias ? dbp.baseAddress! : nil, dy: dy.floats, x: x.floats,
                                   weight: w.floats, rows: N, in: IN, out: OUT)
            }
            let L = { (x: [Double], w: [Double], b: [Double]?) in DoubleOps.dot(dy, DoubleOps.linear(x, w, b, rows: N, in: IN, out: OUT)) }
            let ix = r.indices(N * IN, limit: 150), iw = r.indices(OUT * IN, limit: 150)
            Self.expectClose(ix.map { Double(dx[$0]) }, centralDifferences(x, at: ix) { L($0, w, b) }, "\(shape) dx")
            Self.expectClose(iw.map { Double(dw[$0]) - dw0[$0] }, centralDifferences(w, at: iw) { L(x, $0, b) }, "\(shape) dw")
            if let b {
                let ib = Array(0..<OUT)
                Self.expectClose(ib.map { Double(db[$0]) - db0[$0] }, centralDifferences(b, at: ib) { L(x, w, $0) }, "\(shape) db")
            } else {
                #expect(db == db0.floats, "\(shape): db touched without a bias")
            }
        }
    }

    @Test(arguments: OpsPath.all) func layerNorm(path: OpsPath) throws {
        let ops = try path.ops()
        var r = TestRandom(12)
        for trial in 0..<3 {
            // The first shape has enough rows for the forward's thread split.
            let N = trial == 0 ? r.int(64...80) : r.int(1...9), C = r.int(2...40), withBias = trial != 1
            let x = (0..<N).flatMap { _ in let o = r.uniform(-2, 2), s = r.uniform(0.2, 3); return r.floats(C).map { Double(Float(o + s * $0)) } }
            let w = r.floats(C, 0.5, 1.5), b = withBias ? r.floats(C) : nil, dy = r.floats(N * C)
            let shape = "\(path) layer norm \(N)x\(C) bias \(withBias)"
            var y = [Float](repeating: 0, count: N * C), mean = [Float](repeating: 0, count: N), rstd = mean
            withOptionalPointer(b?.floats) {
                ops.layerNormForward(&y, mean: &mean, rstd: &rstd, x.floats, weight: w.floats, bias: $0, rows: N, channels: C, epsilon: 1e-5)
            }
            let f = { (x: [Double], w: [Double], b: [Double]?) in DoubleOps.layerNorm(x, w, b, rows: N, channels: C, epsilon: 1e-5) }
            Self.expectClose(y.doubles, f(x, w, b), "\(shape) forward")

            let dx0 = r.floats(N * C), dw0 = r.floats(C), db0 = r.floats(C)
            var dx = dx0.floats, dw = dw0.floats, db = db0.floats
            db.withUnsafeMutableBufferPointer { dbp in
                ops.layerNormBackward(dx: &dx, dw: &dw, db: withBias ? dbp.baseAddress! : nil, dout: dy.floats, x: x.floats,
                                      mean: mean, rstd: rstd, weight: w.floats, rows: N, channels: C)
            }
            let L = { (x: [Double], w: [Double], b: [Double]?) in DoubleOps.dot(dy, f(x, w, b)) }
            let ix = r.indices(N * C, limit: 150), ic = Array(0..<C)
            Self.expectClose(ix.map { Double(dx[$0]) - dx0[$0] }, centralDifferences(x, at: ix) { L($0, w, b) }, "\(shape) dx")
            Self.expectClose(ic.map { Double(dw[$0]) - dw0[$0] }, centralDifferences(w, at: ic) { L(x, $0, b) }, "\(shape) dw")
            if let b {
                Self.expectClose(ic.map { Double(db[$0]) - db0[$0] }, centralDifferences(b, at: ic) { L(x, w, $0) }, "\(shape) db")
            } else {
                #expect(db == db0.floats, "\(shape): db touched without a bias")
            }
        }
    }

    @Test(arguments: OpsPath.all) func geluErf(path: OpsPath) throws {
        let ops = try path.ops()
        var r = TestRandom(13)
        for trial in 0..<3 {
            // The first count is past the fast ops' thread-split threshold.
            let n = trial == 0 ? 16_384 + r.int(1...40) : r.int(1...50)
            let x = r.floats(n, -5, 5), dy = r.floats(n)
            var y = [Float](repeating: 0, count: n), derivative = x.floats
            ops.geluForward(&y, &derivative, count: n)
            Self.expectClose(y.doubles, x.map(DoubleOps.gelu), "\(path) gelu forward n=\(n)")
            var dx = [Float](repeating: .nan, count: n)
            ops.geluBackward(&dx, derivative: derivative, dy: dy.floats, count: n)
            // Elementwise: ∂(Σ r·gelu(x))/∂x_i involves x_i alone.
            let i = r.indices(n, limit: 400)
            let fd = i.map { k in centralDifferences([x[k]], at: [0]) { dy[k] * DoubleOps.gelu($0[0]) }[0] }
            Self.expectClose(i.map { Double(dx[$0]) }, fd, "\(path) gelu backward n=\(n)")
            // In place (dx = dy), as the model runs it.
            var inPlace = dy.floats
            inPlace.withUnsafeMutableBufferPointer { p in ops.geluBackward(p.baseAddress!, derivative: derivative, dy: p.baseAddress!, count: n) }
            #expect(inPlace == dx, "\(path) gelu backward in place differs")
        }
    }

    @Test(arguments: OpsPath.all) func crossEntropy(path: OpsPath) throws {
        let ops = try path.ops()
        var r = TestRandom(14)
        for trial in 0..<3 {
            let N = trial == 0 ? r.int(16...24) : r.int(1...6), V = r.int(2...50)
            let logits = r.floats(N * V, -4, 4), targets = (0..<N).map { _ in Int32(r.int(0...(V - 1))) }
            let scale = Double(Float(r.uniform(0.1, 2)))
            let shape = "\(path) cross-entropy \(N)x\(V)"
            var g = logits.floats, losses = [Float](repeating: 0, count: N)
            ops.crossEntropy(&g, losses: &losses, targets: targets, rows: N, vocabulary: V, scale: Float(scale))
            Self.expectClose(losses.doubles, DoubleOps.crossEntropy(logits, targets: targets, rows: N, vocabulary: V), "\(shape) losses")
            let i = r.indices(N * V, limit: 200)
            let fd = centralDifferences(logits, at: i) { scale * DoubleOps.crossEntropy($0, targets: targets, rows: N, vocabulary: V).reduce(0, +) }
            Self.expectClose(i.map { Double(g[$0]) }, fd, "\(shape) dlogits")
        }
    }

    @Test(arguments: OpsPath.all, [false, true]) func attention(path: OpsPath, dropout: Bool) throws {
        let ops = try path.ops()
        var r = TestRandom(dropout ? 16 : 15)
        // Three small shapes, then two with heads wider than two AVX-512 vectors and more
        // positions than one block of four rows and one vector of keys (the kernels' wide paths).
        for k in 0..<5 {
            let B = k < 3 ? r.int(1...2) : 1, T = k < 3 ? r.int(1...7) : r.int(17...23)
            let NH = k < 3 ? r.int(1...3) : r.int(1...2), HS = k < 3 ? r.int(1...9) : r.int(33...41), C = NH * HS
            let qkv = r.floats(B * T * 3 * C, -1.5, 1.5), dout = r.floats(B * T * C)
            let keep = Float(1) / (1 - 0.3)
            let mask: [Double]? = dropout ? (0..<(B * NH * T * T)).map { _ in r.uniform(0, 1) < 0.3 ? 0 : Double(keep) } : nil
            let shape = "\(path) attention B\(B) T\(T) NH\(NH) HS\(HS) dropout \(dropout)"
            var out = [Float](repeating: 0, count: B * T * C), att = [Float](repeating: .nan, count: B * NH * T * T)
            withOptionalPointer(mask?.floats) {
                ops.attentionForward(&out, att: &att, mask: $0, qkv: qkv.floats, batch: B, length: T, channels: C, heads: NH)
            }
            let f = { (q: [Double]) in DoubleOps.attention(q, mask: mask, batch: B, length: T, channels: C, heads: NH) }
            Self.expectClose(out.doubles, f(qkv), "\(shape) forward")
            var dqkv = [Float](repeating: .nan, count: B * T * 3 * C)
            withOptionalPointer(mask?.floats) {
                ops.attentionBackward(&dqkv, dout: dout.floats, qkv: qkv.floats, att: att, mask: $0, batch: B, length: T, channels: C, heads: NH)
            }
            let i = r.indices(qkv.count, limit: 200)
            Self.expectClose(i.map { Double(dqkv[$0]) }, centralDifferences(qkv, at: i) { DoubleOps.dot(dout, f($0)) }, "\(shape) dqkv")
        }
    }

    @Test(arguments: OpsPath.all) func embedding(path: OpsPath) throws {
        let ops = try path.ops()
        var r = TestRandom(17)
        for _ in 0..<3 {
            // Few token ids for many positions: repeated ids must accumulate.
            let V = r.int(2...9), T = r.int(1...8), B = r.int(1...3), C = r.int(1...40), N = B * T
            let ids = (0..<N).map { _ in Int32(r.int(0...(V - 1))) }
            let wte = r.floats(V * C), wpe = r.floats(T * C), dy = r.floats(N * C)
            let shape = "\(path) embedding V\(V) B\(B) T\(T) C\(C)"
            var y = [Float](repeating: 0, count: N * C)
            ops.embedForward(&y, ids: ids, wte: wte.floats, wpe: wpe.floats, rows: N, length: T, channels: C)
            Self.expectClose(y.doubles, DoubleOps.embed(ids: ids, wte: wte, wpe: wpe, rows: N, length: T, channels: C), "\(shape) forward")
            let dte0 = r.floats(V * C), dpe0 = r.floats(T * C)
            var dte = dte0.floats, dpe = dpe0.floats
            ops.embedBackward(dwte: &dte, dwpe: &dpe, ids: ids, dx: dy.floats, rows: N, length: T, channels: C)
            let L = { (te: [Double], pe: [Double]) in DoubleOps.dot(dy, DoubleOps.embed(ids: ids, wte: te, wpe: pe, rows: N, length: T, channels: C)) }
            let ie = Array(0..<(V * C)), ip = Array(0..<(T * C))
            Self.expectClose(ie.map { Double(dte[$0]) - dte0[$0] }, centralDifferences(wte, at: ie) { L($0, wpe) }, "\(shape) dwte")
            Self.expectClose(ip.map { Double(dpe[$0]) - dpe0[$0] }, centralDifferences(wpe, at: ip) { L(wte, $0) }, "\(shape) dwpe")
        }
    }

    /// Dropout's mask is drawn once (from its seed), then fixed: y = x·mask, whose backward
    /// multiplies the gradient by the same mask.
    @Test(arguments: OpsPath.all) func dropoutWithFixedMask(path: OpsPath) throws {
        let ops = try path.ops()
        var r = TestRandom(18)
        for _ in 0..<3 {
            let n = r.int(1000...5000), p = Float(r.uniform(0.1, 0.5)), seed = r.rng.next()
            let x = r.floats(n), dy = r.floats(n)
            var y = x.floats, mask = [Float](repeating: .nan, count: n)
            ops.dropout(&y, mask: &mask, count: n, seed: seed, probability: p)
            let keep = 1 / (1 - p)
            #expect(mask.allSatisfy { $0 == 0 || $0 == keep }, "\(path) mask values other than 0 and 1/(1-p)")
            #expect((0..<n).allSatisfy { y[$0] == Float(x[$0]) * mask[$0] }, "\(path) y != x·mask")
            let dropped = Double(mask.filter { $0 == 0 }.count) / Double(n)
            let sigma = (Double(p) * (1 - Double(p)) / Double(n)).squareRoot()
            #expect(abs(dropped - Double(p)) <= 5 * sigma, "\(path) dropped \(dropped) of \(n) at p \(p)")
            // The mask is a function of (seed, index) alone: every path draws the same one.
            var refY = x.floats, refMask = mask
            Reference.dropout(&refY, mask: &refMask, count: n, seed: seed, probability: p)
            #expect(refMask == mask, "\(path) mask differs from the reference's")

            let m = mask.doubles
            var dx = dy.floats
            ops.multiply(&dx, by: mask, count: n)
            let i = r.indices(n, limit: 300)
            // Elementwise: ∂(Σ r·x·mask)/∂x_k involves x_k alone.
            let fd = i.map { k in centralDifferences([x[k]], at: [0]) { dy[k] * $0[0] * m[k] }[0] }
            Self.expectClose(i.map { Double(dx[$0]) }, fd, "\(path) dropout backward n=\(n) p=\(p)")
        }
    }

    /// A residual add around a LayerNorm, y = x + LN(x): the forward adds, and the backward is
    /// the identity on both branches, which the model gets by letting LayerNorm's backward
    /// accumulate into the residual's gradient.
    @Test(arguments: OpsPath.all) func residualAdd(path: OpsPath) throws {
        let ops = try path.ops()
        var r = TestRandom(19)
        for _ in 0..<3 {
            let N = r.int(1...8), C = r.int(2...40)
            let x = r.floats(N * C, -2, 2), w = r.floats(C, 0.5, 1.5), b = r.floats(C), dy = r.floats(N * C)
            let f = { (x: [Double]) in zip(x, DoubleOps.layerNorm(x, w, b, rows: N, channels: C, epsilon: 1e-5)).map { $0 + $1 } }
            var y = [Float](repeating: 0, count: N * C), mean = [Float](repeating: 0, count: N), rstd = mean
            ops.layerNormForward(&y, mean: &mean, rstd: &rstd, x.floats, weight: w.floats, bias: b.floats, rows: N, channels: C,
                                 epsilon: 1e-5)
            ops.add(&y, x.floats, count: N * C)
            Self.expectClose(y.doubles, f(x), "\(path) residual \(N)x\(C) forward")
            var dx = dy.floats    // the identity branch
            var dw = [Float](repeating: 0, count: C), db = dw
            ops.layerNormBackward(dx: &dx, dw: &dw, db: &db, dout: dy.floats, x: x.floats, mean: mean, rstd: rstd,
                                  weight: w.floats, rows: N, channels: C)
            let i = Array(0..<(N * C))
            Self.expectClose(dx.doubles, centralDifferences(x, at: i) { DoubleOps.dot(dy, f($0)) }, "\(path) residual \(N)x\(C) dx")
        }
    }
}
