import ArgumentParser
import Foundation
import GPT2Checkpoints
import GPT2Support

/// The one place a command's failure becomes text: the error's own description (file, offset,
/// expected vs found) and, when the error brings none, a HINT line chosen here. ArgumentParser's
/// own errors (bad options, `--help`, exit codes) pass through unchanged: they print the usage.
struct ErrorReport: Error, CustomStringConvertible {
    let description: String

    /// `error` ready for `exit(withError:)`; `command` names the subcommand that failed.
    static func presentable(_ error: any Error, command: String) -> any Error {
        // ArgumentParser's own errors, public (ExitCode, CleanExit, ValidationError) or internal
        // (the `help` command's request to print help): its `exit(withError:)` knows them.
        if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { return error }
        return ErrorReport(description: text(error, command: command))
    }

    /// The error's description, ending with a HINT line.
    static func text(_ error: any Error, command: String) -> String {
        let message = String(describing: error)
        if message.contains("\nHINT: ") { return message }
        return message + "\nHINT: " + hint(for: error, command: command)
    }

    /// A hint for errors whose type carries none (low-level I/O, a reader's error without one).
    static func hint(for error: any Error, command: String) -> String {
        switch error {
        case let e as MappedFileError:
            switch e.step {
            case .open, .stat: return PathHint.text(e.path, errno: e.code)
            case .notRegularFile: return PathHint.text(e.path, errno: EISDIR)
            case .map: return "the file could not be mapped into memory; check free memory and the file system"
            }
        case let e as CheckpointError where e.kind == .io:
            return PathHint.text(e.file, errno: FileManager.default.fileExists(atPath: e.file) ? 0 : ENOENT)
        case is CheckpointError:
            return "the file is damaged, cut short or not in a layout GPT2Kit reads (`gpt2kit convert --help` lists them)"
        default:
            return "`gpt2kit \(command) --help` describes the inputs and options"
        }
    }
}
