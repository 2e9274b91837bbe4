import ArgumentParser
import GPT2Kernels

@main
struct GPT2Kit: ParsableCommand {
    /// The release this source tree is.
    static let version = "0.2.0"

    /// `gpt2kit --version`: the version, the kernel set this CPU gets (or the error
    /// GPT2KIT_KERNELS causes) and the CPU features that chose it.
    static var versionText: String {
        let kernels: String
        do { kernels = try Kernels.fromEnvironment().description } catch { kernels = "error: \(error)" }
        return "gpt2kit \(version)\nkernels: \(kernels) (CPU: \(CPUFeatures.current))"
    }

    static let configuration = CommandConfiguration(
        commandName: "gpt2kit",
        abstract: "GPT-2 tokenizer, model converter and CPU runtime.",
        version: versionText,
        subcommands: [
            TokenizeCommand.self, DetokenizeCommand.self,
            ConvertCommand.self, InspectCommand.self,
            GenerateCommand.self, PerplexityCommand.self,
            TrainCommand.self,
        ])
}
