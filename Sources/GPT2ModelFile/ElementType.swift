import GPT2Kernels

/// Element types a tensor can have in a source checkpoint or in the model file: the kernel
/// layer's `WeightType` (f32, f16, bf16, q8_0), one enum for the format and the kernels, so a
/// tensor's stored type is the type the kernels decode with no conversion between the two.
public typealias ElementType = WeightType
