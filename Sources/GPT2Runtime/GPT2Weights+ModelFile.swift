import GPT2ModelFile

extension GPT2Weights {
    /// The weights of an opened model file. Raw tensors are used in place in the file mapping
    /// (zero copy: loading a 124M f32 model touches no weight page, the first forward pass
    /// faults them in from the page cache); compressed tensors are decoded first, tensors split
    /// across `threads` cores, into memory the `ModelFile` owns. The weights keep the file open.
    public convenience init(modelFile file: ModelFile, threads: Int = 2) throws {
        if file.tensors.contains(where: { $0.codec != .raw }) {
            try file.decodeAll(threads: max(1, threads))
        }
        try self.init(config: file.config, keepAlive: file) { name in
            guard file.info(name) != nil else { throw RuntimeError.missingTensor(name) }
            // The view's bytes stay valid after the closure: they are the mapping or decoded
            // memory, both owned by `file` until it deinitializes, and `self` keeps it alive.
            return try file.withTensor(name) { v in
                .borrowed(shape: v.info.shape, type: v.info.type, bytes: v.bytes)
            }
        }
    }

    /// Opens the model file at `path` and builds its weights.
    public convenience init(path: String, threads: Int = 2) throws {
        try self.init(modelFile: try ModelFile(path: path), threads: threads)
    }
}
