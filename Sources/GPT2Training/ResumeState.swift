import GPT2ModelFile
import GPT2Support

/// Everything a run needs to continue exactly where it stopped (`--resume`): the options, the
/// step, the batch sampler's draw count, the dropout generator, AdamW's step count and both
/// moments, the current parameters (the model file holds the best ones, which may be older),
/// the best validation loss and the loss history.
///
/// File layout (little-endian): "G2KRSM01", UInt64 length of a JSON header, the header
/// (`Header.json`: keys named as the properties, sorted), zero padding to a multiple of 4, then
/// per parameter in the header's order its values, first moments and second moments as f32,
/// then the CRC-32C of every byte before it (UInt32).
public struct ResumeState {
    /// The JSON header of a resume file: the run's options and counters and the parameter list.
    public struct Header: Sendable, Equatable {
        /// The options of the run (a resumed run must not change the model's shape).
        public var options: TrainingOptions
        /// "gpt2" or "bigram".
        public var architecture: String
        /// The model's hyperparameters.
        public var config: GPT2Config
        /// The tokenizer the data was encoded with ("gpt2", "char", ...).
        public var tokenizer: String
        /// Vocabulary size of that tokenizer.
        public var vocabularySize: Int
        /// Optimiser steps done.
        public var step: Int
        /// Training windows drawn by the batch sampler.
        public var samplerDrawn: UInt64
        /// State of the dropout generator.
        public var dropoutState: UInt64
        /// AdamW's update count (its bias corrections depend on it).
        public var optimizerSteps: Int
        /// Best validation loss so far (the model file holds those weights).
        public var bestValidationLoss: Float?
        /// Every evaluation so far.
        public var history: [EvalRecord]
        /// The parameters stored after the header, in order.
        public var parameters: [Entry]
        /// The `--init-from` model the run started from, if any.
        public var initFrom: String?
    }

    /// One stored parameter: its name and float count.
    public struct Entry: Sendable, Equatable {
        /// Canonical tensor name.
        public var name: String
        /// Number of floats (values, then as many of each moment).
        public var count: Int
    }

    static let magic: [UInt8] = Array("G2KRSM01".utf8)

    /// `FILE.resume` for the model file `FILE`.
    public static func path(forModel model: String) -> String { model + ".resume" }

    /// Writes the state of `model` and `optimizer` atomically to `path`.
    static func write(_ header: Header, model: TrainableModel, optimizer: AdamW, to path: String) throws {
        let json = header.json.serialized()   // sorted keys: the same state gives the same bytes
        let out = try AtomicFile.training(path: path)
        var crc = CRC32C()
        func put(_ b: UnsafeRawBufferPointer) throws { crc.update(b); try out.write(b) }
        var head = ByteWriter()
        head.raw(magic)
        head.u64(UInt64(json.count))
        head.raw(json)
        head.raw(repeatElement(0, count: (4 - head.bytes.count % 4) % 4))
        try head.bytes.withUnsafeBytes { try put($0) }
        for (i, p) in model.parameters.enumerated() {
            try put(UnsafeRawBufferPointer(start: p.values, count: p.count * 4))
            try put(UnsafeRawBufferPointer(optimizer.firstMoments[i]))
            try put(UnsafeRawBufferPointer(optimizer.secondMoments[i]))
        }
        var tail = ByteWriter()
        tail.u32(crc.value)
        try out.write(tail.bytes)
        try out.commit()
    }

    /// A state read back: the header and the file, whose floats `restore` copies.
    public let header: Header
    let file: MappedFile
    let dataOffset: Int

    /// Reads and checks a resume file (magic, sizes, CRC-32C); throws `TrainingError.badResumeState`.
    public init(path: String) throws {
        func bad(_ what: String) -> TrainingError {
            TrainingError(.badResumeState, "\(path): \(what)", hint: "start the run again without --resume (the file is damaged or not a resume state)")
        }
        do { file = try MappedFile(path: path) } catch {
            throw TrainingError(.badResumeState, "\(path): cannot read the resume state: \(error)",
                                hint: "--resume continues the run whose -o FILE wrote FILE.resume; train without --resume first")
        }
        let (h, offset): (Header, Int) = try file.withUnsafeBytes { b in
            guard b.count >= 20 else { throw bad("not a resume state (no G2KRSM01 magic)") }
            var r = ByteReader(b, file: path)
            let magic: [UInt8], length: UInt64, stored: UInt32
            do {   // within the 20 bytes just checked (ByteReader bounds every read anyway)
                magic = try r.bytes(8, "magic")
                length = try r.u64("header length")
                try r.seek(to: b.count - 4)
                stored = try r.u32("checksum")
            } catch let e as ByteReadError { throw bad(e.message) }
            guard magic == ResumeState.magic else { throw bad("not a resume state (no G2KRSM01 magic)") }
            guard length > 0, length <= UInt64(b.count - 20) else { throw bad("header length \(length) does not fit in \(b.count) bytes") }
            let n = Int(length)
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 4)])) == stored else {
                throw bad("checksum mismatch (truncated or damaged)")
            }
            let header: Header
            do { header = try Header(json: JSON.parse(UnsafeRawBufferPointer(rebasing: b[16..<(16 + n)]))) }
            catch let e as JSONError { throw bad("unreadable header: JSON \(e.kind) at byte \(16 + e.offset)") }
            catch { throw bad("unreadable header: \(error)") }
            let start = (16 + n + 3) / 4 * 4
            // Counts come from the file: summed with overflow checks before any size is computed.
            var count = 0, valid = true
            for p in header.parameters {
                let (sum, overflow) = count.addingReportingOverflow(p.count)
                valid = valid && !overflow && p.count >= 0
                count = sum
            }
            guard valid, count <= (b.count - start - 4) / 12, start + count * 12 + 4 == b.count else {
                let expected = valid && count <= Int.max / 24 ? "\(start + count * 12 + 4)" : "more than fits in memory"
                throw bad("\(b.count) bytes, expected \(expected) for \(header.parameters.count) tensors")
            }
            return (header, start)
        }
        header = h
        dataOffset = offset
    }

    /// Copies the parameters and moments into `model` and `optimizer` (whose parameter list
    /// must be the header's, name for name).
    func restore(into model: TrainableModel, optimizer: AdamW) throws {
        let params = model.parameters
        guard params.map({ Entry(name: $0.name, count: $0.count) }) == header.parameters else {
            throw TrainingError(.badResumeState, "\(file.path): its tensors do not match the model being resumed",
                                hint: "resume with the same model options, or start again without --resume")
        }
        file.withUnsafeBytes { b in
            var at = dataOffset
            func copy(_ to: UnsafeMutablePointer<Float>, _ n: Int) {
                UnsafeMutableRawPointer(to).copyMemory(from: b.baseAddress! + at, byteCount: n * 4)
                at += n * 4
            }
            for (i, p) in params.enumerated() {
                copy(p.values, p.count)
                copy(optimizer.firstMoments[i].baseAddress!, p.count)
                copy(optimizer.secondMoments[i].baseAddress!, p.count)
            }
        }
        optimizer.steps = header.optimizerSteps
    }
}

extension ResumeState.Header {
    /// The header as the resume file stores it (keys named as the properties; an absent
    /// optional left out).
    var json: JSON {
        var w = TrainingJSON.Writer(.property)
        w.set("options", options.json(.property))
        w.set("architecture", .string(architecture))
        w.set("config", config.trainingJSON())
        w.set("tokenizer", .string(tokenizer))
        w.set("vocabularySize", .number(vocabularySize))
        w.set("step", .number(step))
        w.set("samplerDrawn", .number(samplerDrawn))
        w.set("dropoutState", .number(dropoutState))
        w.set("optimizerSteps", .number(optimizerSteps))
        w.set("bestValidationLoss", bestValidationLoss.map { .number($0) })
        w.set("history", .array(history.map { $0.json(.property) }))
        w.set("parameters", .array(parameters.map { .object(["name": .string($0.name), "count": .number($0.count)]) }))
        w.set("initFrom", initFrom.map { .string($0) })
        return w.json
    }

    /// Reads `json`'s form; throws `TrainingJSON.Invalid` naming a missing or mistyped key.
    init(json: JSON) throws(TrainingJSON.Invalid) {
        let r = try TrainingJSON.Reader(json, keys: .property, path: "")
        options = try TrainingOptions(r.object("options"))
        architecture = try r.string("architecture")
        config = try GPT2Config(training: r.object("config"))
        tokenizer = try r.string("tokenizer")
        vocabularySize = try r.int("vocabularySize")
        step = try r.int("step")
        samplerDrawn = try r.uint64("samplerDrawn")
        dropoutState = try r.uint64("dropoutState")
        optimizerSteps = try r.int("optimizerSteps")
        bestValidationLoss = r.optional("bestValidationLoss") == nil ? nil : try r.float("bestValidationLoss")
        history = try r.objects("history").map { (e) throws(TrainingJSON.Invalid) in try EvalRecord(e) }
        parameters = try r.objects("parameters").map { (e) throws(TrainingJSON.Invalid) in
            ResumeState.Entry(name: try e.string("name"), count: try e.int("count"))
        }
        initFrom = r.optional("initFrom") == nil ? nil : try r.string("initFrom")
    }
}
