import Foundation

/// What to tell a user whose path could not be opened. Apart from `ErrorReport` (which needs
/// ArgumentParser) so the token I/O files build alone in the fuzz harness.
enum PathHint {
    /// What to do when `path` cannot be opened with `errno`; a missing relative path says where
    /// it was looked for.
    static func text(_ path: String, errno code: Int32) -> String {
        switch code {
        case ENOENT, ENOTDIR:
            return path.hasPrefix("/") ? "check the path: nothing exists at \(path)"
                : "check the path: nothing exists at \(path) (relative to \(FileManager.default.currentDirectoryPath))"
        case EISDIR: return "give a file, not a directory"
        case EACCES, EPERM: return "check the permissions of \(path) and of its directories"
        default: return "check that \(path) is a readable file"
        }
    }
}
