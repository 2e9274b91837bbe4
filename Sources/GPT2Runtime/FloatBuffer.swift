#if canImport(Glibc)
import Glibc
#endif

/// An owned, 64-byte aligned array of floats for activations and the KV cache, freed in deinit.
/// Allocation failure is an error, not a trap: a model file can ask for a huge context.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, what: String) throws {
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        var p: UnsafeMutableRawPointer?
        guard !overflow, posix_memalign(&p, 64, bytes) == 0, let p else {
            throw RuntimeError.outOfMemory(what: what, bytes: overflow ? Int.max : bytes)
        }
        pointer = p.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
    }

    deinit { free(pointer) }
}
