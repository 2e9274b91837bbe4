import Testing
@testable import GPT2KitCLI

@Test func cliHasEverySubcommand() {
    let names = GPT2Kit.configuration.subcommands.map { $0.configuration.commandName }
    #expect(names == ["tokenize", "detokenize", "convert", "inspect", "generate", "perplexity", "train"])
}
