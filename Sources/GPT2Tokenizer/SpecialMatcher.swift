#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds special-token text (`<|endoftext|>`) in UTF-8 bytes: the leftmost occurrence of any of
/// a few names, the longest one when several start at the same byte. A 256-entry first-byte
/// filter keeps the scan at about one table load per byte.
struct SpecialMatcher {
    struct Match {
        let name: String
        let start: Int
        let length: Int
    }

    private let names: [(name: String, bytes: [UInt8])]
    private var firstByte = [Bool](repeating: false, count: 256)
    /// The first byte all names share (`<` for `<|endoftext|>`): candidates are then found with
    /// memchr, which passes over text without it many bytes at a time.
    private let sharedFirstByte: UInt8?

    init(names: Set<String>) {
        self.names = names.map { ($0, Array($0.utf8)) }
            .filter { !$0.bytes.isEmpty }
            .sorted { $0.bytes.count > $1.bytes.count }   // longest first
        for n in self.names { firstByte[Int(n.bytes[0])] = true }
        let firsts = Set(self.names.map { $0.bytes[0] })
        sharedFirstByte = firsts.count == 1 ? firsts.first : nil
    }

    func firstMatch(in buf: UnsafeBufferPointer<UInt8>, from: Int) -> Match? {
        var i = from
        let n = buf.count
        while i < n {
            if let b = sharedFirstByte {
                guard let hit = memchr(buf.baseAddress! + i, Int32(b), n - i) else { return nil }
                i = buf.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            if firstByte[Int(buf[i])] {
                for candidate in names where candidate.bytes.count <= n - i {
                    var equal = true
                    for k in 0..<candidate.bytes.count where buf[i + k] != candidate.bytes[k] {
                        equal = false
                        break
                    }
                    if equal { return Match(name: candidate.name, start: i, length: candidate.bytes.count) }
                }
            }
            i += 1
        }
        return nil
    }
}
