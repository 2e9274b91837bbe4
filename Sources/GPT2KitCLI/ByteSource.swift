import Glibc

/// One input of `tokenize` / `detokenize`: a file, or standard input for nil or "-". Read in
/// chunks with `read()`, so inputs of any size stream through bounded memory. Owns the file
/// descriptor and a scratch buffer, both released in `deinit`.
final class ByteSource {
    let name: String
    private let fd: Int32
    private let owned: Bool
    /// `read()` lands here, then only the bytes read are appended to the caller's array (which
    /// saves zero-filling a large buffer for a small input: `echo hello` reads 6 bytes).
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
    /// The text of `-p` (no file descriptor), handed out by `read` from `textOffset` on.
    private let text: [UInt8]?
    private var textOffset = 0

    /// `tokenize -p TEXT`: the text itself as the input.
    init(text: String) {
        self.text = Array(text.utf8)
        fd = -1; owned = false; name = "-p"
    }

    init(path: String?) throws {
        text = nil
        guard let path, path != "-" else {
            fd = 0; owned = false; name = "standard input"
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else {
            scratch.deallocate()
            throw TokenIOError.cannotOpen(path: path, errno: errno)
        }
        fd = opened; owned = true; name = path
    }

    deinit {
        if owned { close(fd) }
        scratch.deallocate()
    }

    /// Appends up to `count` bytes (at most 256 KiB) to `buffer`; returns how many, 0 at the end.
    func read(appendingTo buffer: inout [UInt8], count: Int) throws -> Int {
        if let text {
            let n = min(count, text.count - textOffset)
            buffer.append(contentsOf: text[textOffset ..< textOffset + n])
            textOffset += n
            return n
        }
        while true {
            let n = Glibc.read(fd, scratch.baseAddress!, min(count, scratch.count))
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw TokenIOError.cannotOpen(path: name, errno: errno) }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<n]))
            return n
        }
    }

    /// Bytes left to read when the input is a regular file (its size less what was read), nil
    /// for a pipe or terminal. A stretch without a cut point is read into one buffer of this
    /// size instead of one that doubles (each doubling copies and touches fresh pages).
    func remainingBytes() -> Int? {
        if let text { return text.count - textOffset }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        let at = lseek(fd, 0, SEEK_CUR)
        return at < 0 ? nil : max(0, Int(st.st_size) - Int(at))
    }

    /// Reads until `buffer` holds at least `target` bytes or the input ends; true at the end.
    func fill(_ buffer: inout [UInt8], to target: Int) throws -> Bool {
        while buffer.count < target {
            if try read(appendingTo: &buffer, count: target - buffer.count) == 0 { return true }
        }
        return false
    }
}
