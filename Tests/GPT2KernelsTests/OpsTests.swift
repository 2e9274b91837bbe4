import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import GPT2Kernels

// Non-linear ops: fast vs Reference (Double), tolerances stated per test.

private func apply(_ x: [Float], _ f: (UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
    var y = x
    y.withUnsafeMutableBufferPointer { f($0.baseAddress!, $0.count) }
    return y
}

@Test(arguments: KernelSet.supported) func vectorMathMatchesLibm(set: KernelSet) throws {
    let K = try Kernels(set)
    var xs: [Float] = stride(from: -100, through: 100, by: 0.0137).map { Float($0) }
    xs += [0, -0, 1e-30, -1e-30, 88.5, -87, .infinity, -.infinity]
    let ex = apply(xs) { K.exp($0, count: $1) }, th = apply(xs) { K.tanh($0, count: $1) }, ef = apply(xs) { K.erf($0, count: $1) }
    for (i, x) in xs.enumerated() {
        let e = ex[i], r = Float(exp(Double(x)))
        if r.isInfinite || r < 0x1p-126 || x > 88.6 { #expect(e == r || abs(e - r) <= 0x1p-126 || x > 88.6) }   // flushes subnormals
        else { #expect(abs(e - r) <= 4e-7 * r, "exp(\(x)) = \(e), libm \(r)") }
        #expect(abs(th[i] - Float(tanh(Double(x)))) <= 2e-7, "tanh(\(x))")
        #expect(abs(ef[i] - Float(erf(Double(x)))) <= 5e-7, "erf(\(x)) = \(ef[i])")
    }
    #expect(apply([.nan]) { K.exp($0, count: $1) }[0].isNaN)
}

@Test(arguments: KernelSet.supported) func geluMatchesReference(set: KernelSet) throws {
    let K = try Kernels(set)
    var rng = TestRNG(seed: 1)
    let x = rng.floats(1003, scale: 8) + [0, -0, 20, -20, 1e-6]
    // |Δ| <= 3e-7 (1 + |x|): the tanh/erf approximation error times 0.5 |x|, plus rounding.
    for form in Kernels.GELU.allCases {
        let fast = apply(x) { K.gelu($0, count: $1, form: form) }
        let ref = apply(x) { form == .tanh ? Reference.geluTanh($0, count: $1) : Reference.geluErf($0, count: $1) }
        for i in x.indices { #expect(abs(fast[i] - ref[i]) <= 3e-7 * (1 + abs(x[i])), "\(form) gelu(\(x[i]))") }
    }
    // Known values (torch.nn.functional.gelu, approximate='none' / 'tanh', at x = 1):
    // 0.8413447460685429 (= Φ(1)) and 0.8411919906082768.
    // Split between threads: identical to one thread.
    let pool = ThreadPool(threads: 2)
    let big = rng.floats(40_000, scale: 6)
    for form in Kernels.GELU.allCases {
        #expect(apply(big) { K.gelu($0, count: $1, form: form, pool: pool) } == apply(big) { K.gelu($0, count: $1, form: form) })
    }
    #expect(abs(apply([1]) { K.gelu($0, count: $1, form: .erf) }[0] - 0.841_344_75) < 3e-7)
    #expect(abs(apply([1]) { K.gelu($0, count: $1, form: .tanh) }[0] - 0.841_191_99) < 3e-7)
}

@Test(arguments: KernelSet.supported) func layerNormMatchesReference(set: KernelSet) throws {
    let K = try Kernels(set)
    for (T, C) in [(1, 768), (3, 50), (4, 7), (2, 1)] {
        var rng = TestRNG(seed: UInt64(C))
        let x = rng.floats(T * C, scale: 3).map { $0 + 5 }          // offset mean: tests centring
        let w = rng.floats(C), b = rng.floats(C)
        for useBias in [true, false] {
            var fast = [Float](repeating: 0, count: T * C), ref = fast
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in b.withUnsafeBufferPointer { bp in
                fast.withUnsafeMutableBufferPointer { K.layerNorm($0.baseAddress!, xp.baseAddress!, weight: wp.baseAddress!, bias: useBias ? bp.baseAddress! : nil, rows: T, channels: C, epsilon: 1e-5) }
                ref.withUnsafeMutableBufferPointer { Reference.layerNorm($0.baseAddress!, xp.baseAddress!, weight: wp.baseAddress!, bias: useBias ? bp.baseAddress! : nil, rows: T, channels: C, epsilon: 1e-5) }
            } } }
            for i in fast.indices { #expect(abs(fast[i] - ref[i]) <= 2e-5 * (1 + abs(ref[i])), "T \(T) C \(C) i \(i)") }
        }
    }
}

@Test(arguments: KernelSet.supported) func softmaxArgmaxLogsumexp(set: KernelSet) throws {
    let K = try Kernels(set)
    for n in [1, 5, 16, 17, 1000, 50257] {
        var rng = TestRNG(seed: UInt64(n))
        let x = rng.floats(n, scale: 30)
        let fast = apply(x) { K.softmax($0, rows: 1, cols: $1) }
        let ref = apply(x) { Reference.softmax($0, rows: 1, cols: $1) }
        for i in x.indices { #expect(abs(fast[i] - ref[i]) <= 1e-6 * ref[i] + 1e-9) }
        x.withUnsafeBufferPointer { p in
            #expect(K.argmax(p.baseAddress!, count: n) == Reference.argmax(p.baseAddress!, count: n))
            let a = K.logsumexp(p.baseAddress!, count: n), b = Reference.logsumexp(p.baseAddress!, count: n)
            #expect(abs(a - b) <= 2e-6 * abs(b) + 1e-6, "n \(n): \(a) vs \(b)")
        }
    }
    // Ties: the first maximum wins, as torch.argmax.
    let tied: [Float] = [1, 3, 2, 3, 3]
    #expect(tied.withUnsafeBufferPointer { K.argmax($0.baseAddress!, count: 5) } == 1)
    // Two rows at once, hand-derived: softmax([0, ln 3]) = [0.25, 0.75].
    let two = apply([0, Float(log(3.0)), 0, 0]) { p, _ in K.softmax(p, rows: 2, cols: 2) }
    #expect(abs(two[0] - 0.25) < 1e-7 && abs(two[1] - 0.75) < 1e-7 && two[2] == 0.5 && two[3] == 0.5)
}

@Test(arguments: KernelSet.supported) func residualAdd(set: KernelSet) throws {
    let K = try Kernels(set)
    var rng = TestRNG(seed: 4)
    let x = rng.floats(37), y = rng.floats(37)
    var fast = y, ref = y
    x.withUnsafeBufferPointer { xp in
        fast.withUnsafeMutableBufferPointer { K.add($0.baseAddress!, xp.baseAddress!, count: 37) }
        ref.withUnsafeMutableBufferPointer { Reference.add($0.baseAddress!, xp.baseAddress!, count: 37) }
    }
    #expect(fast == ref && fast[36] == x[36] + y[36])
}

/// Kernels.attention with the cache filled from row-layout keys and values ([L, ·] with
/// `stride`, heads side by side), as the runtime fills it from the qkv projection.
func fastAttention<E: KVElement>(_ type: E.Type, q: UnsafePointer<Float>, qStride: Int, k: UnsafePointer<Float>,
                                 v: UnsafePointer<Float>, stride: Int, rows T: Int, past: Int, heads NH: Int,
                                 headSize HS: Int, pool: ThreadPool?, _ K: Kernels) -> [Float] {
    let C = NH * HS, L = past + T
    // Capacity beyond L (a partial last tile and stale positions) as in a real cache.
    let capacity = L + 21
    let n = KVLayer<E>.elementCounts(heads: NH, headSize: HS, capacity: capacity)!
    let keys = UnsafeMutablePointer<E>.allocate(capacity: n.keys), values = UnsafeMutablePointer<E>.allocate(capacity: n.values)
    defer { keys.deallocate(); values.deallocate() }
    // Unused lanes must not leak in: NaN everywhere first (0xFFFF... is NaN in f32 and f16).
    UnsafeMutableRawPointer(keys).initializeMemory(as: UInt8.self, repeating: 0xFF, count: n.keys * MemoryLayout<E>.size)
    UnsafeMutableRawPointer(values).initializeMemory(as: UInt8.self, repeating: 0xFF, count: n.values * MemoryLayout<E>.size)
    let cache = KVLayer(keys: keys, values: values, heads: NH, headSize: HS, capacity: capacity)
    for j in 0..<L { cache.store(position: j, k: k + j * stride, v: v + j * stride, kernels: K) }
    var out = [Float](repeating: .nan, count: T * C)
    out.withUnsafeMutableBufferPointer { o in
        if let c = cache as? KVLayer<Float> {
            K.attention(o.baseAddress!, outStride: C, q: q, qStride: qStride, cache: c, rows: T, past: past, pool: pool)
        } else {
            K.attention(o.baseAddress!, outStride: C, q: q, qStride: qStride, cache: cache as! KVLayer<Float16>,
                              rows: T, past: past, pool: pool)
        }
    }
    return out
}

@Test(arguments: KernelSet.supported) func attentionMatchesReference(set: KernelSet) throws {
    let K = try Kernels(set)
    let pool = ThreadPool(threads: 2)
    // (T, past, NH, HS): prompt (past 0), generation (T 1), awkward head sizes, contexts across
    // 16-position key tiles (past 40: 3 tiles, the last partial; past 15/16: a tile boundary).
    for (T, past, NH, HS) in [(5, 0, 2, 64), (1, 9, 3, 64), (7, 3, 2, 20), (1, 0, 1, 16), (4, 2, 4, 5), (3, 6, 2, 96),
                              (2, 1, 1, 48), (1, 40, 2, 64), (1, 15, 3, 64), (2, 15, 1, 128), (17, 0, 2, 80)] {
        let C = NH * HS, L = past + T
        var rng = TestRNG(seed: UInt64(T * 100 + past))
        // qkv as the c_attn output: [L, 3C] (only the last T rows are "new" queries).
        let qkv = rng.floats(L * 3 * C, scale: 2)
        var ref = [Float](repeating: .nan, count: T * C)
        var outs: [[Float]] = []
        qkv.withUnsafeBufferPointer { p in
            let b = p.baseAddress!, q = b + past * 3 * C
            ref.withUnsafeMutableBufferPointer { o in
                Reference.attention(o.baseAddress!, outStride: C, q: q, qStride: 3 * C, k: b + C, kStride: 3 * C, v: b + 2 * C, vStride: 3 * C, rows: T, past: past, heads: NH, headSize: HS)
            }
            for threads in [nil, pool] {
                outs.append(fastAttention(Float.self, q: q, qStride: 3 * C, k: b + C, v: b + 2 * C, stride: 3 * C,
                                          rows: T, past: past, heads: NH, headSize: HS, pool: threads, K))
            }
        }
        for i in ref.indices { #expect(abs(outs[0][i] - ref[i]) <= 1e-5, "\(T) \(past) \(NH) \(HS) i \(i)") }
        #expect(outs[0] == outs[1])
    }
    // Position 0 attends only to itself: the output is v_0 exactly.
    let qkv: [Float] = [1, 2, 3, 4, 5, 6]       // C = 2, one head: q = (1,2), k = (3,4), v = (5,6)
    let out = qkv.withUnsafeBufferPointer { p in
        fastAttention(Float.self, q: p.baseAddress!, qStride: 6, k: p.baseAddress! + 2, v: p.baseAddress! + 4, stride: 6,
                      rows: 1, past: 0, heads: 1, headSize: 2, pool: nil, K)
    }
    #expect(out == [5, 6])
}

/// An f16 cache: the same math as the reference over keys and values rounded to f16 (so a tight
/// tolerance), and close to the f32 result (within what the rounding can move it).
@Test(arguments: KernelSet.supported) func attentionOverF16CacheMatchesReferenceOfRoundedValues(set: KernelSet) throws {
    let K = try Kernels(set)
    let pool = ThreadPool(threads: 2)
    for (T, past, NH, HS) in [(1, 40, 2, 64), (5, 0, 2, 64), (3, 17, 3, 20), (1, 0, 1, 16)] {
        let C = NH * HS, L = past + T
        var rng = TestRNG(seed: UInt64(7 * T + past))
        let qkv = rng.floats(L * 3 * C, scale: 2)
        // K and V columns rounded to f16 (q stays f32).
        let rounded = qkv.enumerated().map { $0.offset % (3 * C) < C ? $0.element : Float(Float16($0.element)) }
        #expect(rounded != qkv)
        var ref = [Float](repeating: .nan, count: T * C)
        rounded.withUnsafeBufferPointer { p in
            let b = p.baseAddress!
            ref.withUnsafeMutableBufferPointer { o in
                Reference.attention(o.baseAddress!, outStride: C, q: b + past * 3 * C, qStride: 3 * C, k: b + C, kStride: 3 * C, v: b + 2 * C, vStride: 3 * C, rows: T, past: past, heads: NH, headSize: HS)
            }
        }
        qkv.withUnsafeBufferPointer { p in
            let b = p.baseAddress!, q = b + past * 3 * C
            let one = fastAttention(Float16.self, q: q, qStride: 3 * C, k: b + C, v: b + 2 * C, stride: 3 * C,
                                    rows: T, past: past, heads: NH, headSize: HS, pool: nil, K)
            let two = fastAttention(Float16.self, q: q, qStride: 3 * C, k: b + C, v: b + 2 * C, stride: 3 * C,
                                    rows: T, past: past, heads: NH, headSize: HS, pool: pool, K)
            let exact = fastAttention(Float.self, q: q, qStride: 3 * C, k: b + C, v: b + 2 * C, stride: 3 * C,
                                      rows: T, past: past, heads: NH, headSize: HS, pool: nil, K)
            for i in ref.indices {
                #expect(abs(one[i] - ref[i]) <= 1e-5, "\(T) \(past) \(NH) \(HS) i \(i)")
                // |v| <= 2 rounds by <= 2^-11 * 2; scores (|q·k| <= 4 HS) move the softmax a little.
                #expect(abs(one[i] - exact[i]) <= 0.05, "\(T) \(past) i \(i): \(one[i]) vs f32 \(exact[i])")
            }
            #expect(one == two)
            #expect(one != exact)
        }
    }
}

@Test(arguments: KernelSet.supported) func kvLayerStoresEveryElementWhereItsLayoutSays(set: KernelSet) throws {
    let K = try Kernels(set)
    let NH = 3, HS = 5, capacity = 35
    let n = KVLayer<Float>.elementCounts(heads: NH, headSize: HS, capacity: capacity)!
    #expect(n.keys == NH * 3 * HS * 16 && n.values == NH * capacity * HS)     // 3 tiles of 16
    let keys = UnsafeMutablePointer<Float>.allocate(capacity: n.keys), values = UnsafeMutablePointer<Float>.allocate(capacity: n.values)
    defer { keys.deallocate(); values.deallocate() }
    let cache = KVLayer(keys: keys, values: values, heads: NH, headSize: HS, capacity: capacity)
    for j in 0..<capacity {
        let k = (0..<NH * HS).map { Float(j * 1000 + $0) }, v = k.map { -$0 }
        k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { cache.store(position: j, k: kp.baseAddress!, v: $0.baseAddress!, kernels: K) } }
    }
    for h in 0..<NH { for j in 0..<capacity { for i in 0..<HS {
        // The layout in KVLayer.swift's header, written out.
        #expect(keys[((h * 3 + j / 16) * HS + i) * 16 + j % 16] == Float(j * 1000 + h * HS + i))
        #expect(values[(h * capacity + j) * HS + i] == -Float(j * 1000 + h * HS + i))
        #expect(cache.key(head: h, position: j, dimension: i) == Float(j * 1000 + h * HS + i))
    } } }
    #expect(KVLayer<Float>.elementCounts(heads: Int.max / 2, headSize: 4, capacity: 16) == nil)
    #expect(KVLayer<Float>.elementCounts(heads: 1, headSize: 1, capacity: Int.max) == nil)
}

@Test(arguments: KernelSet.supported) func embeddingMatchesReference(set: KernelSet) throws {
    let K = try Kernels(set)
    for type in WeightType.allCases {
        let wte = TestWeights(type, rows: 11, cols: 64, seed: 1), wpe = TestWeights(type, rows: 9, cols: 64, seed: 2)
        let tokens = [3, 0, 10, 3]
        var fast = [Float](repeating: 0, count: 4 * 64), ref = fast
        wte.with { e in wpe.with { p in
            fast.withUnsafeMutableBufferPointer { K.embed($0.baseAddress!, tokens: tokens, wte: e, wpe: p, start: 5) }
            ref.withUnsafeMutableBufferPointer { Reference.embed($0.baseAddress!, tokens: tokens, wte: e, wpe: p, start: 5) }
        } }
        #expect(fast == ref, "\(type)")
    }
}
