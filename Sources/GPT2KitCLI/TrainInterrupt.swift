#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// SIGINT/SIGTERM during `gpt2kit train`: the first one sets a flag the loop checks between
/// steps (it then writes the resume state and exits); a second one ends the process at once.
/// The handler only touches a lock-free atomic and calls `signal`/`raise`, which are
/// async-signal-safe.
enum TrainInterrupt {
    static let received = Atomic<Int32>(0)

    static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM] { sigaddset(&set, s) }
        // Unblocked as TemporaryFiles does: a parent may start us with them blocked.
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in [SIGINT, SIGTERM] {
            signal(s) { sig in
                if TrainInterrupt.received.exchange(sig, ordering: .relaxed) != 0 {
                    signal(sig, SIG_DFL)
                    raise(sig)
                }
            }
        }
    }

    static var caught: Int32 { received.load(ordering: .relaxed) }
}
