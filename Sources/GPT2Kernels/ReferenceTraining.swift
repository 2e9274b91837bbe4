// Naive oracles of the training kernels (TrainingKernels.swift): the textbook formulas, one
// element at a time, sums in Double. Same arguments as the fast versions, without threads.
#if canImport(Glibc)
import Glibc
#endif

extension Reference {
    public static func linearForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                     bias b: UnsafePointer<Float>?, rows N: Int, in IN: Int, out OUT: Int) {
        for n in 0..<N {
            for o in 0..<OUT {
                var s = Double(b?[o] ?? 0)
                for i in 0..<IN { s += Double(x[n * IN + i]) * Double(w[o * IN + i]) }
                y[n * OUT + o] = Float(s)
            }
        }
    }

    public static func linearBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                      dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                      rows N: Int, in IN: Int, out OUT: Int) {
        if let dx {
            for n in 0..<N {
                for i in 0..<IN {
                    var s = 0.0
                    for o in 0..<OUT { s += Double(dy[n * OUT + o]) * Double(w[o * IN + i]) }
                    dx[n * IN + i] = Float(s)
                }
            }
        }
        for o in 0..<OUT {
            for i in 0..<IN {
                var s = 0.0
                for n in 0..<N { s += Double(dy[n * OUT + o]) * Double(x[n * IN + i]) }
                dw[o * IN + i] += Float(s)
            }
            if let db {
                var s = 0.0
                for n in 0..<N { s += Double(dy[n * OUT + o]) }
                db[o] += Float(s)
            }
        }
    }

    public static func layerNormForward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                                        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                        rows N: Int, channels C: Int, epsilon: Float) {
        for n in 0..<N {
            let r = x + n * C
            var m = 0.0
            for i in 0..<C { m += Double(r[i]) }
            m /= Double(C)
            var v = 0.0
            for i in 0..<C { v += (Double(r[i]) - m) * (Double(r[i]) - m) }
            let rs = 1 / (v / Double(C) + Double(epsilon)).squareRoot()
            mean[n] = Float(m)
            rstd[n] = Float(rs)
            for i in 0..<C { out[n * C + i] = Float((Double(r[i]) - m) * rs * Double(weight[i]) + Double(bias?[i] ?? 0)) }
        }
    }

    public static func layerNormBackward(dx: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                         dout: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                         rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows N: Int, channels C: Int) {
        for n in 0..<N {
            let m = Double(mean[n]), rs = Double(rstd[n])
            var s1 = 0.0, s2 = 0.0
            for i in 0..<C {
                let norm = (Double(x[n * C + i]) - m) * rs, dn = Double(dout[n * C + i]) * Double(weight[i])
                s1 += dn
                s2 += dn * norm
            }
            s1 /= Double(C)
            s2 /= Double(C)
            for i in 0..<C {
                let g = Double(dout[n * C + i])
                let norm = (Double(x[n * C + i]) - m) * rs, dn = g * Double(weight[i])
                dx[n * C + i] += Float((dn - s1 - norm * s2) * rs)
                dw[i] += Float(g * norm)
                db?[i] += Float(g)
            }
        }
    }

    public static func geluErfForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count n: Int) {
        for i in 0..<n { let v = Double(x[i]); y[i] = Float(0.5 * v * (1 + Glibc.erf(v / 2.0.squareRoot()))) }
    }

    /// x replaced by GELU'(x) = Φ(x) + x·φ(x) (erf form), what the GELU backward multiplies by.
    public static func geluErfDerivative(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n {
            let v = Double(x[i])
            let cdf = 0.5 * (1 + Glibc.erf(v / 2.0.squareRoot()))
            let pdf = Glibc.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
            x[i] = Float(cdf + v * pdf)
        }
    }

    public static func crossEntropy(_ logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
                                    targets: UnsafePointer<Int32>, rows N: Int, vocabulary V: Int, scale: Float) {
        for n in 0..<N {
            let l = logits + n * V
            var m = -Double.infinity
            for i in 0..<V { m = max(m, Double(l[i])) }
            var s = 0.0
            for i in 0..<V { s += Glibc.exp(Double(l[i]) - m) }
            let lse = m + Glibc.log(s)
            let y = Int(targets[n])
            losses[n] = Float(lse - Double(l[y]))
            for i in 0..<V { l[i] = Float(Glibc.exp(Double(l[i]) - lse) * Double(scale)) }
            l[y] -= scale
        }
    }

    public static func attentionForward(_ out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?,
                                        qkv: UnsafePointer<Float>, batch B: Int, length T: Int, channels C: Int, heads NH: Int) {
        let HS = C / NH
        let scale = 1 / Double(HS).squareRoot()
        for b in 0..<B {
            for h in 0..<NH {
                let bh = b * NH + h
                for t in 0..<T {
                    var scores = [Double](repeating: -.infinity, count: T)
                    for s in 0...t {
                        var d = 0.0
                        for i in 0..<HS { d += Double(qkv[(b * T + t) * 3 * C + h * HS + i]) * Double(qkv[(b * T + s) * 3 * C + C + h * HS + i]) }
                        scores[s] = d * scale
                    }
                    let m = scores.max()!
                    var sum = 0.0
                    for s in 0...t { sum += Glibc.exp(scores[s] - m) }
                    for s in 0..<T { att[(bh * T + t) * T + s] = s <= t ? Float(Glibc.exp(scores[s] - m) / sum) : 0 }
                    for i in 0..<HS {
                        var o = 0.0
                        for s in 0...t {
                            let w = Double(att[(bh * T + t) * T + s]) * Double(mask?[(bh * T + t) * T + s] ?? 1)
                            o += w * Double(qkv[(b * T + s) * 3 * C + 2 * C + h * HS + i])
                        }
                        out[(b * T + t) * C + h * HS + i] = Float(o)
                    }
                }
            }
        }
    }

    public static func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                                         att: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                                         batch B: Int, length T: Int, channels C: Int, heads NH: Int) {
        let HS = C / NH
        let scale = 1 / Double(HS).squareRoot()
        var g = [Double](repeating: 0, count: B * T * 3 * C)
        func q(_ b: Int, _ t: Int, _ part: Int, _ h: Int, _ i: Int) -> Int { (b * T + t) * 3 * C + part * C + h * HS + i }
        for b in 0..<B {
            for h in 0..<NH {
                let bh = b * NH + h
                for t in 0..<T {
                    var da = [Double](repeating: 0, count: T)
                    for s in 0...t {
                        let a = Double(att[(bh * T + t) * T + s]), mk = Double(mask?[(bh * T + t) * T + s] ?? 1)
                        var d = 0.0
                        for i in 0..<HS {
                            let go = Double(dout[(b * T + t) * C + h * HS + i])
                            d += go * Double(qkv[q(b, s, 2, h, i)])
                            g[q(b, s, 2, h, i)] += a * mk * go
                        }
                        da[s] = d * mk
                    }
                    var dot = 0.0
                    for s in 0...t { dot += Double(att[(bh * T + t) * T + s]) * da[s] }
                    for s in 0...t {
                        let dp = Double(att[(bh * T + t) * T + s]) * (da[s] - dot) * scale
                        for i in 0..<HS {
                            g[q(b, t, 0, h, i)] += dp * Double(qkv[q(b, s, 1, h, i)])
                            g[q(b, s, 1, h, i)] += dp * Double(qkv[q(b, t, 0, h, i)])
                        }
                    }
                }
            }
        }
        for i in 0..<g.count { dqkv[i] = Float(g[i]) }
    }

    public static func embedForward(_ out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, wte: UnsafePointer<Float>,
                                    wpe: UnsafePointer<Float>, rows N: Int, length T: Int, channels C: Int) {
        for n in 0..<N { for i in 0..<C { out[n * C + i] = wte[Int(ids[n]) * C + i] + wpe[(n % T) * C + i] } }
    }

    public static func embedBackward(dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>,
                                     dx: UnsafePointer<Float>, rows N: Int, length T: Int, channels C: Int) {
        for n in 0..<N {
            for i in 0..<C {
                dwte[Int(ids[n]) * C + i] += dx[n * C + i]
                dwpe[(n % T) * C + i] += dx[n * C + i]
            }
        }
    }

    /// The mask of `Kernels.dropout`: the same hash of (seed, i), one element at a time.
    public static func dropout(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count n: Int, seed: UInt64, probability p: Float) {
        let threshold = UInt32(Double(p) * 16_777_216)
        let keep = 1 / (1 - p)
        for i in 0..<n {
            var z = seed &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            mask[i] = UInt32(z >> 40) < threshold ? 0 : keep
            x[i] *= mask[i]
        }
    }

    public static func multiply(_ y: UnsafeMutablePointer<Float>, by m: UnsafePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] *= m[i] }
    }
}
