import GPT2ModelFile

/// Hyperparameters read from a checkpoint go through `GPT2Config.validate()`: the same limits
/// the model file and the runtime apply, so a checkpoint that converts also loads and runs.
enum ConfigChecks {
    static func validate(_ c: GPT2Config, file: String) throws {
        do { try c.validate() } catch {
            throw CheckpointError(.badConfig, file: file, error.description,
                                  hint: "the hyperparameters are corrupt or not a GPT-2 model")
        }
    }
}
