// swift-tools-version:6.0
// GPT2Kit: GPT-2 tokenizer, single-file model format, checkpoint readers, CPU runtime and CLI.
// Dependencies point one way:
//   GPT2Support <- GPT2Tokenizer <- GPT2ModelFile <- GPT2Checkpoints
//   GPT2Tokenizer, GPT2Kernels <- GPT2ModelFile <- GPT2Checkpoints
//   GPT2Kernels, GPT2ModelFile <- GPT2Runtime
//   gpt2kit (CLI) -> everything
import PackageDescription

// Only the kernels are compiled without overflow/bounds traps in release builds: they run on
// buffers whose sizes were checked when the model file was opened. Every target that parses
// untrusted bytes (tokenizer files, model files, checkpoints, the CLI's inputs) keeps Swift's
// traps in release, so a missed check is a crash with a message, not memory corruption.
// GPT2Tokenizer was measured both ways (Tools/bench-tokenizer --no-build after
// `swift build -c release --product TokenizerBench`, 2026-11-22, load average 10-13 on 2 cores):
//   encode MB/s, checked vs -Ounchecked: TinyShakespeare 155.7 vs 163.2, multilingual 140.7 vs
//   153.0, 'a' x 1 MB 536.6 vs 625.4, random a-z 1 MB 29.1 vs 24.2; decode 2664 vs 3069.
// 5-9 % on natural text, inside the noise of a loaded machine and still 6.9x tiktoken (goal 3x):
// not a clear loss, so the tokenizer, which parses untrusted vocabulary files, keeps its traps.
let unchecked: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]
let fast: [SwiftSetting] = [.unsafeFlags(["-wmo"], .when(configuration: .release))]

// The kernels are compiled for the CPU this project runs and is tested on (AMD EPYC, family 26
// = Zen 5; `znver4` code: AVX-512, F16C, FMA, VNNI, all present there). Without it Swift
// targets baseline x86-64 (SSE2): SIMD16<Float> becomes four
// SSE ops, `addProduct` a call to fmaf per lane (40x slower, measured), and every f16 conversion
// a libcall. See README.md, "Kernels". Only the kernel target gets it; other CPUs: remove it.
#if arch(x86_64)
let kernelCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "znver4"], .when(platforms: [.linux]))]
#else
let kernelCPU: [SwiftSetting] = []
#endif

let package = Package(
    name: "GPT2Kit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gpt2kit", targets: ["GPT2KitCLI"]),
        .library(name: "GPT2Tokenizer", targets: ["GPT2Tokenizer"]),
        .library(name: "GPT2ModelFile", targets: ["GPT2ModelFile"]),
        .library(name: "GPT2Checkpoints", targets: ["GPT2Checkpoints"]),
        .library(name: "GPT2Runtime", targets: ["GPT2Runtime"]),
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

        // Bottom layer: the one copy of JSON, file mapping, byte reading, base64 and paths.
        .target(name: "GPT2Support", dependencies: ["CJSONC"], swiftSettings: fast),
        .target(name: "GPT2Tokenizer", dependencies: ["GPT2Support"], swiftSettings: fast),
        // The CPU's CRC-32C instruction (SSE4.2), which Swift cannot emit; GPT2ModelFile falls
        // back to its table version elsewhere.
        .target(name: "CCRC32C", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "GPT2ModelFile", dependencies: ["GPT2Support", "GPT2Tokenizer", "GPT2Kernels", "CZstd", "CCRC32C"],
                exclude: ["FORMAT.md"], swiftSettings: fast),
        .target(name: "GPT2Checkpoints", dependencies: ["GPT2Support", "GPT2ModelFile", "GPT2Tokenizer", "GPT2Kernels",
                                                        .product(name: "Crypto", package: "swift-crypto")],
                exclude: ["READERS.md", "TORCH.md"], swiftSettings: fast),
        // The q8_0 matvec with AVX-512 VNNI (`vpdpbusd`), which Swift cannot emit; the functions
        // carry their own `target` attributes and GPT2Kernels checks the CPU at run time, falling
        // back to its Swift kernel elsewhere.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "GPT2Kernels", dependencies: ["CKernels"], swiftSettings: unchecked + kernelCPU,
                linkerSettings: [.linkedLibrary("m")]),
        // Kernel micro-benchmark (Tools/bench-kernels); not a product.
        .executableTarget(name: "KernelBench", dependencies: ["GPT2Kernels"], swiftSettings: unchecked + kernelCPU),
        .target(name: "GPT2Runtime", dependencies: ["GPT2Kernels", "GPT2ModelFile", "GPT2Tokenizer"],
                swiftSettings: fast),
        .executableTarget(
            name: "GPT2KitCLI",
            dependencies: [
                "GPT2Tokenizer", "GPT2ModelFile", "GPT2Checkpoints", "GPT2Runtime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fast),

        // Tools/bench-format's measuring executable (not a product; built by the script).
        .executableTarget(name: "GPT2BenchFormat", dependencies: ["GPT2ModelFile", "GPT2Kernels"],
                          swiftSettings: fast),
        // Single-thread tokenizer throughput for Tools/bench-tokenizer (not a product).
        .executableTarget(name: "TokenizerBench", dependencies: ["GPT2Tokenizer"], swiftSettings: fast),

        .testTarget(name: "GPT2SupportTests", dependencies: ["GPT2Support"]),
        .testTarget(name: "GPT2TokenizerTests", dependencies: ["GPT2Tokenizer"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GPT2ModelFileTests", dependencies: ["GPT2ModelFile"]),
        .testTarget(name: "GPT2CheckpointsTests", dependencies: ["GPT2Checkpoints", "GPT2Support"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GPT2KernelsTests", dependencies: ["GPT2Kernels"],
                    resources: [.copy("Fixtures")], swiftSettings: kernelCPU),
        .testTarget(name: "GPT2RuntimeTests", dependencies: ["GPT2Runtime", "GPT2Checkpoints", "GPT2Kernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GPT2KitCLITests", dependencies: ["GPT2KitCLI", "GPT2Runtime", "GPT2ModelFile", "GPT2Checkpoints"],
                    resources: [.copy("Fixtures")]),
    ]
)
