import Foundation

/// qemu's user-mode x86-64 emulator (Debian's `qemu-user`, installed by `Tools/setup --test`),
/// which runs the built `gpt2kit` as if on an older CPU: every instruction the emulated CPU
/// lacks raises SIGILL, exactly as on such a machine.
enum QEMU {
    /// The CPU models the CLI is run on. Debian's qemu 7.2 `max` has AVX2 and FMA but no
    /// AVX-512 (qemu emulates none before 9.x); `Nehalem` has SSE4.2 and no AVX at all.
    static let cpus = ["max", "Nehalem"]

    /// `qemu-x86_64` on PATH, if installed.
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { $0 + "/qemu-x86_64" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// qemu-x86_64 runs x86-64 binaries only: on another host the test binary is not one.
    static let hostIsX86: Bool = {
        #if arch(x86_64)
        return true
        #else
        return false
        #endif
    }()

    /// The environment for both the native and the emulated run: the vocabulary named
    /// explicitly, no forced kernel choice (the run-time CPU check is what is under test), and
    /// no Swift backtracer on a crash (under emulation it takes seconds to give up on
    /// suspending threads, and the signal is what the tests look at).
    static func environment(vocab: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["GPT2KIT_KERNELS"] = nil
        env["GPT2KIT_VOCAB"] = vocab
        env["SWIFT_BACKTRACE"] = "enable=no"
        return env
    }
}
