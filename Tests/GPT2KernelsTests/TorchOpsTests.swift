import Foundation
import Testing
@testable import GPT2Kernels

// The fast kernels against PyTorch's own ops on fixed inputs (Tools/gen-kernel-torch-fixtures
// writes Fixtures/ops-torch.json with torch 2.x on CPU, float32).

private struct TorchFixture: Decodable {
    struct GELU: Decodable { var x, erf, tanh: [Float] }
    struct LayerNorm: Decodable { var rows, channels: Int; var eps: Float; var x, weight, bias, out, out_no_bias: [Float] }
    struct Softmax: Decodable { var rows, cols: Int; var x, out, logsumexp: [Float]; var argmax: [Int] }
    struct Attention: Decodable { var heads, head_size, past, rows: Int; var q, k, v, out: [Float] }
    struct BF16: Decodable { var f32_bits: [UInt32]; var bf16_bits: [UInt16] }
    var gelu: GELU
    var layer_norm: LayerNorm
    var softmax: Softmax
    var attention: Attention
    var bf16: BF16

    static func load() throws -> TorchFixture {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/ops-torch", withExtension: "json"))
        return try JSONDecoder().decode(TorchFixture.self, from: Data(contentsOf: url))
    }
}

@Test(arguments: KernelSet.supported) func geluMatchesTorch(set: KernelSet) throws {
    let K = try Kernels(set)
    let g = try TorchFixture.load().gelu
    for form in Kernels.GELU.allCases {
        var y = g.x
        y.withUnsafeMutableBufferPointer { K.gelu($0.baseAddress!, count: $0.count, form: form) }
        let expected = form == .erf ? g.erf : g.tanh
        for i in y.indices { #expect(abs(y[i] - expected[i]) <= 4e-7 * (1 + abs(g.x[i])), "\(form) gelu(\(g.x[i])): \(y[i]) torch \(expected[i])") }
    }
}

@Test(arguments: KernelSet.supported) func layerNormMatchesTorch(set: KernelSet) throws {
    let K = try Kernels(set)
    let f = try TorchFixture.load().layer_norm
    for withBias in [true, false] {
        var out = [Float](repeating: .nan, count: f.rows * f.channels)
        f.x.withUnsafeBufferPointer { x in f.weight.withUnsafeBufferPointer { w in f.bias.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer {
                K.layerNorm($0.baseAddress!, x.baseAddress!, weight: w.baseAddress!, bias: withBias ? b.baseAddress! : nil,
                                  rows: f.rows, channels: f.channels, epsilon: f.eps)
            }
        } } }
        let expected = withBias ? f.out : f.out_no_bias
        for i in out.indices { #expect(abs(out[i] - expected[i]) <= 1e-5 * (1 + abs(expected[i])), "i \(i)") }
    }
}

@Test(arguments: KernelSet.supported) func softmaxLogsumexpArgmaxMatchTorch(set: KernelSet) throws {
    let K = try Kernels(set)
    let f = try TorchFixture.load().softmax
    var y = f.x
    y.withUnsafeMutableBufferPointer { K.softmax($0.baseAddress!, rows: f.rows, cols: f.cols) }
    for i in y.indices { #expect(abs(y[i] - f.out[i]) <= 1e-6 * f.out[i] + 1e-9) }
    f.x.withUnsafeBufferPointer { p in
        for r in 0..<f.rows {
            let row = p.baseAddress! + r * f.cols
            #expect(abs(K.logsumexp(row, count: f.cols) - f.logsumexp[r]) <= 1e-5 * abs(f.logsumexp[r]))
            #expect(K.argmax(row, count: f.cols) == f.argmax[r])
        }
    }
}

@Test(arguments: [1, 2], KernelSet.supported) func attentionMatchesTorchSDPA(threads: Int, set: KernelSet) throws {
    let K = try Kernels(set)
    let a = try TorchFixture.load().attention
    let C = a.heads * a.head_size
    let pool = ThreadPool(threads: threads)
    let out = a.q.withUnsafeBufferPointer { q in a.k.withUnsafeBufferPointer { k in a.v.withUnsafeBufferPointer { v in
        fastAttention(Float.self, q: q.baseAddress!, qStride: C, k: k.baseAddress!, v: v.baseAddress!, stride: C,
                      rows: a.rows, past: a.past, heads: a.heads, headSize: a.head_size, pool: pool, K)
    } } }
    for i in out.indices { #expect(abs(out[i] - a.out[i]) <= 2e-6 * (1 + abs(a.out[i])), "i \(i): \(out[i]) torch \(a.out[i])") }
}

@Test(arguments: [false, true], KernelSet.supported) func bf16RoundingMatchesTorch(fast: Bool, set: KernelSet) throws {
    let K = try Kernels(set)
    let b = try TorchFixture.load().bf16
    let x = b.f32_bits.map(Float.init(bitPattern:))
    #expect(x.count > 600)
    var out = [UInt16](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { s in out.withUnsafeMutableBytes { d in
        if fast { K.f32ToBF16(s.baseAddress!, d.baseAddress!, count: x.count) }
        else { Reference.f32ToBF16(s.baseAddress!, d.baseAddress!, count: x.count) }
    } }
    for i in x.indices where out[i] != b.bf16_bits[i] {
        Issue.record("f32 \(String(b.f32_bits[i], radix: 16)): got \(String(out[i], radix: 16)) torch \(String(b.bf16_bits[i], radix: 16))")
    }
}
