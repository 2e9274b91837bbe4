// q8_0 matvec over a row-interleaved copy of the weights, made once at load time (llama.cpp
// repacks its q4_0/q8_0 weights into interleaved rows at load too; this layout is our own).
//
// Why: with ggml's layout (one 34-byte block after the other along a row) every block is a
// separate 32-byte dot product that ends in a horizontal reduction: ~7 vector instructions per
// 34 bytes, which kept our first VNNI kernel (since removed) at ~30 GB/s on one thread, below
// the ~45 GB/s one core reads from DRAM here (KernelBench, 2026-11-22). Here 16 rows are interleaved 4 bytes at
// a time, so one 64-byte load holds 4 weights of each of 16 rows, and one vpdpbusd with x's
// 4 matching bytes broadcast adds them into 16 per-row int32 lanes: no reduction, 2
// instructions per 64 bytes, ~22 per 16 rows x 32 columns.
//
// Layout of group g (rows 16g..16g+15), `blocks` blocks of 32 columns:
//   scales: blocks x 16 f16 (the rows' d for block b at 32 b), padded to a multiple of 64 bytes;
//   quants: blocks x 512 bytes; block b, chunk c (columns 32b+4c..+3) is 64 bytes: row i's
//           4 weights at 4i, each stored as q + 128 (an unsigned byte, 0..255).
// Rows past the matrix end are zero (scale 0, q 0).
//
// Signs: vpdpbusd multiplies unsigned by signed bytes (Intel SDM VPDPBUSD). With u = q_w + 128,
//   Σ_j u_j q_x,j = Σ_j q_w,j q_x,j + 128 Σ_j q_x,j,
// and the last term depends on x only: it is computed once per block of x (xsum, by
// gpt2kit_q8_quantize_x in q8_quantize_x.c) and subtracted. All int32 sums are exact (|Σ| <= 32 * 255 * 128 < 2^21).
#include "q8_packed.h"
#include <string.h>

#define Q8_BLOCK_BYTES 34

size_t gpt2kit_q8p_group_bytes(size_t blocks) { return ((blocks * 32 + 63) & ~(size_t)63) + blocks * 512; }

#if defined(__x86_64__)
#include <immintrin.h>

#define Q8P_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))

// 4 bytes of the int8 x read as one int32: may_alias (C's aliasing rules allow it) and
// aligned(1) (any address). A memcpy into a stack array instead cost ~15 % L2-resident.
typedef int32_t __attribute__((may_alias, aligned(1))) i32u;

// Packing runs once per load over the whole model (133 MB for GPT-2 124M q8_0). Rows are read
// front to back (one sequential stream; the group being written, 13 KB for n_embd 768, stays in
// L1) and moved 4 bytes at a time. Measured on the 124M q8_0 load, 1 thread (`gpt2kit generate
// --json` load_ms, perf): one byte at a time ~60 ms; 16-lane gathers down the 16 rows ~30 ms
// (each gather waits on 16 rows' cache misses); this ~10 ms of copying, within ~20-35 ms the
// repacking adds to a load (page faults and zeroing of the new memory included).
void gpt2kit_q8p_pack(void *dst, const void *w, size_t rows, size_t blocks, size_t g0, size_t g1) {
    const size_t rowBytes = blocks * Q8_BLOCK_BYTES, groupBytes = gpt2kit_q8p_group_bytes(blocks);
    const size_t scaleBytes = groupBytes - blocks * 512;
    for (size_t g = g0; g < g1; g++) {
        uint8_t *out = (uint8_t *)dst + g * groupBytes;
        uint8_t *quants = out + scaleBytes;
        memset(out, 0, scaleBytes);
        for (size_t i = 0; i < 16; i++) {
            size_t r = 16 * g + i;
            if (r >= rows) {                       // past the end: scale 0 (above), q = 0 -> 0x80
                for (size_t b = 0; b < blocks; b++)
                    for (size_t c = 0; c < 8; c++) memset(quants + 512 * b + 64 * c + 4 * i, 0x80, 4);
                continue;
            }
            const uint8_t *row = (const uint8_t *)w + r * rowBytes;
            for (size_t b = 0; b < blocks; b++) {
                const uint8_t *blk = row + b * Q8_BLOCK_BYTES;
                memcpy(out + 32 * b + 2 * i, blk, 2);
                uint8_t *qb = quants + 512 * b + 4 * i;
                for (size_t c = 0; c < 8; c++) {
                    uint32_t v;
                    memcpy(&v, blk + 2 + 4 * c, 4);
                    v ^= 0x80808080u;                  // q + 128 in each byte
                    memcpy(qb + 64 * c, &v, 4);
                }
            }
        }
    }
}

Q8P_TARGET
void gpt2kit_q8p_matvec(float *y, const void *packed, size_t rows, size_t blocks, const int8_t *xq,
                        const float *xd, const int32_t *xsum, const float *bias, size_t g0, size_t g1) {
    const size_t groupBytes = gpt2kit_q8p_group_bytes(blocks);
    const size_t scaleBytes = groupBytes - blocks * 512;
    for (size_t g = g0; g < g1; g++) {
        const uint8_t *scales = (const uint8_t *)packed + g * groupBytes;
        const uint8_t *quants = scales + scaleBytes;
        // Two accumulators: the FMA of block b waits on block b-1's otherwise (4 cycles).
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        for (size_t b = 0; b < blocks; b++) {
            const uint8_t *qb = quants + 512 * b;
            const i32u *xb = (const i32u *)(xq + 32 * b);        // 4 x bytes per broadcast
            // Software prefetch into L1 2 blocks ahead (1-thread matvec from DRAM 35-39 -> 44 GB/s
            // on the CPU it was tuned on) and into L2 8 blocks ahead (Zen 4: 16 -> 18.5 GB/s
            // median, 24 -> 27 best; further L1 prefetch alone was slower).
            for (int c = 0; c < 8; c++) {
                _mm_prefetch((const char *)qb + 1024 + 64 * c, _MM_HINT_T0);
                _mm_prefetch((const char *)qb + 4096 + 64 * c, _MM_HINT_T1);
            }
            // Two dot-product chains per block (vpdpbusd latency), joined at the end.
            __m512i s0 = _mm512_set1_epi32(-xsum[b]), s1 = _mm512_setzero_si512();
            s0 = _mm512_dpbusd_epi32(s0, _mm512_load_si512(qb + 0), _mm512_set1_epi32(xb[0]));
            s1 = _mm512_dpbusd_epi32(s1, _mm512_load_si512(qb + 64), _mm512_set1_epi32(xb[1]));
            s0 = _mm512_dpbusd_epi32(s0, _mm512_load_si512(qb + 128), _mm512_set1_epi32(xb[2]));
            s1 = _mm512_dpbusd_epi32(s1, _mm512_load_si512(qb + 192), _mm512_set1_epi32(xb[3]));
            s0 = _mm512_dpbusd_epi32(s0, _mm512_load_si512(qb + 256), _mm512_set1_epi32(xb[4]));
            s1 = _mm512_dpbusd_epi32(s1, _mm512_load_si512(qb + 320), _mm512_set1_epi32(xb[5]));
            s0 = _mm512_dpbusd_epi32(s0, _mm512_load_si512(qb + 384), _mm512_set1_epi32(xb[6]));
            s1 = _mm512_dpbusd_epi32(s1, _mm512_load_si512(qb + 448), _mm512_set1_epi32(xb[7]));
            __m512 dw = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(scales + 32 * b)));
            __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), _mm512_set1_ps(xd[b]));
            if (b & 1) acc1 = _mm512_fmadd_ps(t, dw, acc1); else acc0 = _mm512_fmadd_ps(t, dw, acc0);
        }
        __m512 acc = _mm512_add_ps(acc0, acc1);
        size_t r0 = 16 * g, n = rows - r0 < 16 ? rows - r0 : 16;
        __mmask16 k = (__mmask16)((1u << n) - 1);
        if (bias) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(k, bias + r0));
        _mm512_mask_storeu_ps(y + r0, k, acc);
    }
}


// The prompt's q8p_matvec: NT rows of x against one group of 16 rows. Each 64-byte load of
// weights serves NT rows of x (vpdpbusd, not the weight stream, bounds the speed here: the
// group stays in L1/L2 across the rows); per row the arithmetic is q8p_matvec's, step for step.
static inline __attribute__((always_inline)) Q8P_TARGET
void q8p_group_rows(float *y, size_t rows, const uint8_t *scales, const uint8_t *quants, size_t blocks,
                    const int8_t *xq, const float *xd, const int32_t *xsum, const float *bias, size_t r0,
                    __mmask16 k, const int NT) {
    __m512 acc0[4], acc1[4];
    for (int t = 0; t < NT; t++) { acc0[t] = _mm512_setzero_ps(); acc1[t] = _mm512_setzero_ps(); }
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *qb = quants + 512 * b;
        __m512i s0[4], s1[4];
        for (int t = 0; t < NT; t++) { s0[t] = _mm512_set1_epi32(-xsum[t * blocks + b]); s1[t] = _mm512_setzero_si512(); }
        for (int c = 0; c < 8; c++) {
            __m512i w = _mm512_load_si512(qb + 64 * c);
            for (int t = 0; t < NT; t++) {
                __m512i xb = _mm512_set1_epi32(((const i32u *)(xq + 32 * (t * blocks + b)))[c]);
                if (c & 1) s1[t] = _mm512_dpbusd_epi32(s1[t], w, xb); else s0[t] = _mm512_dpbusd_epi32(s0[t], w, xb);
            }
        }
        __m512 dw = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(scales + 32 * b)));
        for (int t = 0; t < NT; t++) {
            __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0[t], s1[t])), _mm512_set1_ps(xd[t * blocks + b]));
            if (b & 1) acc1[t] = _mm512_fmadd_ps(v, dw, acc1[t]); else acc0[t] = _mm512_fmadd_ps(v, dw, acc0[t]);
        }
    }
    for (int t = 0; t < NT; t++) {
        __m512 acc = _mm512_add_ps(acc0[t], acc1[t]);
        if (bias) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(k, bias + r0));
        _mm512_mask_storeu_ps(y + t * rows + r0, k, acc);
    }
}

Q8P_TARGET
void gpt2kit_q8p_matmul(float *y, size_t T, const void *packed, size_t rows, size_t blocks, const int8_t *xq,
                        const float *xd, const int32_t *xsum, const float *bias, size_t g0, size_t g1) {
    const size_t groupBytes = gpt2kit_q8p_group_bytes(blocks);
    const size_t scaleBytes = groupBytes - blocks * 512;
    // Rows of x in chunks of 64 (64 x 3072 bytes at most for GPT-2: L2) against every group, so
    // a long prompt's x is not streamed from L3 once per group.
    for (size_t t0 = 0; t0 < T; t0 += 64) {
        for (size_t g = g0; g < g1; g++) {
            const uint8_t *scales = (const uint8_t *)packed + g * groupBytes;
            const uint8_t *quants = scales + scaleBytes;
            size_t r0 = 16 * g, n = rows - r0 < 16 ? rows - r0 : 16;
            __mmask16 k = (__mmask16)((1u << n) - 1);
            size_t t = t0, te = T - t0 < 64 ? T : t0 + 64;
            for (; t + 4 <= te; t += 4)
                q8p_group_rows(y + t * rows, rows, scales, quants, blocks, xq + 32 * t * blocks, xd + t * blocks,
                               xsum + t * blocks, bias, r0, k, 4);
            const int8_t *q = xq + 32 * t * blocks;
            const float *d = xd + t * blocks;
            const int32_t *s = xsum + t * blocks;
            switch (te - t) {
            case 3: q8p_group_rows(y + t * rows, rows, scales, quants, blocks, q, d, s, bias, r0, k, 3); break;
            case 2: q8p_group_rows(y + t * rows, rows, scales, quants, blocks, q, d, s, bias, r0, k, 2); break;
            case 1: q8p_group_rows(y + t * rows, rows, scales, quants, blocks, q, d, s, bias, r0, k, 1); break;
            default: break;
            }
        }
    }
}

#endif
