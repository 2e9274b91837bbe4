import GPT2Kernels
import GPT2ModelFile

extension TrainableGPT {
    /// A model to fine-tune from a model file (`--init-from`): its config and every canonical
    /// tensor, any element type decoded to f32. The GELU becomes the erf form, as nanoGPT
    /// fine-tunes GPT-2 with nn.GELU.
    public convenience init(initializingFrom file: ModelFile, dropout: Float, seed: UInt64, threads: Int,
                            kernels: Kernels = .selected) throws {
        guard let config = file.config, file.metadata.architecture == "gpt2" else {
            throw TrainingModelError("\(file.path): architecture \"\(file.metadata.architecture)\" is not a GPT-2",
                                     hint: "--init-from takes a GPT-2 model file (gpt2kit convert makes one)")
        }
        try self.init(config: config, dropout: dropout, threads: threads, kernels: kernels, reference: false)
        dropoutRandomState = seed
        for p in parameters {
            guard let info = file.info(p.name) else {
                throw TrainingModelError("\(file.path): tensor \(p.name) is missing", hint: "the file is not a complete GPT-2 model")
            }
            guard info.shape == p.shape else {
                throw TrainingModelError("\(file.path): tensor \(p.name) has shape \(info.shape), expected \(p.shape)",
                                         hint: "the file's tensors do not match its config")
            }
            let type = info.type
            try file.withTensor(p.name) { v in
                guard let need = type.byteCount(elements: p.count), v.bytes.count >= need else {
                    throw TrainingModelError("\(file.path): tensor \(p.name) holds \(v.bytes.count) bytes, too few for \(p.count) \(type)",
                                             hint: "the file is damaged")
                }
                kernels.decode(v.bytes.baseAddress!, count: p.count, as: type, into: p.values)
            }
        }
    }
}
