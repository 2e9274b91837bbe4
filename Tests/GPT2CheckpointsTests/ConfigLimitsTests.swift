import Foundation
import Testing
@testable import GPT2Checkpoints
import GPT2ModelFile

/// Checkpoint hyperparameters go through the same limits as the model file and the runtime
/// (`GPT2Config.validate()`): a config the runtime would refuse is refused at conversion.
@Suite struct ConfigLimitsTests {
    func load(_ json: String) throws -> GPT2Config {
        let dir = try TestPaths.tempDir(); defer { TestPaths.cleanup(dir) }
        #expect(FileManager.default.createFile(atPath: dir + "/config.json", contents: Data(json.utf8)))
        return try HFConfig.load(path: dir + "/config.json")
    }

    func config(nPositions: Int = 1024, nHead: Int = 12, eps: String = "1e-05") -> String {
        #"{"model_type":"gpt2","n_layer":12,"n_head":\#(nHead),"n_embd":768,"n_positions":\#(nPositions),"vocab_size":50257,"layer_norm_epsilon":\#(eps),"activation_function":"gelu_new"}"#
    }

    @Test func gpt2SmallPasses() throws {
        let c = try load(config())
        #expect(c.nCtx == 1024 && c.nHead == 12)
    }

    @Test(arguments: [
        (2_000_000, 12, "1e-05", "n_ctx"),           // past the runtime's 2^20 positions
        (1024, 7, "1e-05", "n_embd"),                // 768 is not a multiple of 7
        (1024, 12, "0", "layer_norm_epsilon"),
        (1024, 12, "-1e-05", "layer_norm_epsilon"),
    ])
    func outOfLimitsIsABadConfig(_ nPositions: Int, _ nHead: Int, _ eps: String, _ key: String) throws {
        let e = try #require(throws: CheckpointError.self) { _ = try load(config(nPositions: nPositions, nHead: nHead, eps: eps)) }
        #expect(e.kind == .badConfig && e.message.hasPrefix(key), "\(e)")
        #expect(e.hint != nil)
    }
}
