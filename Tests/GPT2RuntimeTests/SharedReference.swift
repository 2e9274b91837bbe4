import Foundation
import GPT2ModelFile

/// `../shared/checkpoints/tiny/reference.json`: what nanoGPT (erf GELU, set `nanogpt`) and
/// transformers (tanh GELU, set `gpt2`) compute on the shared tiny GPT-2. nil when the shared
/// data is absent (tests then skip). Looked up beside the package root, and one level further
/// up for a git worktree one level deeper.
enum SharedReference {
    struct Prompt {
        let text: String
        let ids: [Int]
        let lastLogits: [Float]
        let argmax: [Int]
        let logSumExp: [Double]
        let lossText: Double
        let lossNextToken: Double
        let greedy20: [Int]
    }

    static let tinyDirectory: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        for shared in [root + "/../shared", root + "/../../shared"] {
            let p = shared + "/checkpoints/tiny"
            if FileManager.default.fileExists(atPath: p + "/reference.json") { return p }
        }
        return nil
    }()

    /// Sets by name ("nanogpt", "gpt2"), each a list of prompts.
    static let sets: [String: [Prompt]]? = {
        guard let dir = tinyDirectory,
              let data = FileManager.default.contents(atPath: dir + "/reference.json"),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        var out: [String: [Prompt]] = [:]
        for name in ["nanogpt", "gpt2"] {
            out[name] = (root[name] as! [[String: Any]]).map { p in
                Prompt(text: p["text"] as! String, ids: p["ids"] as! [Int],
                       lastLogits: (p["last_logits"] as! [NSNumber]).map { $0.floatValue },
                       argmax: p["argmax"] as! [Int],
                       logSumExp: (p["logsumexp"] as! [NSNumber]).map { $0.doubleValue },
                       lossText: (p["loss_text"] as! NSNumber).doubleValue,
                       lossNextToken: (p["loss_next_token"] as! NSNumber).doubleValue,
                       greedy20: p["greedy_20"] as! [Int])
            }
        }
        return out
    }()

    /// The activation each set was computed with.
    static func activation(_ set: String) -> GPT2Config.Activation { set == "nanogpt" ? .geluErf : .geluTanh }
}
