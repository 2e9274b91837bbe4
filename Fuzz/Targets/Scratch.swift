import Glibc

/// Where the targets put the input as a file (the parsers' API takes paths, and mapping a real
/// file is what users do): a directory of this process, in /dev/shm when there is one.
enum Scratch {
    static let dir: String = {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
        let d = "\(base)/gpt2kit-fuzz-\(getpid())"
        mkdir(d, 0o700)
        atexit { removeTree(Scratch.dir) }
        return d
    }()

    /// Writes `bytes` to `name` in the scratch directory (replacing it) and returns the path.
    @discardableResult
    static func write(_ bytes: [UInt8], _ name: String, in sub: String? = nil) -> String {
        let path = "\(sub ?? dir)/\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create \(path)")
        var done = 0
        bytes.withUnsafeBytes { b in
            while done < b.count {
                let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
                precondition(n > 0, "cannot write \(path)")
                done += n
            }
        }
        close(fd)
        return path
    }

    /// A fresh subdirectory (for layouts that are several files).
    static func subdirectory(_ name: String) -> String {
        let d = "\(dir)/\(name)"
        mkdir(d, 0o700)
        return d
    }

    /// The repository root (`Tools/fuzz` sets it), for the fixed companion files some targets
    /// put beside the fuzzed one.
    static let root: String = getenv("GPT2KIT_FUZZ_ROOT").map { String(cString: $0) } ?? "."

    static func read(_ relative: String) -> [UInt8] { readAbsolute("\(root)/\(relative)") }

    private static func removeTree(_ path: String) {
        guard let d = opendir(path) else { return }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name == "." || name == ".." { continue }
            let p = "\(path)/\(name)"
            if unlink(p) != 0 { removeTree(p) }
        }
        closedir(d)
        rmdir(path)
    }
}

/// Several files in one input: parts separated by a NUL byte (JSON and text formats never hold
/// one), so the fuzzer mutates them together. Parts beyond the first `count - 1` stay joined.
func splitParts(_ bytes: [UInt8], count: Int) -> [[UInt8]] {
    var parts: [[UInt8]] = []
    var rest = bytes[...]
    while parts.count < count - 1, let i = rest.firstIndex(of: 0) {
        parts.append(Array(rest[..<i]))
        rest = rest[(i + 1)...]
    }
    parts.append(Array(rest))
    while parts.count < count { parts.append([]) }
    return parts
}

extension Scratch {
    /// A whole file's bytes (the targets' outputs).
    static func readAbsolute(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { fatalError("cannot read \(path)") }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n == 0 { break }
            out += buf[..<n]
        }
        return out
    }
}
