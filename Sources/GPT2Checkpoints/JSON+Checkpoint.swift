import GPT2Support

// The checkpoint readers' JSON is `GPT2Support.JSON` (document-order objects, int/double kept
// apart), parsed here with the readers' rules and turned into their errors.

extension JSON {
    /// Parses a whole document; only whitespace may follow it (safetensors pads with spaces).
    /// Duplicate keys at the top level are refused (json-c silently keeps the last one; a
    /// safetensors header with two entries of one name must be refused, not half-read).
    /// `origin` is the file offset of `bytes[0]`, for error offsets.
    static func parse(_ bytes: UnsafeRawBufferPointer, file: String, origin: Int = 0,
                             maxDepth: Int32 = 64) throws -> JSON {
        let options = JSONParseOptions(maxDepth: maxDepth, rejectDuplicateTopLevelKeys: true)
        do {
            return try parse(bytes, options: options)
        } catch {
            let at = origin + error.offset
            switch error.kind {
            case .outOfMemory:
                throw CheckpointError(.io, file: file, offset: origin, "json-c: out of memory")
            case .tooLarge:
                throw CheckpointError(.headerTooLarge, file: file, offset: origin,
                                      "JSON of \(bytes.count) bytes is larger than json-c accepts")
            case .unexpectedEnd:
                throw CheckpointError(.badJSON, file: file, offset: at, "invalid JSON: unexpected end of JSON",
                                      hint: "the file is truncated or not JSON")
            case .syntax(let why):
                throw CheckpointError(.badJSON, file: file, offset: at, "invalid JSON: \(why)",
                                      hint: "the file is truncated or not JSON")
            case .trailing(let b):
                throw CheckpointError(.badJSON, file: file, offset: at,
                                      "unexpected byte 0x\(String(b, radix: 16)) after the JSON value")
            case .duplicateKey(let dup):
                throw CheckpointError(.duplicateName, file: file, offset: origin,
                                      "key \"\(dup)\" occurs more than once",
                                      hint: "every tensor name must be unique")
            }
        }
    }

    static func parse(_ bytes: [UInt8], file: String, origin: Int = 0) throws -> JSON {
        try bytes.withUnsafeBytes { try parse($0, file: file, origin: origin) }
    }

    /// Reads and parses a small JSON file (config.json, hparams.json, index.json).
    static func parse(fileAt path: String, maxBytes: Int = 64 << 20) throws -> JSON {
        let f = try MappedFile.checkpoint(path)
        guard f.count <= maxBytes else {
            throw CheckpointError(.headerTooLarge, file: path, "\(f.count) bytes, more than \(maxBytes) allowed for this JSON file")
        }
        return try f.withUnsafeBytes { b throws in try parse(b, file: path) }
    }
}
