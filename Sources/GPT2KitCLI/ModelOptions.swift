import ArgumentParser
import Foundation
import GPT2Kit
import GPT2Support
import GPT2ModelFile
import GPT2Runtime
import GPT2Tokenizer

/// Options shared by `generate` and `perplexity`: which model file, how many cores, the KV
/// cache's element type.
struct ModelOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .long], help: "Model file (GPT-2 or bigram) written by `gpt2kit convert` or `train`, or any checkpoint `convert` reads.")
    var model: String

    @Option(name: [.customShort("t"), .long], help: "Cores to use (1 to 64; default: 2, or 1 on a one-core machine).")
    var threads: Int = ThreadCount.defaultCount

    @Option(name: .customLong("kv-cache"),
            help: "KV cache element type (default: f32 for f32 weights, exact; f16 otherwise, as llama.cpp).")
    var kvCache: KVCacheType?

    func validate() throws {
        try ThreadCount.validate(threads)
    }
}

/// A model opened for `generate` and `perplexity`: the library's `TextModel` (model file or any
/// checkpoint, with its tokenizer), so the CLI has no loading logic of its own.
typealias LoadedModel = TextModel

extension TextModel {
    convenience init(_ o: ModelOptions) throws {
        try self.init(path: o.model, options: Options(threads: o.threads, kvCache: o.kvCache))
    }

    /// The kernel set the model runs on, e.g. "avx512+vnni" (GPT2KIT_KERNELS or the CPU's best).
    var kernels: String { kernelSet.description }

    /// The KV cache's element type, "none" for a bigram model (it keeps no cache).
    var kvCacheName: String { kvCacheType?.rawValue ?? "none" }
}

enum Clock {
    /// Monotonic seconds.
    static func now() -> Double { MonotonicClock.seconds() }
}

/// Text from `-p`, `-f FILE` or standard input, as bytes that are checked to be UTF-8: a model
/// sees token ids, and silently replacing bad bytes would change the text it is asked about.
enum TextInput {
    static func read(text: String?, file: String?) throws -> [UInt8] {
        if let text { return Array(text.utf8) }          // a Swift String is valid UTF-8
        let bytes: [UInt8]
        let name: String
        if let file {
            var st = stat()
            guard stat(file, &st) == 0 else { throw TokenIOError.cannotOpen(path: file, errno: errno) }
            guard (st.st_mode & S_IFMT) != S_IFDIR else { throw TokenIOError.cannotOpen(path: file, errno: EISDIR) }
            guard let d = FileManager.default.contents(atPath: file) else {
                throw TokenIOError.cannotOpen(path: file, errno: access(file, R_OK) == 0 ? EIO : errno)
            }
            bytes = [UInt8](d)
            name = file
        } else {
            bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            name = "<stdin>"
        }
        if String(validating: bytes, as: UTF8.self) == nil {
            let offset = bytes.withUnsafeBufferPointer { firstInvalidUTF8Offset($0) }
            throw TextInputError.invalidUTF8(input: name, offset: offset)
        }
        return bytes
    }
}

enum TextInputError: Error, CustomStringConvertible {
    case invalidUTF8(input: String, offset: Int)

    var description: String {
        switch self {
        case let .invalidUTF8(input, offset):
            return "\(input): invalid UTF-8 at byte offset \(offset)\n"
                + "HINT: convert the text to UTF-8 first (e.g. iconv), or clean it with `gpt2kit tokenize --lossy`"
        }
    }
}

/// Writes straight to the file descriptors (no stdio buffer: generated text appears at once).
enum Output {
    static func out(_ s: String) { write(fd: STDOUT_FILENO, s) }
    static func err(_ s: String) { write(fd: STDERR_FILENO, s) }

    private static func write(fd: Int32, _ s: String) {
        var s = s
        s.withUTF8 { b in
            var done = 0
            while done < b.count {
                let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }             // closed pipe: nothing more to do
                done += n
            }
        }
    }

    /// One-line JSON with sorted keys.
    static func json(_ object: [String: Any]) throws -> String {
        let d = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: d, as: UTF8.self)
    }

    /// Rounds for display/JSON (3 decimals).
    static func r3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}

/// Resident memory of this process from /proc/self/status, in MiB: `file` = pages of mapped
/// files (the model's weights: shared page cache, reclaimable, not a copy), `anon` = private
/// memory (KV cache, buffers, decoded tensors, the tokenizer). nil where /proc is absent.
enum ResidentMemory {
    static func current() -> (anon: Double, file: Double)? {
        guard let d = FileManager.default.contents(atPath: "/proc/self/status") else { return nil }
        var anon: Double?, file: Double?
        for line in String(decoding: d, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let kb = Double(parts[1]) else { continue }
            if parts[0] == "RssAnon:" { anon = kb / 1024 }
            if parts[0] == "RssFile:" { file = kb / 1024 }
        }
        guard let anon, let file else { return nil }
        return (anon, file)
    }
}

