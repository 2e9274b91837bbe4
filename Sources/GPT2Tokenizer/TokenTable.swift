#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte string → token id, an open-addressing hash table of our own (no `String` keys, no
/// `[UInt8]` allocation per lookup): the BPE merge loop asks it "is `p[a..<b]` a token?" for
/// every candidate pair, so a lookup is one hash of at most two 8-byte loads and usually one
/// probe. The token bytes live once, flat, in `bytes` (also what `decodeBytes` copies from).
struct TokenTable: Sendable {
    struct Slot: Sendable {
        var key: UInt64      // `TokenTable.key` of the token's bytes
        var id: UInt32       // `TokenTable.empty` if the slot is free
        var length: UInt32
    }

    static let empty = UInt32.max
    private(set) var slots: [Slot]
    private let mask: Int
    /// One bit per hash value (top 20 bits): 128 KB that stays in L2 where the 2 MB slot array
    /// does not, so most misses (the common case for merge candidates) never touch a slot
    /// (random a–z 22 -> 30 MB/s, TinyShakespeare 158 -> 170 MB/s, measured).
    private var filter: [UInt64]
    static let filterBits = 20
    /// All tokens' bytes, token `id` at `bytes[starts[id]..<starts[id + 1]]`, then 16 zero bytes.
    let bytes: [UInt8]
    let starts: [Int]

    /// `tokens[id]` are the bytes of token `id`; `skip(id)` leaves an id out of the lookup (it
    /// still decodes), e.g. special tokens listed among the ordinary ones. Throws on an empty or
    /// duplicate token.
    /// Ids past `tokens.count` take their bytes from `extra` (special tokens after the ordinary
    /// ones), so callers need not copy the 50 000-token list to append them.
    init(flat tokens: TokenBytes, extra: [[UInt8]] = [], skip: (Int) -> Bool = { _ in false }) throws {
        var total = tokens.bytes.count
        for t in extra { total += t.count }
        var flat: [UInt8] = []
        flat.reserveCapacity(total + 16)
        flat.append(contentsOf: tokens.bytes)
        var starts = tokens.starts
        let count = tokens.count + extra.count
        starts.reserveCapacity(count + 1)
        for t in extra {
            flat.append(contentsOf: t)
            starts.append(flat.count)
        }
        flat.append(contentsOf: repeatElement(0, count: 16))   // slack for 16-byte copies
        var capacity = 16
        while capacity < count * 2 { capacity <<= 1 }   // load factor ≤ 0.5
        let mask = capacity - 1
        var slots = [Slot](repeating: Slot(key: 0, id: TokenTable.empty, length: 0), count: capacity)
        var filter = [UInt64](repeating: 0, count: (1 << TokenTable.filterBits) / 64)
        try flat.withUnsafeBufferPointer { fb in
            for id in 0..<count where !skip(id) {
                let length = starts[id + 1] - starts[id]
                guard length > 0 else { throw TokenizerError.invalidVocabulary("token \(id) is empty") }
                let p = fb.baseAddress! + starts[id]
                let k = TokenTable.key(p, length)
                let h = TokenTable.hash(k, p, length)
                let f = Int(truncatingIfNeeded: h >> (64 - TokenTable.filterBits))
                filter[f >> 6] |= 1 << UInt64(f & 63)
                var i = Int(truncatingIfNeeded: h) & mask
                while slots[i].id != TokenTable.empty {
                    let s = slots[i]
                    if s.key == k, Int(s.length) == length,
                       length <= 8 || memcmp(fb.baseAddress! + starts[Int(s.id)], p, length) == 0 {
                        throw TokenizerError.duplicateToken(
                            path: "<vocabulary>", token: String(decoding: fb[starts[id]..<starts[id + 1]], as: UTF8.self), id: id)
                    }
                    i = (i + 1) & mask
                }
                slots[i] = Slot(key: k, id: UInt32(id), length: UInt32(length))
            }
        }
        self.slots = slots
        self.mask = mask
        self.filter = filter
        self.bytes = flat
        self.starts = starts
    }

    /// A 64-bit key that, for length ≤ 8, is unique per byte string of that length.
    @inline(__always)
    static func key(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        if n >= 8 { return raw.loadUnaligned(as: UInt64.self) }
        if n >= 4 {
            let lo = UInt64(raw.loadUnaligned(as: UInt32.self))
            let hi = UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            return lo | hi << 32
        }
        return UInt64(p[0]) | UInt64(p[n >> 1]) << 8 | UInt64(p[n - 1]) << 16
    }

    @inline(__always)
    static func hash(_ key: UInt64, _ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h = key &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        if n > 8 {
            h ^= UnsafeRawPointer(p).loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) &* 0xC2B2_AE3D_27D4_EB4F
        }
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 29)
    }
}

/// Raw-pointer view of a `TokenTable` for hot loops; valid only inside `withView`.
struct TokenTableView {
    let slots: UnsafePointer<TokenTable.Slot>
    let mask: Int
    let filter: UnsafePointer<UInt64>
    let bytes: UnsafePointer<UInt8>
    let starts: UnsafePointer<Int>

    /// Id of the token whose bytes are `p[0..<n]`, or `TokenTable.empty`.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        let k = TokenTable.key(p, n)
        let h = TokenTable.hash(k, p, n)
        let f = Int(truncatingIfNeeded: h >> (64 - TokenTable.filterBits))
        if filter[f >> 6] & (1 << UInt64(f & 63)) == 0 { return TokenTable.empty }
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s.id == TokenTable.empty { return TokenTable.empty }
            if s.key == k, Int(s.length) == n,
               n <= 8 || memcmp(bytes + starts[Int(s.id)], p, n) == 0 {
                return s.id
            }
            i = (i + 1) & mask
        }
    }
}

extension TokenTable {
    @inline(__always)
    func withView<R>(_ body: (TokenTableView) throws -> R) rethrows -> R {
        try filter.withUnsafeBufferPointer { f in
        try slots.withUnsafeBufferPointer { s in
            try bytes.withUnsafeBufferPointer { b in
                try starts.withUnsafeBufferPointer { st in
                    // `bytes` may be empty for an empty vocabulary; a dangling base is never read.
                    try body(TokenTableView(slots: s.baseAddress!, mask: mask, filter: f.baseAddress!,
                                            bytes: b.baseAddress ?? UnsafePointer(bitPattern: 1)!,
                                            starts: st.baseAddress!))
                }
            }
        }
        }
    }
}
