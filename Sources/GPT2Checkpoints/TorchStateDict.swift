import GPT2ModelFile

/// The tensors of a torch state dict (`{name: tensor}` in a `TorchFile`) and how each becomes a
/// canonical `TensorSource` used in place from the mapping.
///
/// Layouts accepted for parameters: contiguous, and the 2-D transposed view (`w.t()`, strides
/// `[1, rows]`), whose bytes are a contiguous matrix too. Other strided views are refused
/// with a typed error: `torch.save` of `model.state_dict()` never produces them, and a gather
/// would defeat reading in place (the generic `TorchFile.load` still materialises any view).
struct TorchStateDict {
    struct Item {
        var key: String
        var tensor: TorchTensorRef
    }

    let file: TorchFile
    /// Tensor entries in pickle order (non-tensor entries are not kept).
    let items: [Item]

    /// `dict` must be a dict from strings to tensors; `what` names it in errors.
    init(_ dict: PickleValue, in file: TorchFile, what: String) throws {
        self.file = file
        guard let entries = dict.asDict else {
            throw CheckpointError(.corrupt, file: file.path, "\(what) is a \(dict.kindName), expected a dict of tensors",
                                  hint: "expected a state dict saved with torch.save(model.state_dict(), ...)")
        }
        var items: [Item] = []
        items.reserveCapacity(entries.count)
        for e in entries {
            guard let key = e.key.asString else {
                throw CheckpointError(.corrupt, file: file.path, "\(what) has a non-string key (\(e.key.kindName))")
            }
            guard TorchTensorRef.isTensor(e.value) else {
                throw CheckpointError(.corrupt, file: file.path, "\(what)[\(key)] is a \(e.value.kindName), not a tensor",
                                      hint: "expected a state dict saved with torch.save(model.state_dict(), ...)")
            }
            items.append(Item(key: key, tensor: try file.tensor(e.value, name: key)))
        }
        self.items = items
    }

    /// Float tensors as stored (buffers of other dtypes, e.g. the bool causal mask, are left out).
    var sourceInfos: [SourceTensorInfo] {
        items.compactMap { i in
            guard let type = i.tensor.storage.type.elementType else { return nil }
            return SourceTensorInfo(name: i.key, shape: i.tensor.shape, type: type,
                                    offset: file.start(of: i.tensor), file: file.path)
        }
    }

    /// A canonical tensor from a stored one. `transposed`: the stored `[a, b]` is canonical
    /// `[b, a]` (HF Conv1D). `keepRows`: keep only the first rows (vocabulary padding).
    func source(_ item: Item, canonical name: String, transposed: Bool, keepRows: Int? = nil) throws -> TensorSource {
        let t = item.tensor
        guard let type = t.storage.type.elementType else {
            throw CheckpointError(.unsupportedDType, file: file.path, offset: file.start(of: t),
                                  "\(item.key) is \(t.storage.type.dtypeName); parameters must be float32, float16 or bfloat16",
                                  hint: "convert the checkpoint with model.float() before saving")
        }
        let size = t.storage.type.elementSize
        let start = file.start(of: t)
        // A 2-D view whose strides are [1, rows]: contiguous bytes of the [cols, rows] transpose.
        let transposedView = t.shape.count == 2 && !t.isContiguous && t.stride == [1, t.shape[0]]
        guard t.isContiguous || transposedView else {
            throw CheckpointError(.unsupported, file: file.path, offset: start,
                                  "\(item.key): non-contiguous tensor (size \(t.shape), stride \(t.stride))",
                                  hint: "save a copy with every tensor .contiguous()")
        }
        // Both layouts are one block of `count` elements, which TorchFile.tensor checked lies
        // inside the stored bytes, so this cannot overflow.
        let range = start..<(start + t.count * size)
        // A tensor that is its whole zip member (every parameter but a tied one) gets the
        // member's CRC-32 checked on load, as the TF reader checks crc32c: a flipped bit in a
        // storage is an error, not a silently different model.
        var verify: (@Sendable (UnsafeRawBufferPointer) throws -> Void)?
        if let crc = file.storageCRC[t.storage.key], file.storages[t.storage.key] == range {
            let (path, key) = (file.path, item.key)
            verify = { bytes in
                let found = CRC32.checksum(bytes)
                guard found == crc else {
                    throw CheckpointError(.checksumMismatch, file: path, offset: range.lowerBound,
                                          "\(key): storage CRC-32 \(String(found, radix: 16)), the zip directory says \(String(crc, radix: 16))",
                                          hint: "the file is corrupt; download it again")
                }
            }
        }
        if let keep = keepRows {
            guard t.shape.count == 2, t.isContiguous, keep <= t.shape[0] else {
                throw CheckpointError(.shapeMismatch, file: file.path, offset: start,
                                      "\(item.key): cannot keep \(keep) rows of \(t.shape)")
            }
            return TensorSource(info: CanonicalTensorInfo(name: name, shape: [keep, t.shape[1]], type: type),
                                file: file.file, range: range, transform: .leadingRows(rows: keep, cols: t.shape[1]), verify: verify)
        }
        if transposed {
            guard t.shape.count == 2 else {
                throw CheckpointError(.shapeMismatch, file: file.path, offset: start,
                                      "\(item.key): Conv1D weight has shape \(t.shape), expected [in, out]")
            }
            let shape = [t.shape[1], t.shape[0]]
            // A transposed view of an [out, in] matrix is already canonical bytes.
            let transform: TensorSource.Transform = transposedView ? .none : .transpose(rows: t.shape[0], cols: t.shape[1])
            return TensorSource(info: CanonicalTensorInfo(name: name, shape: shape, type: type),
                                file: file.file, range: range, transform: transform, verify: verify)
        }
        let transform: TensorSource.Transform = transposedView ? .transpose(rows: t.shape[1], cols: t.shape[0]) : .none
        return TensorSource(info: CanonicalTensorInfo(name: name, shape: t.shape, type: type),
                            file: file.file, range: range, transform: transform, verify: verify)
    }

    /// Same storage, offset, size and stride: one tensor saved under two names (a tied head).
    static func sameData(_ a: TorchTensorRef, _ b: TorchTensorRef) -> Bool {
        a.storage.key == b.storage.key && a.storage.viewOffset == b.storage.viewOffset
            && a.offset == b.offset && a.shape == b.shape && a.stride == b.stride
    }
}
