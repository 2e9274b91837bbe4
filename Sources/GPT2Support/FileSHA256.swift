#if canImport(Glibc)
import Glibc
#endif
import Crypto

/// SHA-256 of files and bytes (lowercase hex), for the provenance record of converted models.
///
/// Through swift-crypto (BoringSSL on Linux), which uses the CPU's SHA extensions where
/// present: ~2 GB/s where a hand-written scalar version ran at ~300 MB/s, so hashing a 124M
/// checkpoint on the second core does not outlast the conversion on the first.
public enum FileSHA256 {
    /// Why a file could not be hashed (each module turns this into its own typed error).
    public struct Failure: Error, Sendable, Equatable {
        /// The call that failed.
        public enum Step: Sendable, Equatable { case open, read }
        /// The path as given.
        public let path: String
        /// The call that failed.
        public let step: Step
        /// Bytes hashed before the failure.
        public let offset: Int
        /// `errno` of the failing call.
        public let code: Int32
        /// `strerror` of `code`.
        public var reason: String { String(cString: strerror(code)) }
    }

    /// 1 MiB reads: big enough that the syscall cost vanishes, small enough to stay in L2.
    static let readSize = 1 << 20

    /// Lowercase hex SHA-256 of the file at `path`, read in pieces (never whole in memory).
    public static func hexDigest(ofFile path: String) throws(Failure) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, step: .open, offset: 0, code: errno) }
        defer { close(fd) }
        var hasher = SHA256()
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 64)
        defer { buf.deallocate() }
        var offset = 0
        while true {
            let n = read(fd, buf.baseAddress, buf.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Failure(path: path, step: .read, offset: offset, code: errno) }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buf[0..<n]))
            offset += n
        }
        return hex(hasher.finalize())
    }

    /// Lowercase hex SHA-256 of bytes in memory.
    public static func hexDigest(of bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
