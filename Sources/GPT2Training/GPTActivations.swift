/// What the forward pass of a `TrainableGPT` keeps for the backward pass, for one batch shape
/// (B rows of T positions, N = B·T), plus the backward's scratch. One allocation, carved up.
final class GPTActivations {
    let batch: Int, length: Int
    struct Layer {
        var ln1, ln1Mean, ln1Rstd, qkv, att, attMask, atty, attnMask, mid: UnsafeMutablePointer<Float>
        var ln2, ln2Mean, ln2Rstd, fc, gelu, mlpMask: UnsafeMutablePointer<Float>
    }
    /// residual[l]: the input of layer l; residual[nLayer]: the input of ln_f.
    let residual: [UnsafeMutablePointer<Float>]
    let layers: [Layer]
    var embeddingMask, lnf, lnfMean, lnfRstd, logits, losses: UnsafeMutablePointer<Float>
    // Backward scratch.
    var dres, dtmp, dtmp2, dqkv, dfc: UnsafeMutablePointer<Float>
    private let storage: UnsafeMutablePointer<Float>

    /// Floats needed, in the order `init` carves them (overflow-checked by the caller's limits:
    /// every factor is bounded by GPT2Config.Limits and the batch checks).
    static func floatCount(config c: GPT2ConfigShape, batch B: Int, length T: Int, dropout: Bool) -> Int {
        let N = B * T, C = c.nEmbd, att = B * c.nHead * T * T
        let masks = dropout ? 1 : 0
        let perLayer = N * C * 4 + N * 4 + N * 3 * C + att * (1 + masks) + N * C * masks * 2 + N * 4 * C * 2
        // Each piece is padded to 16 floats: at most 15 more per piece.
        let pieces = (c.nLayer + 1) + c.nLayer * (13 + 3 * masks) + 10 + masks
        return (c.nLayer + 1) * N * C + c.nLayer * perLayer + N * C * masks + N * C + 2 * N + N * c.vocabSize + N
            + N * C * 3 + N * 3 * C + N * 4 * C + pieces * 15
    }

    init(config c: GPT2ConfigShape, batch B: Int, length T: Int, dropout: Bool) {
        batch = B
        length = T
        let N = B * T, C = c.nEmbd, attCount = B * c.nHead * T * T
        let total = GPTActivations.floatCount(config: c, batch: B, length: T, dropout: dropout)
        // 64-byte aligned, and every piece a multiple of 16 floats: a vector load of an
        // activation row that straddles two cache lines costs two (the dW product reads rows).
        let base = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(total, 1))
        base.initialize(repeating: 0, count: max(total, 1))
        storage = base
        var at = 0
        func take(_ n: Int) -> UnsafeMutablePointer<Float> { defer { at += GPTActivations.padded(n) }; return base + at }
        let none = base     // stands in for the masks when there is no dropout (never read)
        var residual: [UnsafeMutablePointer<Float>] = [], layers: [Layer] = []
        for _ in 0...c.nLayer { residual.append(take(N * C)) }
        for _ in 0..<c.nLayer {
            let ln1 = take(N * C), m1 = take(N), r1 = take(N), qkv = take(N * 3 * C), att = take(attCount)
            let attMask = dropout ? take(attCount) : none
            let atty = take(N * C), attnMask = dropout ? take(N * C) : none, mid = take(N * C)
            let ln2 = take(N * C), m2 = take(N), r2 = take(N), fc = take(N * 4 * C), gelu = take(N * 4 * C)
            let mlpMask = dropout ? take(N * C) : none
            layers.append(Layer(ln1: ln1, ln1Mean: m1, ln1Rstd: r1, qkv: qkv, att: att, attMask: attMask, atty: atty,
                                attnMask: attnMask, mid: mid, ln2: ln2, ln2Mean: m2, ln2Rstd: r2, fc: fc, gelu: gelu,
                                mlpMask: mlpMask))
        }
        self.residual = residual
        self.layers = layers
        embeddingMask = dropout ? take(N * C) : none
        lnf = take(N * C); lnfMean = take(N); lnfRstd = take(N)
        logits = take(N * c.vocabSize); losses = take(N)
        dres = take(N * C); dtmp = take(N * C); dtmp2 = take(N * C); dqkv = take(N * 3 * C); dfc = take(N * 4 * C)
        precondition(at <= total, "activation layout out of step with floatCount")
    }

    /// n rounded up to a multiple of 16 floats (64 bytes).
    static func padded(_ n: Int) -> Int { (n + 15) / 16 * 16 }

    deinit { UnsafeMutableRawPointer(storage).deallocate() }
}

/// The sizes the activation count depends on.
struct GPT2ConfigShape {
    var nLayer: Int, nHead: Int, nEmbd: Int, vocabSize: Int
}
