import ArgumentParser
import Foundation
import Testing
import GPT2Checkpoints
import GPT2Support
@testable import GPT2KitCLI

/// ErrorReport, in process: a HINT line is added only when the error has none, chosen by the
/// error's type; ArgumentParser's own errors are left for its `exit(withError:)`.
@Suite struct ErrorReportTests {
    struct Plain: Error, CustomStringConvertible { var description: String { "something failed" } }

    @Test func addsAHintOnlyWhenTheErrorHasNone() {
        #expect(ErrorReport.text(Plain(), command: "inspect")
                == "something failed\nHINT: `gpt2kit inspect --help` describes the inputs and options")
        let hinted = TokenIOError.invalidUTF8(input: "x.txt", offset: 3)
        #expect(ErrorReport.text(hinted, command: "tokenize") == hinted.description)
        let text = ErrorReport.text(CheckpointError(.corrupt, file: "m.bin", offset: 8, "bad varint"), command: "convert")
        #expect(text.hasPrefix("m.bin @8: corrupt: bad varint\nHINT: the file is damaged"))
        #expect(text.components(separatedBy: "HINT:").count == 2)
    }

    @Test func mappedFileErrorReadsAsText() {
        let missing = MappedFileError(path: "/nonexistent/d.txt", step: .open, code: ENOENT, size: 0)
        #expect("\(missing)" == "/nonexistent/d.txt: cannot open: \(String(cString: strerror(ENOENT)))")
        #expect(ErrorReport.text(missing, command: "train").hasSuffix("\nHINT: check the path: nothing exists at /nonexistent/d.txt"))
        let dir = MappedFileError(path: "/tmp", step: .notRegularFile, code: 0, size: 0)
        #expect(ErrorReport.text(dir, command: "train") == "/tmp: not a regular file (a directory or device)\nHINT: give a file, not a directory")
        let map = MappedFileError(path: "big", step: .map, code: ENOMEM, size: 1 << 40)
        #expect("\(map)".hasPrefix("big: cannot map 1099511627776 bytes: "))
    }

    @Test func argumentParserErrorsPassThrough() {
        let own: [any Error] = [ExitCode(3), CleanExit.message("x"), ValidationError("v")]
        for e in own { #expect(!(ErrorReport.presentable(e, command: "x") is ErrorReport), "\(e)") }
        #expect(ErrorReport.presentable(Plain(), command: "x") is ErrorReport)
    }
}
