import ArgumentParser

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity", abstract: "Mean next-token loss and perplexity of a text.")

    func run() throws {
        throw ValidationError("'perplexity' is not implemented yet")
    }
}
