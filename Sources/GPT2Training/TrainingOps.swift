import GPT2Kernels

/// The ops of a GPT's forward and backward pass. Two implementations: `FastTrainingOps` (the
/// kernel set's C kernels on a thread pool, what training runs) and `ReferenceTrainingOps`
/// (GPT2Kernels' naive `Reference.*`, the tests' oracle for a whole model).
protocol TrainingOps {
    func linearForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>?, rows: Int, in: Int, out: Int)
    func linearBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, in: Int, out: Int)
    func layerNormForward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                          _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          rows: Int, channels: Int, epsilon: Float)
    func layerNormBackward(dx: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                           dout: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                           rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, channels: Int)
    /// y = GELU(x) (erf form); x is replaced by GELU'(x), which `geluBackward` multiplies by.
    func geluForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, count: Int)
    /// dx = dy · GELU'(x) from the derivative `geluForward` left in place of x; dx may equal dy.
    func geluBackward(_ dx: UnsafeMutablePointer<Float>, derivative: UnsafePointer<Float>, dy: UnsafePointer<Float>, count: Int)
    func crossEntropy(_ logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>,
                      rows: Int, vocabulary: Int, scale: Float)
    func attentionForward(_ out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?,
                          qkv: UnsafePointer<Float>, batch: Int, length: Int, channels: Int, heads: Int)
    func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                           att: UnsafePointer<Float>, mask: UnsafePointer<Float>?, batch: Int, length: Int, channels: Int, heads: Int)
    func embedForward(_ out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, wte: UnsafePointer<Float>,
                      wpe: UnsafePointer<Float>, rows: Int, length: Int, channels: Int)
    func embedBackward(dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>,
                       dx: UnsafePointer<Float>, rows: Int, length: Int, channels: Int)
    func dropout(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int, seed: UInt64, probability: Float)
    func multiply(_ y: UnsafeMutablePointer<Float>, by: UnsafePointer<Float>, count: Int)
    func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int)
}

struct FastTrainingOps: TrainingOps {
    let k: Kernels
    let pool: ThreadPool?

    func linearForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>?, rows: Int, in: Int, out: Int) {
        k.linearForward(y, x, weight: weight, bias: bias, rows: rows, in: `in`, out: out, pool: pool)
    }
    func linearBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, in: Int, out: Int) {
        k.linearBackward(dx: dx, dw: dw, db: db, dy: dy, x: x, weight: weight, rows: rows, in: `in`, out: out, pool: pool)
    }
    func layerNormForward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                          _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          rows: Int, channels: Int, epsilon: Float) {
        k.layerNormForward(out, mean: mean, rstd: rstd, x, weight: weight, bias: bias, rows: rows, channels: channels,
                           epsilon: epsilon, pool: pool)
    }
    func layerNormBackward(dx: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                           dout: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                           rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, channels: Int) {
        k.layerNormBackward(dx: dx, dw: dw, db: db, dout: dout, x: x, mean: mean, rstd: rstd, weight: weight,
                            rows: rows, channels: channels)
    }
    func geluForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, count: Int) {
        k.geluErfForward(y, x, count: count, pool: pool)
    }
    func geluBackward(_ dx: UnsafeMutablePointer<Float>, derivative: UnsafePointer<Float>, dy: UnsafePointer<Float>, count: Int) {
        if UnsafePointer(dx) != dy { dx.update(from: dy, count: count) }
        k.multiply(dx, by: derivative, count: count, pool: pool)
    }
    func crossEntropy(_ logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>,
                      rows: Int, vocabulary: Int, scale: Float) {
        k.crossEntropy(logits, losses: losses, targets: targets, rows: rows, vocabulary: vocabulary, scale: scale, pool: pool)
    }
    func attentionForward(_ out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?,
                          qkv: UnsafePointer<Float>, batch: Int, length: Int, channels: Int, heads: Int) {
        k.attentionForward(out, att: att, mask: mask, qkv: qkv, batch: batch, length: length, channels: channels, heads: heads, pool: pool)
    }
    func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                           att: UnsafePointer<Float>, mask: UnsafePointer<Float>?, batch: Int, length: Int, channels: Int, heads: Int) {
        k.attentionBackward(dqkv, dout: dout, qkv: qkv, att: att, mask: mask, batch: batch, length: length, channels: channels,
                            heads: heads, pool: pool)
    }
    func embedForward(_ out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, wte: UnsafePointer<Float>,
                      wpe: UnsafePointer<Float>, rows: Int, length: Int, channels: Int) {
        k.embedForward(out, ids: ids, wte: wte, wpe: wpe, rows: rows, length: length, channels: channels)
    }
    func embedBackward(dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>,
                       dx: UnsafePointer<Float>, rows: Int, length: Int, channels: Int) {
        k.embedBackward(dwte: dwte, dwpe: dwpe, ids: ids, dx: dx, rows: rows, length: length, channels: channels)
    }
    func dropout(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int, seed: UInt64, probability: Float) {
        k.dropout(x, mask: mask, count: count, seed: seed, probability: probability)
    }
    func multiply(_ y: UnsafeMutablePointer<Float>, by m: UnsafePointer<Float>, count: Int) { k.multiply(y, by: m, count: count) }
    func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) { k.add(y, x, count: count) }
}

struct ReferenceTrainingOps: TrainingOps {
    func linearForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>?, rows: Int, in: Int, out: Int) {
        Reference.linearForward(y, x, weight: weight, bias: bias, rows: rows, in: `in`, out: out)
    }
    func linearBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, in: Int, out: Int) {
        Reference.linearBackward(dx: dx, dw: dw, db: db, dy: dy, x: x, weight: weight, rows: rows, in: `in`, out: out)
    }
    func layerNormForward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                          _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          rows: Int, channels: Int, epsilon: Float) {
        Reference.layerNormForward(out, mean: mean, rstd: rstd, x, weight: weight, bias: bias, rows: rows, channels: channels, epsilon: epsilon)
    }
    func layerNormBackward(dx: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                           dout: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                           rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, channels: Int) {
        Reference.layerNormBackward(dx: dx, dw: dw, db: db, dout: dout, x: x, mean: mean, rstd: rstd, weight: weight,
                                    rows: rows, channels: channels)
    }
    func geluForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, count: Int) {
        Reference.geluErfForward(y, x, count: count)
        Reference.geluErfDerivative(x, count: count)
    }
    func geluBackward(_ dx: UnsafeMutablePointer<Float>, derivative: UnsafePointer<Float>, dy: UnsafePointer<Float>, count: Int) {
        if UnsafePointer(dx) != dy { dx.update(from: dy, count: count) }
        Reference.multiply(dx, by: derivative, count: count)
    }
    func crossEntropy(_ logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>,
                      rows: Int, vocabulary: Int, scale: Float) {
        Reference.crossEntropy(logits, losses: losses, targets: targets, rows: rows, vocabulary: vocabulary, scale: scale)
    }
    func attentionForward(_ out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?,
                          qkv: UnsafePointer<Float>, batch: Int, length: Int, channels: Int, heads: Int) {
        Reference.attentionForward(out, att: att, mask: mask, qkv: qkv, batch: batch, length: length, channels: channels, heads: heads)
    }
    func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                           att: UnsafePointer<Float>, mask: UnsafePointer<Float>?, batch: Int, length: Int, channels: Int, heads: Int) {
        Reference.attentionBackward(dqkv, dout: dout, qkv: qkv, att: att, mask: mask, batch: batch, length: length,
                                    channels: channels, heads: heads)
    }
    func embedForward(_ out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, wte: UnsafePointer<Float>,
                      wpe: UnsafePointer<Float>, rows: Int, length: Int, channels: Int) {
        Reference.embedForward(out, ids: ids, wte: wte, wpe: wpe, rows: rows, length: length, channels: channels)
    }
    func embedBackward(dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>,
                       dx: UnsafePointer<Float>, rows: Int, length: Int, channels: Int) {
        Reference.embedBackward(dwte: dwte, dwpe: dwpe, ids: ids, dx: dx, rows: rows, length: length, channels: channels)
    }
    func dropout(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int, seed: UInt64, probability: Float) {
        Reference.dropout(x, mask: mask, count: count, seed: seed, probability: probability)
    }
    func multiply(_ y: UnsafeMutablePointer<Float>, by m: UnsafePointer<Float>, count: Int) { Reference.multiply(y, by: m, count: count) }
    func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) { for i in 0..<count { y[i] += x[i] } }
}
