import Foundation
import GPT2ModelFile
import GPT2Support

/// Everything a run needs to continue exactly where it stopped (`--resume`): the options, the
/// step, the batch sampler's draw count, the dropout generator, AdamW's step count and both
/// moments, the current parameters (the model file holds the best ones, which may be older),
/// the best validation loss and the loss history.
///
/// File layout (little-endian): "G2KRSM01", UInt64 length of a JSON header, the header
/// (`Header`, Codable), zero padding to a multiple of 4, then per parameter in the header's
/// order its values, first moments and second moments as f32, then the CRC-32C of every byte
/// before it (UInt32).
public struct ResumeState {
    /// The JSON header of a resume file: the run's options and counters and the parameter list.
    public struct Header: Codable, Sendable, Equatable {
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
    public struct Entry: Codable, Sendable, Equatable {
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]   // the same state gives the same bytes
        let json = try encoder.encode(header)
        let out = try AtomicFile.training(path: path)
        var crc = CRC32C()
        func put(_ b: UnsafeRawBufferPointer) throws { crc.update(b); try out.write(b) }
        var head = magic
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { head += $0 }
        head += json
        head += [UInt8](repeating: 0, count: (4 - head.count % 4) % 4)
        try head.withUnsafeBytes { try put($0) }
        for (i, p) in model.parameters.enumerated() {
            try put(UnsafeRawBufferPointer(start: p.values, count: p.count * 4))
            try put(UnsafeRawBufferPointer(optimizer.firstMoments[i]))
            try put(UnsafeRawBufferPointer(optimizer.secondMoments[i]))
        }
        var c = crc.value.littleEndian
        try withUnsafeBytes(of: &c) { try out.write($0) }
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
            guard b.count >= 20, Array(b[0..<8]) == ResumeState.magic else { throw bad("not a resume state (no G2KRSM01 magic)") }
            var len: UInt64 = 0
            withUnsafeMutableBytes(of: &len) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[8..<16])) }
            let n = Int(UInt64(littleEndian: len))
            guard n > 0, n <= b.count - 20 else { throw bad("header length \(n) does not fit in \(b.count) bytes") }
            let stored = b.loadUnaligned(fromByteOffset: b.count - 4, as: UInt32.self)
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 4)])) == UInt32(littleEndian: stored) else {
                throw bad("checksum mismatch (truncated or damaged)")
            }
            let header: Header
            do { header = try JSONDecoder().decode(Header.self, from: Data(b[16..<(16 + n)])) } catch {
                throw bad("unreadable header: \(error)")
            }
            let start = (16 + n + 3) / 4 * 4
            let floats = header.parameters.reduce(0) { $0 + $1.count } * 3
            guard floats >= 0, start + floats * 4 + 4 == b.count else {
                throw bad("\(b.count) bytes, expected \(start + floats * 4 + 4) for \(header.parameters.count) tensors")
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
