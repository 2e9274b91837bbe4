import GPT2ModelFile

/// How one tensor of a written file compares with its source.
public struct VerifiedTensor: Sendable, Equatable {
    /// Canonical tensor name.
    public var name: String
    /// Element type in the written file.
    public var type: ElementType
    /// The file holds exactly the bytes the conversion should give (the source's own bytes when
    /// the type is unchanged).
    public var bitExact: Bool
    /// Largest |file value − source value| (0 for lossless tensors).
    public var maxAbsError: Float
}

extension Converter {
    /// Reopens `path` and compares every tensor, the hyperparameters and the tokenizer with the
    /// checkpoint. Every checksum is checked on the way. Throws on the first difference that
    /// is not a lossy conversion's rounding.
    public static func verify(_ checkpoint: any Checkpoint, modelFile path: String,
                              options: ConvertOptions) throws -> [VerifiedTensor] {
        let file = try ModelFile(path: path)
        func differ(_ what: String, _ hint: String = "the written file does not match the source") -> CheckpointError {
            CheckpointError(.checksumMismatch, file: path, "verify: \(what)", hint: hint)
        }
        guard file.config == checkpoint.config else {
            throw differ("hyperparameters \(file.config.map { "\($0)" } ?? "none (not gpt2)") != source \(checkpoint.config)")
        }
        guard file.vocabulary == checkpoint.vocabulary else { throw differ("the embedded tokenizer differs from the source's") }
        let planned = plan(checkpoint, options: options)
        guard file.tensors.map(\.name) == planned.map(\.name) else {
            throw differ("tensor names \(file.tensors.map(\.name)) != \(planned.map(\.name))")
        }
        try file.verifyAll(threads: options.threads)
        var out: [VerifiedTensor] = []
        for p in planned {
            let source = try checkpoint.load(p.name)
            let expected = ConverterDType.convert(source, to: p.targetType)
            let got = try file.tensorData(p.name)
            guard got.shape == p.shape, got.type == p.targetType else {
                throw differ("\(p.name) is \(got.type.rawValue) \(got.shape), expected \(p.targetType.rawValue) \(p.shape)")
            }
            guard got.bytes == expected.bytes else { throw differ("\(p.name): bytes differ from the converted source") }
            var maxErr: Float = 0
            if p.targetType != p.sourceType {
                let a = ConverterDType.floats(got), b = ConverterDType.floats(source)
                for i in a.indices { maxErr = max(maxErr, abs(a[i] - b[i])) }
            }
            out.append(VerifiedTensor(name: p.name, type: p.targetType, bitExact: true, maxAbsError: maxErr))
        }
        return out
    }
}
