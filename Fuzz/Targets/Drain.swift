@testable import GPT2Checkpoints

/// What a converter does with an opened checkpoint: list the stored tensors and load every
/// canonical one (data reads, transposes, CRC checks).
func drain(_ c: any Checkpoint) throws {
    _ = c.sourceTensors
    for t in c.tensors { _ = try c.load(t.name) }
}

/// Loads every tensor record found in a torch pickle tree (any nesting), as `inspect` would
/// for an unknown torch.save file.
func drainTensors(_ v: PickleValue, in file: TorchFile, depth: Int = 0) throws {
    guard depth < 300 else { return }
    if TorchTensorRef.isTensor(v) {
        let t = try TorchTensorRef.parse(v, name: "t", file: file.path)
        _ = try file.load(t, name: "t")
        return
    }
    switch v {
    case .tuple(let xs), .list(let xs), .set(let xs):
        for x in xs { try drainTensors(x, in: file, depth: depth + 1) }
    case .dict(let es):
        for e in es { try drainTensors(e.value, in: file, depth: depth + 1) }
    case .persistent(let x):
        try drainTensors(x, in: file, depth: depth + 1)
    default:
        break
    }
}
