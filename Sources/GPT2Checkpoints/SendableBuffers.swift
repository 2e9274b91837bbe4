/// Memory handed to `DispatchQueue.concurrentPerform` workers that touch disjoint ranges of it;
/// the caller waits for them, so the memory outlives every use.
struct UncheckedSendablePointer: @unchecked Sendable {
    let value: UnsafeMutableRawPointer
    init(_ value: UnsafeMutableRawPointer) { self.value = value }
}

/// A read-only source buffer for the same workers.
struct UncheckedSendableRawBuffer: @unchecked Sendable {
    let value: UnsafeRawBufferPointer
    init(_ value: UnsafeRawBufferPointer) { self.value = value }
}
