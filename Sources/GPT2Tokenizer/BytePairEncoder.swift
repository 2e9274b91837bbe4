/// tiktoken's byte-pair merge for one piece: start from single bytes, repeatedly merge the
/// adjacent pair whose concatenated bytes have the lowest rank (leftmost on ties), until no
/// adjacent pair is a token; the final parts are the ids. This is the *pure* merge process
/// (no whole-piece lookup: `TokenizerCore` does that first, as tiktoken does).
///
/// Algorithm by length: below `heapThreshold` bytes a scan of all pair keys per merge (O(n²),
/// tiny n, on the stack, a vector minimum), a binary heap over a linked list above, O(n log n).
/// Pieces of 1 kB and more go through `ChunkedMerge` (32-byte chunks, linear time).
struct BytePairEncoder {
    let view: TokenTableView
    /// `ranks[id]`, or nil when rank == id (GPT-2).
    let ranks: UnsafePointer<UInt32>?
    /// Id of every 2-byte string, `pairIDs[b0 << 8 | b1]` (`TokenTable.empty` if not a token):
    /// the first round of every merge asks n - 1 of these, and a 256 KB array stays in cache
    /// where the 2 MB hash table does not (random a–z, 1 MB: 14.7 -> 16.4 MB/s measured).
    let pairIDs: UnsafePointer<UInt32>
    /// Id of every single byte.
    let byteIDs: UnsafePointer<Int>
    /// Every rank fits the linear scan's keys (`rank << 6 | position` below 2^31).
    let compactRanks: Bool
    static let heapThreshold = 64
    /// Ranks below this fit `mergeShort`'s keys.
    static let compactRankLimit: UInt32 = 1 << 24

    @inline(__always)
    func bytePairRank(_ p: UnsafePointer<UInt8>) -> UInt32 {
        rank(pairIDs[Int(p[0]) << 8 | Int(p[1])])
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
        return n < BytePairEncoder.heapThreshold && compactRanks ? mergeShort(p, n, ids) : mergeHeap(p, n, ids)
    }

    /// Linear scan over a linked list of parts, named by their first byte: `next[k]`/`prev[k]`
    /// link part k to its neighbours, `key[k]` is `rank << 6 | k` for merging part k with the
    /// next one (`Int32.max` when that is no token or part k is gone), so the smallest key is
    /// the lowest rank, leftmost on ties: one vector minimum over the keys, no branch per part
    /// and no shifting of arrays. `part[k]` is the id of part k once merged (`pair[k]` the id
    /// its next merge would make). Needs n < 64 and `compactRanks`.
    func mergeShort(_ p: UnsafePointer<UInt8>, _ n: Int, _ ids: UnsafeMutablePointer<UInt32>) -> Int {
        assert(n >= 2 && n < 64 && compactRanks, "mergeShort's buffers and keys hold 63 bytes")
        // 896 bytes: within the stack limit of temporary allocations (1 kB; above it they malloc).
        return withUnsafeTemporaryAllocation(byteCount: 896, alignment: 16) { buf in
            let base = buf.baseAddress!
            let key = base.bindMemory(to: Int32.self, capacity: 64)
            let pair = (base + 256).bindMemory(to: UInt32.self, capacity: 128), part = pair + 64
            let next = (base + 768).bindMemory(to: Int8.self, capacity: 128), prev = next + 64
            let vectors = (n - 1 + 7) >> 3
            for k in 0..<(vectors << 3) { key[k] = Int32.max }
            for k in 0..<(n - 1) {
                let id = pairIDs[Int(p[k]) << 8 | Int(p[k + 1])]
                pair[k] = id
                let r = rank(id)
                if r != UInt32.max { key[k] = Int32(truncatingIfNeeded: r << 6) | Int32(k) }
            }
            for k in 0..<n {
                next[k] = Int8(k + 1)
                prev[k] = Int8(k - 1)
                part[k] = UInt32(truncatingIfNeeded: byteIDs[Int(p[k])])
            }
            let raw = UnsafeRawPointer(key)
            var count = n
            while count > 1 {
                var m = raw.loadUnaligned(as: SIMD8<Int32>.self)
                for v in 1..<vectors {
                    m = pointwiseMin(m, raw.loadUnaligned(fromByteOffset: v << 5, as: SIMD8<Int32>.self))
                }
                let m4 = pointwiseMin(m.lowHalf, m.highHalf)
                let m2 = pointwiseMin(m4.lowHalf, m4.highHalf)
                let best = Swift.min(m2[0], m2[1])
                if best == Int32.max { break }
                // Merge part `at` with its successor `t`; `u` follows them.
                let at = Int(best & 63)
                let t = Int(next[at]), u = Int(next[t])
                part[at] = pair[at]
                key[t] = Int32.max
                next[at] = Int8(u)
                count -= 1
                key[at] = Int32.max
                if u < n {
                    prev[u] = Int8(at)
                    let id = view.lookup(p + at, Int(next[u]) - at)
                    pair[at] = id
                    let r = rank(id)
                    if r != UInt32.max { key[at] = Int32(truncatingIfNeeded: r << 6) | Int32(at) }
                }
                let q = Int(prev[at])
                if q >= 0 {
                    let id = view.lookup(p + q, u - q)
                    pair[q] = id
                    let r = rank(id)
                    key[q] = r != UInt32.max ? Int32(truncatingIfNeeded: r << 6) | Int32(q) : Int32.max
                }
            }
            var k = 0, s = 0
            while s < n {
                ids[k] = part[s]
                k += 1
                s = Int(next[s])
            }
            return k
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
