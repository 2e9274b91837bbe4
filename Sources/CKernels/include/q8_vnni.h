#ifndef GPT2KIT_Q8_VNNI_H
#define GPT2KIT_Q8_VNNI_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU runs the kernels below (x86-64 with AVX-512 F/BW/VL + VNNI + F16C), else 0.
int gpt2kit_q8_vnni_available(void);

/// Quantizes `blocks` blocks of 32 floats of x: per block d = max|x| / 127 (f32),
/// q = round-to-nearest-even(x * (1/d)) (0 when d is 0 or subnormal), saturated to int8.
/// q: blocks * 32 int8, d: blocks floats. Only call when gpt2kit_q8_vnni_available() == 1.
void gpt2kit_q8_quantize_x(const float *x, size_t blocks, int8_t *q, float *d);

/// y[r] = Σ_b d_w[r,b] * d_x[b] * Σ_j q_w[r,b,j] * q_x[b,j] (+ bias[r]) for r in [r0, r1).
/// w: q8_0 rows of `blocks` blocks of 34 bytes (f16 scale + 32 int8), row r at w + r * blocks * 34.
/// xq, xd: x quantized by gpt2kit_q8_quantize_x. bias may be NULL.
/// Only call when gpt2kit_q8_vnni_available() == 1.
void gpt2kit_q8_matvec_rows(float *y, const void *w, size_t blocks, const int8_t *xq, const float *xd,
                            const float *bias, size_t r0, size_t r1);

#endif
