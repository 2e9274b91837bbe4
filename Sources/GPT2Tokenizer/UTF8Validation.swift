extension Tokenizer {
    /// Offset of the first byte that does not start a well-formed UTF-8 sequence (the
    /// encoder's rule, `UTF8Scalar`), or nil when all of `bytes` is valid. Lets a caller that
    /// holds bytes check them in place instead of copying them into a String. ASCII is skipped
    /// 8 bytes at a time.
    public static func firstInvalidUTF8(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let p = bytes.baseAddress else { return nil }
        let n = bytes.count
        var i = 0
        while i < n {
            if i + 8 <= n, UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let (scalar, length) = UTF8Scalar.decode(p, i, n)
            if scalar == nil { return i }
            i += length
        }
        return nil
    }
}
