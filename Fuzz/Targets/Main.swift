import Glibc
@testable import GPT2Checkpoints
import GPT2ModelFile
import GPT2Tokenizer

/// One libFuzzer target: a parser run on one input. A thrown typed error is the expected
/// outcome for bad input; a trap, an ASan report or an error of an unexpected type is a finding.
struct FuzzTarget {
    let name: String
    /// What the input is, for `Tools/fuzz --list`.
    let about: String
    let run: ([UInt8]) throws -> Void
}

/// Every target, by name (`Tools/fuzz --list`). One binary holds them all so that the package
/// is compiled under ASan once; `GPT2KIT_FUZZ_TARGET` picks the one to run.
let allTargets: [FuzzTarget] = modelFileTargets + safetensorsTargets + torchTargets + tfTargets
    + llmcTargets + ggufTargets + vocabularyTargets + tokenizerTargets + cliTargets

nonisolated(unsafe) var selected: FuzzTarget?

/// Errors a parser may throw at a caller: every one names the file or input and the offset.
func isTypedError(_ error: any Error) -> Bool {
    error is CheckpointError || error is ModelFileError || error is TokenizerError
        || error is PickleError || error is TokenIOError
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    if getenv("GPT2KIT_FUZZ_LIST") != nil {
        for t in allTargets { print(t.name + String(repeating: " ", count: max(1, 18 - t.name.count)) + t.about) }
        exit(0)
    }
    // Tools/fuzz --seeds: the model-file seeds come from our own writer.
    if let dir = getenv("GPT2KIT_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) {
        do { try writeGeneratedSeeds(to: dir) } catch { fatalError("\(error)") }
        exit(0)
    }
    guard let name = getenv("GPT2KIT_FUZZ_TARGET").map({ String(cString: $0) }),
          let t = allTargets.first(where: { $0.name == name }) else {
        fputs("gpt2kit-fuzz: set GPT2KIT_FUZZ_TARGET to one of: \(allTargets.map(\.name).joined(separator: " "))\n", stderr)
        exit(64)
    }
    selected = t
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do {
        try selected!.run(bytes)
    } catch {
        if !isTypedError(error) { fatalError("untyped error \(type(of: error)): \(error)") }
    }
    return 0
}
