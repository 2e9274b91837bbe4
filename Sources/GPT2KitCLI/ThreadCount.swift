import ArgumentParser
import Foundation

/// `-t/--threads N`, the same on every command that uses more than one core: 1 to 64, and the
/// same error outside that range.
enum ThreadCount {
    static let range = 1...64

    /// 2, or 1 on a one-core machine (the default of every command but `tokenize`).
    static let defaultCount = min(2, ProcessInfo.processInfo.activeProcessorCount)

    /// Throws ArgumentParser's usage error (exit 64) for a count outside `range`.
    static func validate(_ threads: Int) throws {
        guard range.contains(threads) else {
            throw ValidationError("--threads must be in \(range.lowerBound)...\(range.upperBound), got \(threads)")
        }
    }
}
