#if canImport(Glibc)
import Glibc
#endif
import GPT2Support

/// A byte-based progress bar on stderr, drawn only when stderr is a terminal (quiet in pipes,
/// logs and CI) and at most ~10 times a second.
struct ProgressBar {
    let enabled: Bool
    let label: String
    private var lastDraw = 0.0

    init(label: String, enabled: Bool = true) {
        self.label = label
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    mutating func update(_ done: Int, _ total: Int) {
        guard enabled else { return }
        let now = MonotonicClock.seconds()
        guard done >= total || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let width = 30
        let frac = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = "\r\(label) [\(bar)] \(Int(frac * 100))% \(megabytes(done))/\(megabytes(total)) MB"
        writeStderr(line + (done >= total ? "\n" : ""))
    }

}

/// Writes to file descriptor 2 directly (no shared FILE* state).
func writeStderr(_ s: String) {
    var b = Array(s.utf8)
    b.withUnsafeMutableBytes { p in
        var off = 0
        while off < p.count {
            let n = write(STDERR_FILENO, p.baseAddress! + off, p.count - off)
            if n <= 0 { return }
            off += n
        }
    }
}

func megabytes(_ n: Int) -> String {
    let mb = Double(n) / 1e6
    return mb >= 100 ? String(Int(mb.rounded())) : String(format1(mb))
}

/// One decimal without Foundation.
func format1(_ x: Double) -> String {
    let r = (x * 10).rounded() / 10
    let i = Int(r)
    let f = Int(((r - Double(i)) * 10).rounded())
    return "\(i).\(abs(f))"
}

/// `x` with three decimals (ratios, seconds).
func format3(_ x: Double) -> String {
    let r = (x * 1000).rounded()
    let i = Int(r) / 1000, f = abs(Int(r) % 1000)
    return "\(r < 0 && i == 0 ? "-" : "")\(i)." + String(repeating: "0", count: 3 - String(f).count) + String(f)
}

func printJSON(_ v: JSON) {
    print(String(decoding: v.serialized(), as: UTF8.self))
}

import GPT2ModelFile
