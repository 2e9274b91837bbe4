#ifndef GPT2KIT_TRANSPOSE_H
#define GPT2KIT_TRANSPOSE_H
#include <stddef.h>

// One band of a matrix transpose (GPT2Checkpoints/TensorTransforms.swift has the contract and
// the naive oracle): `band` holds rows r0 ..< r0 + h of a row-major [rows, cols] matrix of
// `size`-byte elements (2 or 4), contiguous; writes them as columns r0 ..< r0 + h of the
// [cols, rows] result `dst`. x86-64: SSE2 4x4 (4-byte) and 8x8 (2-byte) register transposes;
// elsewhere scalar.
void gpt2kit_transpose_band(const void *band, size_t h, size_t cols, size_t size,
                            void *dst, size_t rows, size_t r0);

#endif
