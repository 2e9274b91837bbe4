#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole (small) vocabulary file with `open`/`read` into an array: a 1 MB encoder.json
/// reads in ~0.1 ms, and Foundation (which would cost process start-up time) is not needed.
enum FileBytes {
    /// Files larger than this are refused before allocating (vocabularies are a few MB).
    static let maxSize = 1 << 30

    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TokenizerError.cannotRead(path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TokenizerError.cannotRead(path: path, errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw TokenizerError.cannotRead(path: path, errno: EISDIR)
        }
        let size = Int(st.st_size)
        guard size <= maxSize else {
            throw TokenizerError.malformed(path: path, offset: 0, expected: "at most \(maxSize) bytes",
                                           found: "\(size) bytes")
        }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, initialized in
            var done = 0
            while done < size {
                let got = Glibc.read(fd, buf.baseAddress! + done, size - done)
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if got == 0 { break }   // file shrank while reading
                done += got
            }
            initialized = done
        }
        if failure != 0 { throw TokenizerError.cannotRead(path: path, errno: failure) }
        return bytes
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }
}
