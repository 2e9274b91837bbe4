import Testing
@testable import GPT2ModelFile

@Test func gpt2TensorListMatchesNanoGPTParameterCount() {
    // GPT-2 124M has 124,439,808 parameters with the tied head (nanoGPT's count incl. wpe).
    let c = GPT2Config(nLayer: 12, nHead: 12, nEmbd: 768, nCtx: 1024, vocabSize: 50257)
    let total = TensorName.gpt2Tensors(c).reduce(0) { $0 + $1.shape.reduce(1, *) }
    #expect(total == 124_439_808)
}

@Test func q8BytesNeedWholeBlocks() {
    #expect(ElementType.q8_0.byteCount(elements: 64) == 68)
    #expect(ElementType.q8_0.byteCount(elements: 33) == nil)
    #expect(ElementType.f32.byteCount(elements: Int.max) == nil)
}
