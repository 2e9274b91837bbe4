import ArgumentParser

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text with a model file.")

    func run() throws {
        throw ValidationError("'generate' is not implemented yet")
    }
}
