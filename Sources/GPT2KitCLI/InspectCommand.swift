import ArgumentParser

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a checkpoint's or model file's metadata and tensors.")

    func run() throws {
        throw ValidationError("'inspect' is not implemented yet")
    }
}
