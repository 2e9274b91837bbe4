import ArgumentParser

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Text on stdin or files to GPT-2 token ids.")

    func run() throws {
        throw ValidationError("'tokenize' is not implemented yet")
    }
}
