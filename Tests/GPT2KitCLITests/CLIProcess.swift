import Foundation

/// Runs the built `gpt2kit` (beside the test bundle: `swift build --build-tests` builds both)
/// with bytes on stdin. Input and output go through temporary files, so large inputs and
/// outputs cannot fill a pipe and deadlock.
enum CLIProcess {
    struct Result {
        let status: Int32
        let stdout: [UInt8]
        let stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("gpt2kit").path
    }()

    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// CI (CI set) has every tool Tools/setup --test installs: there a test that needs one runs
    /// (and fails) instead of being skipped.
    static let inCI = ProcessInfo.processInfo.environment["CI"] != nil

    /// The default vocabulary the binary finds (Vocab/, installed by Tools/setup).
    static var hasVocab: Bool { FileManager.default.fileExists(atPath: packageRoot + "/Vocab/encoder.json") }

    static func scratch(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "gpt2kit-tok-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + UUID().uuidString + "-" + name
    }

    static func write(_ bytes: [UInt8], to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    /// `launcher` runs the binary through another program (`["/usr/bin/qemu-x86_64", "-cpu",
    /// "max"]`); `environment` replaces this process's environment when given.
    static func run(_ args: [String], stdin: [UInt8] = [], launcher: [String] = [],
                    environment: [String: String]? = nil) throws -> Result {
        let inPath = scratch("in"), outPath = scratch("out"), errPath = scratch("err")
        write(stdin, to: inPath); write([], to: outPath); write([], to: errPath)
        defer { for p in [inPath, outPath, errPath] { try? FileManager.default.removeItem(atPath: p) } }
        let p = Process()
        let command = launcher + [binary] + args
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        if let environment { p.environment = environment }
        p.standardInput = FileHandle(forReadingAtPath: inPath)
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        p.waitUntilExit()
        return Result(status: p.terminationReason == .uncaughtSignal ? -p.terminationStatus : p.terminationStatus,
                      stdout: [UInt8](FileManager.default.contents(atPath: outPath) ?? Data()),
                      stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
    }

    static func run(_ args: [String], stdin: String) throws -> Result { try run(args, stdin: Array(stdin.utf8)) }
}

/// Cases whose ids tiktoken computed (Tools/make-cli-fixtures → Fixtures/cli-cases.json).
struct CLICase: Decodable {
    let name: String
    let mode: String          // ordinary | allow | lossy
    let text_b64: String
    let ids: [Int]
    let token_bytes_hex: [String]

    var text: [UInt8] { [UInt8](Data(base64Encoded: text_b64)!) }
    var idsLine: String { ids.map(String.init).joined(separator: " ") + "\n" }

    static let all: [String: CLICase] = {
        struct File: Decodable { let cases: [CLICase] }
        let url = Bundle.module.url(forResource: "Fixtures/cli-cases", withExtension: "json")!
        let file = try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        return Dictionary(uniqueKeysWithValues: file.cases.map { ($0.name, $0) })
    }()

    static subscript(_ name: String) -> CLICase { all[name]! }
}

/// Little-endian uint16 bytes of ids (nanoGPT's train.bin layout).
func u16Bytes(_ ids: [Int]) -> [UInt8] { ids.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
