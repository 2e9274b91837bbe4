/// Parses a JSON object whose values are all non-negative integers — OpenAI's encoder.json
/// (and Hugging Face's vocab.json) — straight from bytes: ~1 MB in a few milliseconds, where a
/// general JSON library builds a tree first. Strict: anything else is a `malformed` error with
/// the byte offset, what was expected and what was found (RFC 8259 grammar for this subset).
struct StringIDObjectParser {
    let path: String
    let bytes: [UInt8]
    private var i = 0
    /// `bytes`' storage during `parse` (reads through it skip the array's checks and retains:
    /// the 1 MB encoder.json parses in ~3 ms instead of ~5).
    private var p = UnsafePointer<UInt8>(bitPattern: 1)!

    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// Calls `entry(keyScalars, id, keyOffset)` for every member in file order. Key scalars are
    /// the decoded Unicode scalars of the key (escapes resolved).
    mutating func parse(_ entry: (_ key: [UInt32], _ id: Int, _ offset: Int) throws -> Void) throws {
        let storage = bytes
        try storage.withUnsafeBufferPointer { buf in
            if let base = buf.baseAddress { p = base }
            try parseObject(entry)
        }
    }

    private mutating func parseObject(_ entry: (_ key: [UInt32], _ id: Int, _ offset: Int) throws -> Void) throws {
        skipSpace()
        try expect(UInt8(ascii: "{"), "'{' opening the object")
        skipSpace()
        if peek() == UInt8(ascii: "}") { i += 1 } else {
            var key: [UInt32] = []
            while true {
                skipSpace()
                let keyOffset = i
                try parseString(into: &key)
                skipSpace()
                try expect(UInt8(ascii: ":"), "':' after a key")
                skipSpace()
                let id = try parseID()
                try entry(key, id, keyOffset)
                skipSpace()
                if peek() == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}' after a value")
                break
            }
        }
        skipSpace()
        if i < bytes.count { throw fail("end of file after the object") }
    }

    @inline(__always)
    private func peek() -> UInt8? { i < bytes.count ? p[i] : nil }

    private func fail(_ expected: String) -> TokenizerError {
        let found: String
        if i >= bytes.count {
            found = "end of file"
        } else {
            let b = bytes[i]
            found = (0x20..<0x7F).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
        }
        return .malformed(path: path, offset: i, expected: expected, found: found)
    }

    private mutating func expect(_ b: UInt8, _ what: String) throws {
        guard peek() == b else { throw fail(what) }
        i += 1
    }

    private mutating func skipSpace() {
        let n = bytes.count
        while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 {
            i += 1
        }
    }

    private mutating func parseID() throws -> Int {
        let start = i
        var value = 0
        while let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
            if i > start, p[start] == UInt8(ascii: "0") { throw fail("no leading zeros in an id") }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
            guard !o1, !o2, s <= Int(Int32.max) else { i = start; throw fail("an id below 2^31") }
            value = s
            i += 1
        }
        if i == start { throw fail("a non-negative integer id") }
        if let b = peek(), b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            throw fail("an integer id")
        }
        return value
    }

    private mutating func hex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let b = peek() else { throw fail("4 hex digits after \\u") }
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A")) + 10
            default: throw fail("4 hex digits after \\u")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func parseString(into out: inout [UInt32]) throws {
        out.removeAll(keepingCapacity: true)
        try expect(UInt8(ascii: "\""), "'\"' opening a key")
        let n = bytes.count
        while true {
            guard i < n else { throw fail("'\"' closing the key") }
            let b = p[i]
            if b == UInt8(ascii: "\"") { i += 1; return }
            if b < 0x20 { throw fail("no raw control characters in a string") }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard let e = peek() else { throw fail("an escape after '\\'") }
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if (0xD800...0xDBFF).contains(v) {
                        guard i + 1 < n, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else {
                            throw fail("a low surrogate \\uDC00-\\uDFFF after a high surrogate")
                        }
                        i += 2
                        let lo = try hex4()
                        guard (0xDC00...0xDFFF).contains(lo) else {
                            i -= 4
                            throw fail("a low surrogate \\uDC00-\\uDFFF after a high surrogate")
                        }
                        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(v) {
                        i -= 4
                        throw fail("no lone low surrogate")
                    }
                    out.append(v)
                default:
                    i -= 1
                    throw fail("a JSON escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                }
                continue
            }
            if b < 0x80 {
                out.append(UInt32(b))
                i += 1
                continue
            }
            let (scalar, length) = UTF8Scalar.decode(p, i, n)
            guard let scalar else { throw fail("valid UTF-8 in a string") }
            out.append(scalar)
            i += length
        }
    }
}
