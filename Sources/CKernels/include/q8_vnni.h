#ifndef GPT2KIT_Q8_VNNI_H
#define GPT2KIT_Q8_VNNI_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU runs the kernels below and in q8_packed.h (x86-64 with AVX-512 F/BW/VL +
/// VNNI + F16C + FMA), else 0.
int gpt2kit_q8_vnni_available(void);

/// Quantizes `blocks` blocks of 32 floats of x: per block d = max|x| / 127 (f32),
/// q = round-to-nearest-even(x * (1/d)) (0 when d is 0 or subnormal), saturated to int8.
/// q: blocks * 32 int8, d: blocks floats; sum (blocks int32, or NULL): 128 * Σ_j q[b][j], the
/// term the packed kernel's unsigned-weight dot products carry (q8_packed.c).
/// Only call when gpt2kit_q8_vnni_available() == 1.
void gpt2kit_q8_quantize_x(const float *x, size_t blocks, int8_t *q, float *d, int32_t *sum);

#endif
