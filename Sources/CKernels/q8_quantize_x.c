// The int8 quantizer of activations that the packed q8_0 matvec (q8_packed.c) multiplies
// against, for the AVX-512 VNNI set (cpu.c hands it out only on such a CPU).
// Written from the format's facts (ggml Q8_0: block { f16 d; int8 qs[32]; }, value = d * q) and
// the Intel SDM / intrinsics guide.
//
// x is quantized once per matvec to 32-value blocks of int8 with an f32 scale (lossy: |Δx| <=
// d_x / 2 per element, the same approach llama.cpp takes for its q8_0 dot product).
#include "q8_packed.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define Q8_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))

Q8_TARGET
void gpt2kit_q8_quantize_x(const float *x, size_t blocks, int8_t *q, float *d, int32_t *sum) {
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
        if (sum) {
            // Σ q over the block from the stored bytes: vpsadbw on q + 128 (unsigned) sums them
            // in 4 lanes; 32 * 128 = 4096 of offset comes back out.
            __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(q + 32 * b)), _mm256_set1_epi8((char)0x80));
            __m256i s4 = _mm256_sad_epu8(u, _mm256_setzero_si256());
            int64_t t = _mm256_extract_epi64(s4, 0) + _mm256_extract_epi64(s4, 1) + _mm256_extract_epi64(s4, 2) +
                        _mm256_extract_epi64(s4, 3);
            sum[b] = 128 * (int32_t)(t - 4096);
        }
    }
}

#endif
