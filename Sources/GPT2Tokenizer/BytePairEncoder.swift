/// tiktoken's byte-pair merge for one piece: start from single bytes, repeatedly merge the
/// adjacent pair whose concatenated bytes have the lowest rank (leftmost on ties), until no
/// adjacent pair is a token; the final parts are the ids. This is the *pure* merge process
/// (no whole-piece lookup: `TokenizerCore` does that first, as tiktoken does).
///
/// Algorithm by length: a linear scan over a small parts array for short pieces (O(n²), tiny n,
/// no allocation, fastest below ~`heapThreshold` bytes), a binary heap over a linked list above,
/// O(n log n). Pieces of 1 kB and more go through `ChunkedMerge` (32-byte chunks, linear time).
struct BytePairEncoder {
    let view: TokenTableView
    /// `ranks[id]`, or nil when rank == id (GPT-2).
    let ranks: UnsafePointer<UInt32>?
    /// Rank of every 2-byte string, `pairRanks[b0 << 8 | b1]` (UInt32.max if not a token): the
    /// first round of every merge asks n - 1 of these, and a 256 KB array stays in cache where
    /// the 2 MB hash table does not (random a–z, 1 MB: 14.7 -> 16.4 MB/s measured).
    let pairRanks: UnsafePointer<UInt32>
    static let heapThreshold = 64

    @inline(__always)
    func bytePairRank(_ p: UnsafePointer<UInt8>) -> UInt32 {
        pairRanks[Int(p[0]) << 8 | Int(p[1])]
    }

    @inline(__always)
    func rank(_ id: UInt32) -> UInt32 {
        if id == TokenTable.empty { return UInt32.max }
        if let ranks { return ranks[Int(id)] }
        return id
    }

    @inline(__always)
    func pairRank(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
        rank(view.lookup(p, length))
    }

    /// Length in bytes of token `id`.
    @inline(__always)
    func length(_ id: UInt32) -> Int { view.starts[Int(id) + 1] - view.starts[Int(id)] }

    /// Writes the ids of the pure merge of `p[0..<n]` (n ≥ 1) to `ids` (room for n); returns
    /// their count.
    func merge(_ p: UnsafePointer<UInt8>, _ n: Int, _ ids: UnsafeMutablePointer<UInt32>) -> Int {
        if n == 1 { ids[0] = view.lookup(p, 1); return 1 }
        return n < BytePairEncoder.heapThreshold ? mergeShort(p, n, ids) : mergeHeap(p, n, ids)
    }

    /// Linear scan: `starts[k]` is the first byte of part k (`starts[count] == n`), `ranks[k]`
    /// the rank of merging part k with part k + 1.
    func mergeShort(_ p: UnsafePointer<UInt8>, _ n: Int, _ ids: UnsafeMutablePointer<UInt32>) -> Int {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: n + 1) { startsBuf in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { ranksBuf in
                let starts = startsBuf.baseAddress!, pr = ranksBuf.baseAddress!
                for k in 0...n { starts[k] = Int32(k) }
                for k in 0..<(n - 1) { pr[k] = bytePairRank(p + k) }
                var count = n
                while count > 1 {
                    var best = UInt32.max
                    var at = 0
                    for k in 0..<(count - 1) where pr[k] < best {
                        best = pr[k]
                        at = k
                    }
                    if best == UInt32.max { break }
                    // Merge part `at` with `at + 1`: drop start `at + 1` and pair rank `at + 1`.
                    (starts + at + 1).update(from: starts + at + 2, count: count - at - 1)
                    if at + 2 < count - 1 { (pr + at + 1).update(from: pr + at + 2, count: count - at - 3) }
                    count -= 1
                    let s = Int(starts[at])
                    pr[at] = at + 1 < count ? pairRank(p + s, Int(starts[at + 2]) - s) : UInt32.max
                    if at > 0 {
                        let q = Int(starts[at - 1])
                        pr[at - 1] = pairRank(p + q, Int(starts[at + 1]) - q)
                    }
                }
                for k in 0..<count {
                    let s = Int(starts[k])
                    ids[k] = view.lookup(p + s, Int(starts[k + 1]) - s)
                }
                return count
            }
        }
    }

    /// Heap + linked list: parts are named by their first byte; `next[s]` is the start of the
    /// following part (n at the end), `prev[s]` the previous (-1). Heap entries are
    /// `rank << 32 | start`: the minimum is the lowest rank, then the leftmost. An entry is
    /// stale (skipped) when its part is gone or its pair's rank changed.
    func mergeHeap(_ p: UnsafePointer<UInt8>, _ n: Int, _ ids: UnsafeMutablePointer<UInt32>) -> Int {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * n) { links in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { ranksBuf in
                // Each merge pushes at most 2 entries: 3n bounds the heap.
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 3 * n) { heapBuf in
                    let next = links.baseAddress!, prev = links.baseAddress! + n
                    let pr = ranksBuf.baseAddress!
                    var heap = PointerMinHeap(heapBuf.baseAddress!)
                    for s in 0..<n {
                        next[s] = Int32(s + 1)
                        prev[s] = Int32(s - 1)
                    }
                    pr[n - 1] = UInt32.max
                    for s in 0..<(n - 1) {
                        let r = bytePairRank(p + s)
                        pr[s] = r
                        if r != UInt32.max { heap.push(UInt64(r) << 32 | UInt64(s)) }
                    }
                    while heap.count > 0 {
                        let top = heap.pop()
                        let r = UInt32(truncatingIfNeeded: top >> 32)
                        let s = Int(truncatingIfNeeded: top & 0xFFFF_FFFF)
                        if pr[s] != r { continue }   // stale
                        let t = Int(next[s])          // merge part s with its successor t
                        let u = Int(next[t])
                        next[s] = Int32(u)
                        if u < n { prev[u] = Int32(s) }
                        pr[t] = UInt32.max
                        if u < n {
                            let nr = pairRank(p + s, Int(next[u]) - s)
                            pr[s] = nr
                            if nr != UInt32.max { heap.push(UInt64(nr) << 32 | UInt64(s)) }
                        } else {
                            pr[s] = UInt32.max
                        }
                        let q = Int(prev[s])
                        if q >= 0 {
                            let nr = pairRank(p + q, u - q)
                            pr[q] = nr
                            if nr != UInt32.max { heap.push(UInt64(nr) << 32 | UInt64(q)) }
                        }
                    }
                    var count = 0
                    var s = 0
                    while s < n {
                        let e = Int(next[s])
                        ids[count] = view.lookup(p + s, e - s)
                        count += 1
                        s = e
                    }
                    return count
                }
            }
        }
    }
}

/// Binary min-heap of `UInt64` over caller-owned storage (no allocation, no bounds checks).
struct PointerMinHeap {
    let items: UnsafeMutablePointer<UInt64>
    private(set) var count = 0

    init(_ storage: UnsafeMutablePointer<UInt64>) { items = storage }

    @inline(__always)
    mutating func push(_ x: UInt64) {
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            let v = items[parent]
            if v <= x { break }
            items[i] = v
            i = parent
        }
        items[i] = x
    }

    /// Removes and returns the minimum; `count` must be > 0.
    @inline(__always)
    mutating func pop() -> UInt64 {
        let top = items[0]
        count -= 1
        let last = items[count]
        var i = 0
        while true {
            var c = 2 * i + 1
            if c >= count { break }
            if c + 1 < count, items[c + 1] < items[c] { c += 1 }
            let v = items[c]
            if v >= last { break }
            items[i] = v
            i = c
        }
        items[i] = last
        return top
    }
}
