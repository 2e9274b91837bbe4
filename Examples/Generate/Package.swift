// swift-tools-version:6.0
// An example program built on GPT2Kit's library: load a model, stream a continuation.
//   swift run -c release Generate MODEL [PROMPT]
// MODEL is a GPT2Kit model file or any checkpoint GPT2Kit reads (a Hugging Face directory,
// OpenAI's model.ckpt, nanoGPT's ckpt.pt, llm.c's gpt2_124M.bin).
// In your own package depend on the repository instead of this path:
//   .package(url: "https://…/GPT2Kit.git", from: "0.2.0")
import PackageDescription

let package = Package(
    name: "Generate",
    dependencies: [.package(name: "GPT2Kit", path: "../..")],
    targets: [
        .executableTarget(name: "Generate", dependencies: [.product(name: "GPT2Kit", package: "GPT2Kit")]),
    ]
)
