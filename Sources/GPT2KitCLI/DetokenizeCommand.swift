import ArgumentParser

struct DetokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize", abstract: "Token ids back to the exact bytes.")

    func run() throws {
        throw ValidationError("'detokenize' is not implemented yet")
    }
}
