import ArgumentParser

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "Convert a checkpoint into a GPT2Kit model file.")

    func run() throws {
        throw ValidationError("'convert' is not implemented yet")
    }
}
