import ArgumentParser
import GPT2Kernels
import GPT2Support

@main
struct GPT2Kit: ParsableCommand {
    /// The release this source tree is.
    static let version = GPT2KitVersion.current

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

    /// ArgumentParser's `main()`, except that a command's failure is printed through
    /// `ErrorReport`, so every error reaches the user with its context and a HINT line.
    static func main() {
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            try command.run()
        } catch {
            exit(withError: ErrorReport.presentable(error, command: type(of: command).configuration.commandName ?? "gpt2kit"))
        }
    }
}
