import GPT2Support

/// Hugging Face's sharded layout: `<weights>.index.json` holds a `weight_map` from tensor name to
/// shard file in the same directory (`model.safetensors.index.json`,
/// `pytorch_model.bin.index.json`). Opens each listed shard once and checks that every tensor is
/// in exactly the shard the index names, and that every listed tensor is found.
enum ShardIndex {
    /// A tensor name found in a shard, with where it is (for the error).
    struct Entry {
        var name: String
        var offset: Int?
    }

    static func openShards<Shard>(index: String, dir: String, open: (String) throws -> Shard,
                                  path: (Shard) -> String, entries: (Shard) throws -> [Entry]) throws -> [Shard] {
        let json = try JSON.parse(fileAt: index, maxBytes: 64 << 20)
        guard let map = json["weight_map"]?.objectValue else {
            throw CheckpointError(.badJSON, file: index, "no weight_map object",
                                  hint: "\(Paths.fileName(of: index)) maps each tensor name to its shard file")
        }
        var shardOf: [String: String] = [:]
        for (tensor, v) in map {
            guard let shard = v.stringValue, Paths.isPlainFileName(shard) else {
                throw CheckpointError(.badJSON, file: index, "weight_map[\(tensor)] is not a file name in this directory")
            }
            shardOf[tensor] = shard
        }
        var files: [Shard] = []
        for shard in Set(shardOf.values).sorted() {
            let f = try open(Paths.join(dir, shard))
            for e in try entries(f) {
                guard let expected = shardOf[e.name] else {
                    throw CheckpointError(.unknownTensor, file: path(f), offset: e.offset,
                                          "\(e.name) is not listed in \(Paths.fileName(of: index))")
                }
                guard expected == shard else {
                    throw CheckpointError(.duplicateName, file: path(f), offset: e.offset,
                                          "\(e.name) is in \(shard) but the index puts it in \(expected)",
                                          hint: "a tensor name must be in exactly one shard")
                }
                shardOf[e.name] = nil
            }
            files.append(f)
        }
        if let missing = shardOf.keys.sorted().first {
            throw CheckpointError(.missingTensor, file: index,
                                  "\(missing) is listed but not found in its shard \(shardOf[missing]!)")
        }
        return files
    }
}
