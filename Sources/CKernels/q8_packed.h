#ifndef GPT2KIT_Q8_PACKED_H
#define GPT2KIT_Q8_PACKED_H
#include <stddef.h>
#include <stdint.h>

// The row-interleaved copy of a q8_0 matrix that the matvec and prompt matmul read (q8_packed.c
// explains the layout). x86-64 only, for CPUs with AVX-512 F/BW/VL + VNNI + F16C + FMA: reached
// through the avx512 kernel table (cpu.c), never called directly.

/// Bytes of one group of 16 rows of `blocks` blocks: the f16 scales (32 bytes per block,
/// rounded up to 64) then the quants (512 bytes per block). The caller checks for overflow.
size_t gpt2kit_q8p_group_bytes(size_t blocks);

/// Packs groups [g0, g1) of the ggml q8_0 matrix w (rows x blocks blocks of 34 bytes) into dst
/// (group g at dst + g * group_bytes). Rows past `rows` in the last group are zero.
void gpt2kit_q8p_pack(void *dst, const void *w, size_t rows, size_t blocks, size_t g0, size_t g1);

/// y[r] = Σ_b d_w[r,b] d_x[b] Σ_j q_w[r,b,j] q_x[b,j] (+ bias[r]) for the rows of groups
/// [g0, g1) below `rows`. packed: from gpt2kit_q8p_pack; xq, xd, xsum: from
/// gpt2kit_q8_quantize_x (below). bias may be NULL.
void gpt2kit_q8p_matvec(float *y, const void *packed, size_t rows, size_t blocks, const int8_t *xq,
                        const float *xd, const int32_t *xsum, const float *bias, size_t g0, size_t g1);

/// The same for T rows of x at once (xq, xd, xsum: T rows of `blocks` blocks each, from one
/// gpt2kit_q8_quantize_x call over T * blocks blocks): y[t * rows + r] for t < T, each row
/// bit-identical to gpt2kit_q8p_matvec on that row of x (the same sums in the same order).
void gpt2kit_q8p_matmul(float *y, size_t T, const void *packed, size_t rows, size_t blocks, const int8_t *xq,
                        const float *xd, const int32_t *xsum, const float *bias, size_t g0, size_t g1);

/// Quantizes `blocks` blocks of 32 floats of x: per block d = max|x| / 127 (f32),
/// q = round-to-nearest-even(x * (1/d)) (0 when d is 0 or subnormal), saturated to int8.
/// q: blocks * 32 int8, d: blocks floats; sum (blocks int32, or NULL): 128 * Σ_j q[b][j], the
/// term the packed kernel's unsigned-weight dot products carry (q8_packed.c).
void gpt2kit_q8_quantize_x(const float *x, size_t blocks, int8_t *q, float *d, int32_t *sum);

#endif
