import GPT2Support
/// torch.save's legacy layout (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`), per
/// `torch/serialization.py` `_legacy_save`: five pickles back to back, then the storages.
///   1. the magic number 0x1950a86a20f9469cfc6c (LONG1)
///   2. the protocol version, 1001
///   3. sys_info: `{'protocol_version': 1001, 'little_endian': True, 'type_sizes': {...}}`
///   4. the object; storages are persistent ids
///      `('storage', torch.FloatStorage, key, location, numel, view_metadata)`, where
///      view_metadata is None or `(view_key, offset, view_numel)`
///   5. the list of storage keys, in the order their data follows
/// then per key: an int64 element count and count × element size raw bytes (little-endian
/// when sys_info says so). Storages are used in place from the mapping, like the zip layout.
struct TorchLegacyFile {
    let root: PickleValue
    let storages: [String: Range<Int>]

    /// 0x1950a86a20f9469cfc6c as LONG1's little-endian two's complement bytes.
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion = 1001

    /// Whether the file starts with the legacy magic pickle (PROTO 2, LONG1 of 10 bytes).
    static func hasMagic(_ file: MappedFile) -> Bool {
        guard let head = try? file.bytes(at: 0, count: 14) else { return false }
        return head[0] == 0x80 && head[2] == 0x8A && head[3] == 10 && Array(head[4..<14]) == magic
    }

    init(file: MappedFile) throws {
        let path = file.path
        guard Self.hasMagic(file) else {
            throw CheckpointError(.badMagic, file: path, offset: 0,
                                  "neither a zip archive nor torch's legacy magic number",
                                  hint: "not a torch.save file (or a pre-0.4 tar checkpoint, which is not supported)")
        }
        var pos = 0
        func next() throws -> PickleValue {
            try TorchFile.unpickle(path) {
                try file.withUnsafeBytes { b in
                    let (v, end) = try PickleReader.read(b, at: pos, policy: TorchFile.policy)
                    pos = end
                    return v
                }
            }
        }
        _ = try next()   // the magic number, checked above
        let protoAt = pos
        guard try next() == .int(Self.protocolVersion) else {
            throw CheckpointError(.unsupportedVersion, file: path, offset: protoAt,
                                  "legacy protocol version is not \(Self.protocolVersion)",
                                  hint: "a torch.save file from an unknown PyTorch version")
        }
        let infoAt = pos
        let info = try next()
        guard info["little_endian"] == .bool(true) else {
            throw CheckpointError(.unsupported, file: path, offset: infoAt, "storages are big-endian (sys_info little_endian is not True)",
                                  hint: "re-save the checkpoint on a little-endian machine")
        }
        root = try next()
        let keysAt = pos
        guard let keyValues = try next().asSequence else {
            throw CheckpointError(.corrupt, file: path, offset: keysAt, "the storage key list is not a list")
        }
        // Element type and count of each storage, from the persistent ids in the object.
        var declared: [String: (type: TorchStorageType, numel: Int)] = [:]
        try Self.forEachPersistentID(root) { pid in
            guard let t = pid.asSequence, t.count >= 5, let key = t[2].asString, let numel = t[4].asInt, numel >= 0,
                  case .global(let g) = t[1], let type = TorchStorageType(rawValue: g.name) else {
                throw CheckpointError(.corrupt, file: path, "malformed storage persistent id \(pid.kindName)")
            }
            if let d = declared[key], d.type != type || d.numel != numel {
                throw CheckpointError(.corrupt, file: path, "storage \(key) declared as both \(d.type.rawValue)[\(d.numel)] and \(type.rawValue)[\(numel)]")
            }
            declared[key] = (type, numel)
        }
        var r = file.reader()
        try r.seek(to: pos)
        var storages: [String: Range<Int>] = [:]
        for kv in keyValues {
            let at = r.position
            guard let key = kv.asString, storages[key] == nil else {
                throw CheckpointError(.corrupt, file: path, offset: keysAt, "storage key list has a non-string or repeated key")
            }
            guard let d = declared[key] else {
                throw CheckpointError(.corrupt, file: path, offset: at, "storage \(key) is listed but no tensor uses it")
            }
            let numel = try r.u64AsInt("storage \(key) element count")
            guard numel == d.numel else {
                throw CheckpointError(.shapeMismatch, file: path, offset: at,
                                      "storage \(key) has \(numel) elements, the pickle says \(d.numel)",
                                      hint: "the file is corrupt")
            }
            let (bytes, overflow) = numel.multipliedReportingOverflow(by: d.type.elementSize)
            guard !overflow, bytes <= r.remaining else {
                throw CheckpointError(.truncated, file: path, offset: r.position,
                                      "storage \(key): \(numel) × \(d.type.elementSize) bytes, \(r.remaining) left",
                                      hint: "the file is truncated; download it again")
            }
            storages[key] = r.position..<(r.position + bytes)
            try r.skip(bytes)
        }
        self.storages = storages
    }

    /// Calls `body` with every persistent id in the tree (depth already bounded by the reader).
    static func forEachPersistentID(_ v: PickleValue, _ body: (PickleValue) throws -> Void) rethrows {
        switch v {
        case .persistent(let pid): try body(pid)
        case .tuple(let xs), .list(let xs), .set(let xs): for x in xs { try forEachPersistentID(x, body) }
        case .dict(let es):
            for e in es {
                try forEachPersistentID(e.key, body)
                try forEachPersistentID(e.value, body)
            }
        case .object(let o):
            for a in o.args { try forEachPersistentID(a, body) }
            if let s = o.state { try forEachPersistentID(s, body) }
        default: break
        }
    }
}
