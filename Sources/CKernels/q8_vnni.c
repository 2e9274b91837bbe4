// q8_0 weights · x with AVX-512 VNNI (`vpdpbusd`), which Swift cannot emit; the portable Swift
// kernel (GPT2Kernels/MatVec.swift, dotQ8) stays the fallback. Written from the format's facts
// (ggml Q8_0: block { f16 d; int8 qs[32]; }, value = d * q) and the Intel SDM / intrinsics guide
// (VPDPBUSD: 4 unsigned x signed byte products summed into each int32 lane, no saturation).
//
// x is quantized once per matvec to 32-value blocks of int8 with an f32 scale (lossy: |Δx| <=
// d_x / 2 per element, the same approach llama.cpp takes for its q8_0 dot product). Then per
// weight block, 256-bit (AVX-512 VL) because a block is 32 bytes at a 34-byte stride:
//   u = |q_w| (unsigned, 0..128: -128 stays exact as unsigned 128), s = q_x with q_w's sign
//   (vpsignb; q_x is in -127..127 so the negation cannot overflow), int32 sums = dpbusd(u, s),
//   exact: 32 products of at most 128 * 127 fit easily.
// The int32 sums of a block are converted to f32 and multiplied by d_w * d_x with one FMA.
// The 16 f16 scales of 16 consecutive blocks are fetched with one gather (stride 34) and
// converted with one vcvtph2ps, so a block costs ~7 instructions instead of ~10 in Swift.
#include "q8_vnni.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define Q8_BLOCK_BYTES 34

int gpt2kit_q8_vnni_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
}

#define Q8_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))

Q8_TARGET
void gpt2kit_q8_quantize_x(const float *x, size_t blocks, int8_t *q, float *d) {
    const __m512i absMask = _mm512_set1_epi32(0x7FFFFFFF);
    for (size_t b = 0; b < blocks; b++) {
        __m512 lo = _mm512_loadu_ps(x + 32 * b), hi = _mm512_loadu_ps(x + 32 * b + 16);
        // max |x| on the bit patterns: for non-negative floats integer order is float order,
        // and a NaN (above +inf) wins, so a non-finite block gets a non-finite scale.
        __m512i m = _mm512_max_epu32(_mm512_and_si512(_mm512_castps_si512(lo), absMask),
                                     _mm512_and_si512(_mm512_castps_si512(hi), absMask));
        uint32_t bits = _mm512_reduce_max_epu32(m);
        float amax;
        memcpy(&amax, &bits, 4);
        float scale = amax / 127.0f;
        // 0 for a zero or subnormal scale (1/scale would overflow to inf, and inf * 0 = NaN);
        // such a block contributes < 32 * 128 * 2^-126 * |d_w|, i.e. nothing. NaN stays NaN.
        float inv = scale >= 0x1p-126f ? 1.0f / scale : 0.0f;
        __m512 vi = _mm512_set1_ps(inv);
        // vcvtps2dq rounds to nearest even (default MXCSR); vpmovsdb saturates to int8.
        _mm_storeu_si128((__m128i *)(q + 32 * b), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(lo, vi))));
        _mm_storeu_si128((__m128i *)(q + 32 * b + 16), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(hi, vi))));
        d[b] = scale;
    }
}

/// One weight block · the matching x block: 8 int32 partial sums as f32.
Q8_TARGET static inline __m256 blockDot(const uint8_t *block, const int8_t *xq) {
    __m256i w = _mm256_loadu_si256((const __m256i *)(block + 2));
    __m256i x = _mm256_loadu_si256((const __m256i *)xq);
    __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(w), _mm256_sign_epi8(x, w));
    return _mm256_cvtepi32_ps(s);
}

Q8_TARGET
void gpt2kit_q8_matvec_rows(float *y, const void *w, size_t blocks, const int8_t *xq, const float *xd,
                            const float *bias, size_t r0, size_t r1) {
    const size_t rowBytes = blocks * Q8_BLOCK_BYTES;
    // Byte offsets of 16 consecutive block scales; the gather reads 4 bytes at each (the f16
    // scale + 2 quants, all inside the block) and keeps the low 16 bits.
    const __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32(Q8_BLOCK_BYTES));
    float scales[16];
    for (size_t r = r0; r < r1; r++) {
        const uint8_t *p = (const uint8_t *)w + r * rowBytes;
        // Four accumulators: each block's FMA depends on the previous one of its chain (4 cycles
        // of latency), so two chains capped a block at ~2 cycles.
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (size_t b = 0; b < blocks; b += 16) {
            size_t n = blocks - b < 16 ? blocks - b : 16;
            __mmask16 k = (__mmask16)((1u << n) - 1);
            const uint8_t *pb = p + b * Q8_BLOCK_BYTES;
            __m512i g = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), k, offsets, pb, 1);
            __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
            _mm512_storeu_ps(scales, _mm512_mul_ps(dw, _mm512_maskz_loadu_ps(k, xd + b)));
            const int8_t *xb = xq + 32 * b;
            size_t j = 0;
            for (; j + 4 <= n; j += 4) {
                a0 = _mm256_fmadd_ps(blockDot(pb + j * Q8_BLOCK_BYTES, xb + 32 * j), _mm256_set1_ps(scales[j]), a0);
                a1 = _mm256_fmadd_ps(blockDot(pb + (j + 1) * Q8_BLOCK_BYTES, xb + 32 * (j + 1)), _mm256_set1_ps(scales[j + 1]), a1);
                a2 = _mm256_fmadd_ps(blockDot(pb + (j + 2) * Q8_BLOCK_BYTES, xb + 32 * (j + 2)), _mm256_set1_ps(scales[j + 2]), a2);
                a3 = _mm256_fmadd_ps(blockDot(pb + (j + 3) * Q8_BLOCK_BYTES, xb + 32 * (j + 3)), _mm256_set1_ps(scales[j + 3]), a3);
            }
            for (; j < n; j++) a0 = _mm256_fmadd_ps(blockDot(pb + j * Q8_BLOCK_BYTES, xb + 32 * j), _mm256_set1_ps(scales[j]), a0);
        }
        __m256 a = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        y[r] = _mm_cvtss_f32(h) + (bias ? bias[r] : 0.0f);
    }
}

#else

int gpt2kit_q8_vnni_available(void) { return 0; }
void gpt2kit_q8_quantize_x(const float *x, size_t blocks, int8_t *q, float *d) {
    (void)x; (void)blocks; (void)q; (void)d;
}
void gpt2kit_q8_matvec_rows(float *y, const void *w, size_t blocks, const int8_t *xq, const float *xd,
                            const float *bias, size_t r0, size_t r1) {
    (void)y; (void)w; (void)blocks; (void)xq; (void)xd; (void)bias; (void)r0; (void)r1;
}

#endif
