/// tiktoken's byte-pair merge for one piece: start from single bytes, repeatedly merge the
/// adjacent pair whose concatenated bytes have the lowest rank (leftmost on ties), until no
/// adjacent pair is a token. Output ids of the final parts.
///
/// Two algorithms, picked by piece length (as tiktoken does): a linear scan over a small parts
/// array for short pieces (O(n²) but tiny n, no allocation), and a binary heap over a linked list
/// for long pieces, O(n log n), so 1 MB of `a` or of random letters is linear-time.
struct BytePairEncoder {
    let view: TokenTableView
    /// `ranks[id]`, or nil when rank == id (GPT-2).
    let ranks: UnsafePointer<UInt32>?
    /// Pieces at least this long use the heap (below it the scan is faster; measured in
    /// Tools/bench-tokenizer).
    static let heapThreshold = 128

    @inline(__always)
    func rank(_ id: UInt32) -> UInt32 {
        if id == TokenTable.empty { return UInt32.max }
        if let ranks { return ranks[Int(id)] }
        return id
    }

    /// Appends the ids of piece `p[0..<n]` (n ≥ 2, not itself a token) to `out`.
    @inline(__always)
    func encode(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [Int]) {
        if n < BytePairEncoder.heapThreshold {
            encodeShort(p, n, into: &out)
        } else {
            encodeLong(p, n, into: &out)
        }
    }

    /// Linear scan: `starts[k]` is the first byte of part k (`starts[count] == n`), `pairRank[k]`
    /// the rank of merging part k with part k + 1.
    func encodeShort(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [Int]) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: n + 1) { starts in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { pairRank in
                for k in 0...n { starts[k] = k }
                for k in 0..<(n - 1) { pairRank[k] = rank(view.lookup(p + k, 2)) }
                var count = n
                while count > 1 {
                    var best = UInt32.max
                    var at = 0
                    for k in 0..<(count - 1) where pairRank[k] < best {
                        best = pairRank[k]
                        at = k
                    }
                    if best == UInt32.max { break }
                    // Merge part `at` with `at + 1`: drop start `at + 1`.
                    for k in (at + 1)..<count { starts[k] = starts[k + 1] }
                    for k in (at + 1)..<max(at + 1, count - 2) { pairRank[k] = pairRank[k + 1] }
                    count -= 1
                    if at + 1 < count {
                        pairRank[at] = rank(view.lookup(p + starts[at], starts[at + 2] - starts[at]))
                    } else {
                        pairRank[at] = UInt32.max
                    }
                    if at > 0 {
                        pairRank[at - 1] = rank(view.lookup(p + starts[at - 1], starts[at + 1] - starts[at - 1]))
                    }
                }
                for k in 0..<count {
                    out.append(Int(view.lookup(p + starts[k], starts[k + 1] - starts[k])))
                }
            }
        }
    }

    /// Heap + linked list: parts are identified by their first byte; `next[s]` is the start of
    /// the following part (n at the end), `prev[s]` the previous (-1). Heap entries are
    /// `rank << 32 | start`, so the minimum is the lowest rank, then the leftmost. An entry is
    /// stale (skipped) when its part is gone or its pair's rank changed.
    func encodeLong(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [Int]) {
        var next = [Int](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = i + 1 }
            c = n
        }
        var prev = [Int](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = i - 1 }
            c = n
        }
        var pairRank = [UInt32](repeating: UInt32.max, count: n)
        var heap = MinHeap()
        heap.reserve(n)
        for s in 0..<(n - 1) {
            let r = rank(view.lookup(p + s, 2))
            pairRank[s] = r
            if r != UInt32.max { heap.push(UInt64(r) << 32 | UInt64(s)) }
        }
        while let top = heap.pop() {
            let r = UInt32(top >> 32)
            let s = Int(top & 0xFFFF_FFFF)
            if pairRank[s] != r { continue }   // stale
            // Merge part s with its successor t.
            let t = next[s]
            let u = next[t]
            next[s] = u
            if u < n { prev[u] = s }
            pairRank[t] = UInt32.max           // t is gone
            prev[t] = -2
            // New pair (s, u) and (prev(s), s).
            if u < n {
                let nr = rank(view.lookup(p + s, next[u] - s))
                pairRank[s] = nr
                if nr != UInt32.max { heap.push(UInt64(nr) << 32 | UInt64(s)) }
            } else {
                pairRank[s] = UInt32.max
            }
            let q = prev[s]
            if q >= 0 {
                let nr = rank(view.lookup(p + q, u - q))
                pairRank[q] = nr
                if nr != UInt32.max { heap.push(UInt64(nr) << 32 | UInt64(q)) }
            }
        }
        var s = 0
        while s < n {
            out.append(Int(view.lookup(p + s, next[s] - s)))
            s = next[s]
        }
    }
}

/// Binary min-heap of `UInt64` (rank << 32 | position).
struct MinHeap {
    private var items: [UInt64] = []

    mutating func reserve(_ n: Int) { items.reserveCapacity(n) }

    mutating func push(_ x: UInt64) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if items[parent] <= x { break }
            items[i] = items[parent]
            i = parent
        }
        items[i] = x
    }

    mutating func pop() -> UInt64? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return top }
        var i = 0
        let count = items.count
        while true {
            let l = 2 * i + 1
            if l >= count { break }
            let r = l + 1
            let c = (r < count && items[r] < items[l]) ? r : l
            if items[c] >= last { break }
            items[i] = items[c]
            i = c
        }
        items[i] = last
        return top
    }
}
