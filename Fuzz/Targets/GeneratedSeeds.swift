import Glibc
import GPT2Support
import GPT2Tokenizer
@testable import GPT2Checkpoints

/// Seeds that no fixture holds as a file, written by our own code (`Tools/fuzz --seeds`, via
/// GPT2KIT_FUZZ_WRITE_SEEDS=Fuzz/Corpus): model files, BundleEntryProto values, llm.c
/// tokenizer files.
func writeGeneratedSeeds(to corpus: String) throws {
    for t in ["modelfile", "modelfile-metadata", "tf-entry", "llmc-tokenizer"] { mkdir("\(corpus)/\(t)", 0o755) }
    try writeModelFileSeeds(to: "\(corpus)/modelfile")
    writeMetadataSeeds(to: "\(corpus)/modelfile-metadata")
    // Every value of the TF fixture's index table is a BundleEntryProto (the empty key holds
    // the header; it is a valid message too).
    let index = "\(Scratch.root)/\(Companions.tfDir)/model.ckpt.index"
    for (i, e) in try TFTable(file: MappedFile.checkpoint(index)).entries.prefix(8).enumerated() {
        Scratch.write(e.value, "entry-\(i)", in: "\(corpus)/tf-entry")
    }
    // llm.c's tokenizer file, versions 1 and 2, of the tiny fixture vocabulary.
    let tokens = Companions.vocabulary.tokens
    for version in [1, 2] {
        var header = [Int32](repeating: 0, count: 256)
        header[0] = 20240328; header[1] = Int32(version); header[2] = Int32(tokens.count)
        if version == 2 { header[3] = Int32(tokens.count - 1) }
        var bytes = header.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        for t in tokens { bytes.append(UInt8(t.count)); bytes += t }
        Scratch.write(bytes, "v\(version).bin", in: "\(corpus)/llmc-tokenizer")
    }
}
