import Foundation
import GPT2Kit

let arguments = CommandLine.arguments.dropFirst()
guard let path = arguments.first else {
    print("usage: Generate MODEL [PROMPT]")
    exit(2)
}
let prompt = arguments.dropFirst().first ?? "Hello, I'm a language model,"

let model = try TextModel(path: path)
let out = FileHandle.standardOutput      // unbuffered: each piece shows as soon as it is sampled
out.write(Data(prompt.utf8))
for try await piece in model.generate(prompt, maxTokens: 30, sampling: SamplingOptions(temperature: 0.8, seed: 1337)) {
    out.write(Data(piece.utf8))
}
out.write(Data("\n".utf8))
