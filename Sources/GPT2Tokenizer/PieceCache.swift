#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Merge results of recent pieces, for large inputs: in natural text the pieces that are not
/// themselves tokens (rare words, names, numbers) repeat, and re-merging them was half of the
/// encode time on TinyShakespeare. Direct-mapped, 4096 slots, pieces of ≤ 32 bytes giving ≤ 16
/// ids; a slot holds its piece's bytes, so a hit is verified exactly. About 430 KB, allocated
/// only by encodes of at least `minInput` bytes (smaller calls would pay more than they save).
struct PieceCache {
    static let slots = 4096
    static let maxPiece = 32
    static let maxIDs = 16
    static let minInput = 1 << 16

    private var lengths: [UInt8]         // 0 = empty slot
    private var bytes: [UInt8]           // slot * maxPiece
    private var idCounts: [UInt8]
    private var ids: [UInt32]            // slot * maxIDs

    init() {
        lengths = [UInt8](repeating: 0, count: Self.slots)
        bytes = [UInt8](repeating: 0, count: Self.slots * Self.maxPiece)
        idCounts = [UInt8](repeating: 0, count: Self.slots)
        ids = [UInt32](repeating: 0, count: Self.slots * Self.maxIDs)
    }

    @inline(__always)
    static func slot(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        Int(truncatingIfNeeded: TokenTable.hash(TokenTable.key(p, n), p, n) >> 52)
    }

    /// Appends the cached ids of piece `p[0..<n]` to `out` and returns true, or returns false.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, slot: Int, into out: inout [Int]) -> Bool {
        guard Int(lengths[slot]) == n else { return false }
        let same = bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + slot * Self.maxPiece, p, n) == 0 }
        guard same else { return false }
        let base = slot * Self.maxIDs
        for k in 0..<Int(idCounts[slot]) { out.append(Int(ids[base + k])) }
        return true
    }

    @inline(__always)
    mutating func store(_ p: UnsafePointer<UInt8>, _ n: Int, slot: Int, _ result: UnsafePointer<UInt32>, _ count: Int) {
        guard n <= Self.maxPiece, count <= Self.maxIDs else { return }
        lengths[slot] = UInt8(n)
        idCounts[slot] = UInt8(count)
        bytes.withUnsafeMutableBufferPointer { ($0.baseAddress! + slot * Self.maxPiece).update(from: p, count: n) }
        ids.withUnsafeMutableBufferPointer { ($0.baseAddress! + slot * Self.maxIDs).update(from: result, count: count) }
    }
}
