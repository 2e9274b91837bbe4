#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding the GPT-2 vocabulary without being told where it is.
///
/// Order: `$GPT2KIT_VOCAB` (a directory holding encoder.json + vocab.bpe or gpt2.tiktoken, or a
/// `.tiktoken` file), then `share/gpt2kit` beside the executable's directory (an installed
/// `PREFIX/bin/gpt2kit` reads `PREFIX/share/gpt2kit`, where `Tools/install` puts it), then
/// `Vocab/encoder.json` in the executable's directory or any parent (a SwiftPM build at
/// `.build/<triple>/release/gpt2kit` finds the package's `Vocab/`), then the same upward search
/// from the current directory. The CLI's `--vocab` flag bypasses this.
extension Vocabulary {
    /// The environment variable naming the default vocabulary's directory (or file).
    public static let environmentVariable = "GPT2KIT_VOCAB"

    /// The directory (or `.tiktoken` file) `loadDefault()` would read, or an error listing
    /// every place searched.
    public static func defaultLocation() throws -> String {
        var searched: [String] = []
        if let env = getenv(environmentVariable).map({ String(cString: $0) }), !env.isEmpty {
            if FileBytes.exists(env) || hasVocabulary(env) { return env }
            searched.append("$\(environmentVariable)=\(env)")
        }
        let exeDir = executableDirectory()
        if let exeDir {
            let parent = exeDir == "/" ? "" : String(exeDir[..<(exeDir.lastIndex(of: "/") ?? exeDir.startIndex)])
            let installed = parent + "/share/gpt2kit"
            if hasVocabulary(installed) { return installed }
            searched.append(installed)
        }
        for startDir in [exeDir, currentDirectory()].compactMap({ $0 }) {
            var dir = startDir
            while true {
                let candidate = dir == "/" ? "/Vocab" : dir + "/Vocab"
                if hasVocabulary(candidate) { return candidate }
                // Both upward searches end at /Vocab (and often share parents): list each once.
                if !searched.contains(candidate) { searched.append(candidate) }
                guard let slash = dir.lastIndex(of: "/"), dir != "/" else { break }
                dir = slash == dir.startIndex ? "/" : String(dir[..<slash])
            }
        }
        throw TokenizerError.vocabularyNotFound(searched: searched)
    }

    /// Loads the GPT-2 vocabulary from `defaultLocation()`.
    public static func loadDefault() throws -> Vocabulary {
        try load(gpt2At: defaultLocation())
    }

    /// A directory with encoder.json + vocab.bpe (preferred) or gpt2.tiktoken, or a
    /// `.tiktoken` file.
    public static func load(gpt2At location: String) throws -> Vocabulary {
        if FileBytes.exists(location) { return try load(tiktoken: location) }
        if FileBytes.exists(location + "/encoder.json") {
            return try load(encoderJSON: location + "/encoder.json", vocabBPE: location + "/vocab.bpe")
        }
        if FileBytes.exists(location + "/gpt2.tiktoken") { return try load(tiktoken: location + "/gpt2.tiktoken") }
        throw TokenizerError.vocabularyNotFound(searched: [location])
    }

    private static func hasVocabulary(_ dir: String) -> Bool {
        (FileBytes.exists(dir + "/encoder.json") && FileBytes.exists(dir + "/vocab.bpe"))
            || FileBytes.exists(dir + "/gpt2.tiktoken")
    }

    private static func executableDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let path = String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func currentDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Tokenizer {
    /// The GPT-2 tokenizer from the default vocabulary (see `Vocabulary.defaultLocation()`).
    public static func gpt2() throws -> Tokenizer {
        try Tokenizer(vocabulary: .loadDefault())
    }
}
