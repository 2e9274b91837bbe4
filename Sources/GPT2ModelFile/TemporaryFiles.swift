#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Temporary files of writers in progress, removed if the process is interrupted.
///
/// `ModelFileWriter` already removes its temporary file on errors and when dropped; a signal
/// (Ctrl-C, `kill`) skips both. `TemporaryFiles.installSignalCleanup()` (the CLI calls it)
/// makes SIGINT/SIGTERM/SIGHUP unlink the registered paths, then die of the same signal.
/// The handler only calls async-signal-safe functions (`unlink`, `signal`, `raise`) on
/// NUL-terminated copies made in advance.
public enum TemporaryFiles {
    static let slots = 64
    /// Serialises register/unregister between threads (the handler only reads).
    static let lock = Mutex<Void>(())
    static let slotBytes = 4096
    nonisolated(unsafe) static let table: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: slots * slotBytes)
        p.initialize(repeating: 0, count: slots * slotBytes)
        return p
    }()

    /// Makes SIGINT, SIGTERM and SIGHUP remove the registered temporary files, then end the process
    /// by the same signal.
    public static func installSignalCleanup() {
        _ = table
        // A process may start with these signals blocked (inherited from a parent that blocks
        // them, as test runners and some job launchers do): the handler would then never run
        // and Ctrl-C/kill would wait until exit. Unblock them for this thread and the threads
        // it starts later.
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s) { sig in
                for i in 0..<TemporaryFiles.slots where TemporaryFiles.table[i * TemporaryFiles.slotBytes] != 0 {
                    unlink(TemporaryFiles.table + i * TemporaryFiles.slotBytes)
                }
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }

    /// `mkstemp` failed; `errno` is the C library's code.
    public struct CreateFailure: Error { public let errno: Int32 }

    /// Creates `.NAME.tmp-XXXXXX` in the directory of `path` (mode 0600, close-on-exec),
    /// registered for the signal cleanup. The caller renames it into place, then calls
    /// `unregister`; or unlinks it, then calls `unregister`.
    public static func create(beside path: String) throws(CreateFailure) -> (fd: Int32, path: String) {
        var template = Array(self.template(beside: path).utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CreateFailure(errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let made = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        register(made)
        return (fd, made)
    }

    /// `DIR/.NAME.tmp-XXXXXX` for `DIR/NAME`: hidden, and beside the final path so that the
    /// rename into place stays within one file system (`create`'s template, and `mkdtemp`'s for
    /// a directory written whole).
    package static func template(beside path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let baseName = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return "\(dir).\(baseName).tmp-XXXXXX"
    }

    /// Adds `path` to the files removed on a signal.
    public static func register(_ path: String) {
        lock.withLock { _ in registerLocked(path) }
    }

    private static func registerLocked(_ path: String) {
        let bytes = Array(path.utf8)
        guard bytes.count < slotBytes else { return }
        for i in 0..<slots where table[i * slotBytes] == 0 {
            let slot = table + i * slotBytes
            for (k, b) in bytes.enumerated().dropFirst() { slot[k] = CChar(bitPattern: b) }
            slot[bytes.count] = 0
            slot[0] = CChar(bitPattern: bytes[0])   // written last: the slot is complete when non-zero
            return
        }
    }

    /// Removes `path` from the files removed on a signal (after its rename or removal).
    public static func unregister(_ path: String) {
        lock.withLock { _ in
            for i in 0..<slots where table[i * slotBytes] != 0 && String(cString: table + i * slotBytes) == path {
                table[i * slotBytes] = 0
            }
        }
    }
}
