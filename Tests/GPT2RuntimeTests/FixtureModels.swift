import Foundation
import GPT2Kernels
import GPT2ModelFile
@testable import GPT2Runtime

/// The fixtures written by Tools/make-fixtures-runtime: tiny random GPT-2s in safetensors with
/// canonical names, and what PyTorch (float64) computes on them.
enum FixtureModels {
    static let directory: String = {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").path
    }()

    struct Variant {
        let name: String
        let config: GPT2Config
        let ids: [Int]
        let logits: [[Double]]      // (T, V)
        let lossText: Double
        let greedyPrompt: [Int]
        let greedy20: [Int]
        let tensors: [String: TensorData]
    }

    nonisolated(unsafe) static let expected: [String: Any] = {
        let data = FileManager.default.contents(atPath: directory + "/runtime-expected.json")!
        let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        return root["variants"] as! [String: Any]
    }()

    static var names: [String] { expected.keys.sorted() }

    static func variant(_ name: String) throws -> Variant {
        let v = expected[name] as! [String: Any]
        let c = v["config"] as! [String: Any]
        let config = GPT2Config(
            nLayer: c["n_layer"] as! Int, nHead: c["n_head"] as! Int, nEmbd: c["n_embd"] as! Int,
            nCtx: c["n_ctx"] as! Int, vocabSize: c["vocab_size"] as! Int,
            layerNormEpsilon: Float(c["layer_norm_epsilon"] as! Double),
            activation: GPT2Config.Activation(rawValue: c["activation"] as! String)!,
            bias: c["bias"] as! Bool, tiedHead: c["tied_head"] as! Bool)
        return Variant(
            name: name, config: config, ids: v["ids"] as! [Int],
            logits: (v["logits"] as! [[Any]]).map { $0.map { ($0 as! NSNumber).doubleValue } },
            lossText: v["loss_text"] as! Double, greedyPrompt: v["greedy_prompt"] as! [Int],
            greedy20: v["greedy_20"] as! [Int],
            tensors: try readSafetensors(directory + "/\(name).safetensors"))
    }

    /// Minimal safetensors reader for the test fixtures (f32 only): u64 LE header length, JSON
    /// header {name: {dtype, shape, data_offsets}}, then the data.
    static func readSafetensors(_ path: String) throws -> [String: TensorData] {
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        var out: [String: TensorData] = [:]
        for (name, info) in header where name != "__metadata__" {
            let d = info as! [String: Any]
            precondition(d["dtype"] as! String == "F32")
            let o = d["data_offsets"] as! [Int]
            out[name] = TensorData(name: name, shape: d["shape"] as! [Int], type: .f32,
                                   bytes: Array(bytes[(8 + n + o[0])..<(8 + n + o[1])]))
        }
        return out
    }

    /// Weights built from the fixture's tensors, optionally re-encoded to another element type
    /// (matrices only, as a converter would).
    static func weights(_ v: Variant, kernels: Kernels = .selected, as type: ElementType = .f32) throws -> GPT2Weights {
        try GPT2Weights(config: v.config, kernels: kernels) { name in
            guard let t = v.tensors[name] else { throw RuntimeError.missingTensor(name) }
            return type == .f32 || t.shape.count != 2 ? t : encode(t, as: type)
        }
    }

    /// Converts an f32 tensor with the reference encoders.
    static func encode(_ t: TensorData, as type: ElementType) -> TensorData {
        let n = t.elementCount!
        var out = [UInt8](repeating: 0, count: type.byteCount(elements: n)!)
        t.bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                Reference.encode(src.bindMemory(to: Float.self).baseAddress!, count: n, as: WeightType(type),
                               into: dst.baseAddress!)
            }
        }
        return TensorData(name: t.name, shape: t.shape, type: type, bytes: out)
    }
}
