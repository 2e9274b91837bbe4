import ArgumentParser

@main
struct GPT2Kit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpt2kit",
        abstract: "GPT-2 tokenizer, model converter and CPU runtime.",
        subcommands: [
            TokenizeCommand.self, DetokenizeCommand.self,
            ConvertCommand.self, InspectCommand.self,
            GenerateCommand.self, PerplexityCommand.self,
        ])
}
