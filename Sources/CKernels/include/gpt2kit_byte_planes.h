#ifndef GPT2KIT_BYTE_PLANES_H
#define GPT2KIT_BYTE_PLANES_H
#include <stddef.h>
#include <stdint.h>

// Byte-plane (de)interleave of the model file's `byteplanes-zstd` codec
// (GPT2ModelFile/BytePlanes.swift has the contract and the scalar oracle).
//
// split: element i (width 2 or 4 bytes, little-endian) of `src`, rotated left by one bit when
// `rotate` is set, goes byte k -> planes[k * n + i]. merge: the inverse, plane k read from
// `planes[k]`. x86-64 only (SSE2, the architecture's baseline, so no dispatch); other
// architectures keep the Swift SIMD version.
void gpt2kit_planes_split(const void *src, size_t width, size_t n, int rotate, uint8_t *planes);
void gpt2kit_planes_merge(const uint8_t *const *planes, size_t width, size_t n, int rotate, void *dst);

#endif
