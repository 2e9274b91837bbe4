// swift-tools-version:6.0
// GPT2Kit: GPT-2 tokenizer, single-file model format, checkpoint readers, CPU runtime and CLI.
// Dependencies point one way:
//   GPT2Support <- GPT2Tokenizer <- GPT2ModelFile <- GPT2Checkpoints
//   GPT2Tokenizer, GPT2Kernels <- GPT2ModelFile <- GPT2Checkpoints
//   GPT2Kernels, GPT2ModelFile <- GPT2Runtime
//   GPT2Runtime <- GPT2Training
//   GPT2Runtime, GPT2Checkpoints <- GPT2Kit (the one-call facade: load, generate, perplexity)
//   gpt2kit (CLI) -> everything
import PackageDescription

// No target needs compiler flags: release builds are whole-module and -O already, and the
// kernels pick their instruction set at run time (CKernels: the same C source compiled per set
// with per-function target attributes, one dispatch table). So every library product can be
// used as a versioned dependency, and one build runs on any x86-64 or arm64 CPU.

let package = Package(
    name: "GPT2Kit",
    // No `platforms:`: Linux only (Glibc, /proc/self/exe), so no macOS version is claimed.
    products: [
        .executable(name: "gpt2kit", targets: ["GPT2KitCLI"]),
        .library(name: "GPT2Tokenizer", targets: ["GPT2Tokenizer"]),
        .library(name: "GPT2ModelFile", targets: ["GPT2ModelFile"]),
        .library(name: "GPT2Checkpoints", targets: ["GPT2Checkpoints"]),
        .library(name: "GPT2Runtime", targets: ["GPT2Runtime"]),
        .library(name: "GPT2Training", targets: ["GPT2Training"]),
        .library(name: "GPT2Kit", targets: ["GPT2Kit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CJSONC", pkgConfig: "json-c",
                       providers: [.apt(["libjson-c-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),

        // Bottom layer: the one copy of JSON, file mapping, byte reading, base64, paths, CRC-32C,
        // SHA-256 (swift-crypto) and the monotonic clock.
        .target(name: "GPT2Support", dependencies: ["CJSONC", "CCRC32C",
                                                    .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "GPT2Tokenizer", dependencies: ["GPT2Support"]),
        // The CPU's CRC-32C instruction (SSE4.2), which Swift cannot emit; GPT2Support's CRC32C
        // falls back to its table version elsewhere.
        .target(name: "CCRC32C"),
        .target(name: "GPT2ModelFile", dependencies: ["GPT2Support", "GPT2Tokenizer", "GPT2Kernels", "CZstd"],
                exclude: ["FORMAT.md"]),
        .target(name: "GPT2Checkpoints", dependencies: ["GPT2Support", "GPT2ModelFile", "GPT2Tokenizer", "GPT2Kernels"],
                exclude: ["READERS.md", "TORCH.md"]),
        // The kernel sets (portable, AVX2, AVX-512) and the CPU check that picks one: C, because
        // Swift has no per-function target attributes (docs/KERNELS.md).
        .target(name: "CKernels", linkerSettings: [.linkedLibrary("m")]),
        .target(name: "GPT2Kernels", dependencies: ["CKernels"]),
        // Kernel micro-benchmark (Tools/bench-kernels); not a product.
        .executableTarget(name: "KernelBench", dependencies: ["GPT2Kernels", "GPT2Support"]),
        .target(name: "GPT2Runtime", dependencies: ["GPT2Support", "GPT2Kernels", "GPT2ModelFile", "GPT2Tokenizer"]),
        // Backward passes, AdamW, the data loader and the training loop (`gpt2kit train`).
        .target(name: "GPT2Training", dependencies: ["GPT2Support", "GPT2Kernels", "GPT2ModelFile", "GPT2Tokenizer", "GPT2Runtime"]),
        // The facade: any model file or checkpoint with its tokenizer in one call (above
        // GPT2Checkpoints, which GPT2Runtime cannot see).
        .target(name: "GPT2Kit", dependencies: ["GPT2Support", "GPT2Tokenizer", "GPT2Kernels", "GPT2ModelFile",
                                                "GPT2Checkpoints", "GPT2Runtime"]),
        .executableTarget(
            name: "GPT2KitCLI",
            dependencies: [
                "GPT2Kit", "GPT2Tokenizer", "GPT2ModelFile", "GPT2Checkpoints", "GPT2Runtime", "GPT2Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tools/bench-format's measuring executable (not a product; built by the script).
        .executableTarget(name: "GPT2BenchFormat", dependencies: ["GPT2ModelFile", "GPT2Kernels", "GPT2Support"]),
        // Single-thread tokenizer throughput for Tools/bench-tokenizer (not a product).
        .executableTarget(name: "TokenizerBench", dependencies: ["GPT2Tokenizer", "GPT2Support"]),
        // nanoGPT's training loop through GPT2Training for Tools/bench-train (not a product).
        .executableTarget(name: "TrainBench", dependencies: ["GPT2Training", "GPT2Runtime", "GPT2Kernels", "GPT2ModelFile",
                                                  "GPT2Support"]),

        .testTarget(name: "GPT2SupportTests", dependencies: ["GPT2Support"]),
        .testTarget(name: "GPT2TokenizerTests", dependencies: ["GPT2Tokenizer"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GPT2ModelFileTests", dependencies: ["GPT2ModelFile"]),
        .testTarget(name: "GPT2CheckpointsTests", dependencies: ["GPT2Checkpoints", "GPT2Support"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GPT2KernelsTests", dependencies: ["GPT2Kernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GPT2RuntimeTests", dependencies: ["GPT2Runtime", "GPT2Checkpoints", "GPT2Kernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GPT2TrainingTests", dependencies: ["GPT2Training", "GPT2Runtime", "GPT2Kernels", "GPT2ModelFile",
                                                            "GPT2Tokenizer", "GPT2Support"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GPT2KitTests", dependencies: ["GPT2Kit", "GPT2ModelFile", "GPT2Runtime"]),
        .testTarget(name: "GPT2KitCLITests", dependencies: ["GPT2KitCLI", "GPT2Runtime", "GPT2ModelFile", "GPT2Checkpoints"],
                    resources: [.copy("Fixtures")]),
    ]
)
