#if canImport(Glibc)
import Glibc
#endif
import GPT2Kernels
import GPT2ModelFile

extension GPT2Weights {
    /// The weights of an opened model file. Raw tensors are used in place in the file mapping
    /// (zero copy: loading a 124M f32 model touches no weight page, the first forward pass
    /// faults them in from the page cache); compressed tensors are decoded first, tensors split
    /// across `threads` cores, into memory the `ModelFile` owns. The weights keep the file open.
    public convenience init(modelFile file: ModelFile, threads: Int = 2, kernels: Kernels = .selected) throws {
        guard let config = file.config else {
            throw ModelFileError(.unsupportedArchitecture, file: file.path, expected: "architecture \"gpt2\"",
                                 found: "\"\(file.metadata.architecture)\"",
                                 hint: file.metadata.architecture == BigramLayout.architecture
                                     ? "a bigram model file: open it with BigramLanguageModel (TextModel and the CLI do)"
                                     : "this GPT2Kit runs GPT-2 and bigram models only")
        }
        if file.tensors.contains(where: { $0.codec != .raw }) {
            try file.decodeAll(threads: max(1, threads))
        }
        try self.init(config: config, keepAlive: file, threads: threads, kernels: kernels) { name in
            guard file.info(name) != nil else { throw RuntimeError.missingTensor(name) }
            // The view's bytes stay valid after the closure: they are the mapping or decoded
            // memory, both owned by `file` until it deinitializes, and `self` keeps it alive.
            return try file.withTensor(name) { v in
                // Populated as each tensor is handed over, before the q8_0 repacking reads it:
                // populating after it made the repacking take the page faults (~30 ms of a
                // 124M q8_0 load).
                if v.isMapped { Self.populate([v.bytes]) }
                return .borrowed(shape: v.info.shape, type: v.info.type, bytes: v.bytes)
            }
        }
    }

    /// Maps the pages of the raw tensors into this process now, in one system call per tensor
    /// (MADV_POPULATE_READ, Linux 5.14), instead of one page fault per 4 KiB page during the
    /// first forward pass: for a 124M f32 model in the page cache that first pass otherwise
    /// spends ~120k faults. Pages not in the page cache are read here, so a cold start pays
    /// the disk read at load time rather than in the first token. Errors (older kernels) are
    /// ignored: the pages then fault in as before.
    static func populate(_ ranges: [UnsafeRawBufferPointer]) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        for r in ranges where r.count > 0 {
            let start = Int(bitPattern: r.baseAddress!) & ~(page - 1)
            let end = Int(bitPattern: r.baseAddress!) + r.count
            _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, 22 /* MADV_POPULATE_READ */)
        }
    }

    /// Opens the model file at `path` and builds its weights.
    public convenience init(path: String, threads: Int = 2, kernels: Kernels = .selected) throws {
        try self.init(modelFile: try ModelFile(path: path), threads: threads, kernels: kernels)
    }
}
