#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one clock for timings: monotonic (never jumps with the wall clock), in seconds.
package enum MonotonicClock {
    /// Seconds since an arbitrary fixed point; only differences mean anything.
    package static func seconds() -> Double { read(CLOCK_MONOTONIC) }

    /// CPU time (user + system) of the calling thread, in seconds: what a one-thread benchmark
    /// costs, whatever else a shared machine is doing. Only differences mean anything.
    package static func threadCPUSeconds() -> Double { read(CLOCK_THREAD_CPUTIME_ID) }

    private static func read(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
