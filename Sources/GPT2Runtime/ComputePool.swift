/// TEMPORARY stand-in for GPT2Kernels' thread pool until it lands: how many cores to use.
final class ComputePool: @unchecked Sendable {
    let threads: Int
    init(threads: Int) { self.threads = threads }
}
