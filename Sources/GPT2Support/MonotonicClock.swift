#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one clock for timings: monotonic (never jumps with the wall clock), in seconds.
package enum MonotonicClock {
    /// Seconds since an arbitrary fixed point; only differences mean anything.
    package static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
