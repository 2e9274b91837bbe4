// Band transpose for checkpoint loading (Conv1D / TensorFlow weights are stored [in, out]).
// SSE2 register transposes of 4x4 (4-byte) or 8x8 (2-byte) blocks: 16-byte loads and stores
// instead of one element at a time, which perf showed stalled on L2 loads. The block loop walks
// down one group of destination rows at a time, so only those few destination lines are live:
// writing a whole 32x32 tile at once thrashes one L1 set when the destination row stride is a
// multiple of 4096 bytes (GPT-2's mlp.c_proj: 3072 x 4 bytes).
#include "gpt2kit_transpose.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

static void scalar_block(const uint8_t *band, size_t cols, size_t size, uint8_t *dst, size_t rows,
                         size_t r0, size_t rb, size_t rh, size_t cb, size_t cw) {
    for (size_t c = cb; c < cb + cw; c++)
        for (size_t r = rb; r < rb + rh; r++)
            memcpy(dst + (c * rows + r0 + r) * size, band + (r * cols + c) * size, size);
}

void gpt2kit_transpose_band(const void *bandp, size_t h, size_t cols, size_t size,
                            void *dstp, size_t rows, size_t r0) {
    const uint8_t *band = (const uint8_t *)bandp;
    uint8_t *dst = (uint8_t *)dstp;
#if defined(__x86_64__)
    const size_t b = size == 4 ? 4 : 8;          // block edge: 16 bytes per row either way
    size_t hb = h / b * b, cb = cols / b * b;
    for (size_t c = 0; c < cb; c += b) {
        for (size_t r = 0; r < hb; r += b) {
            const uint8_t *s = band + (r * cols + c) * size;
            uint8_t *d = dst + (c * rows + r0 + r) * size;
            size_t ss = cols * size, ds = rows * size;
            if (size == 4) {
                __m128i a0 = _mm_loadu_si128((const __m128i *)(s)), a1 = _mm_loadu_si128((const __m128i *)(s + ss));
                __m128i a2 = _mm_loadu_si128((const __m128i *)(s + 2 * ss)), a3 = _mm_loadu_si128((const __m128i *)(s + 3 * ss));
                __m128i t0 = _mm_unpacklo_epi32(a0, a1), t1 = _mm_unpackhi_epi32(a0, a1);
                __m128i t2 = _mm_unpacklo_epi32(a2, a3), t3 = _mm_unpackhi_epi32(a2, a3);
                _mm_storeu_si128((__m128i *)(d), _mm_unpacklo_epi64(t0, t2));
                _mm_storeu_si128((__m128i *)(d + ds), _mm_unpackhi_epi64(t0, t2));
                _mm_storeu_si128((__m128i *)(d + 2 * ds), _mm_unpacklo_epi64(t1, t3));
                _mm_storeu_si128((__m128i *)(d + 3 * ds), _mm_unpackhi_epi64(t1, t3));
            } else {
                __m128i a[8], t[8], u[8];
                for (int k = 0; k < 8; k++) a[k] = _mm_loadu_si128((const __m128i *)(s + k * ss));
                for (int k = 0; k < 4; k++) {
                    t[2 * k] = _mm_unpacklo_epi16(a[2 * k], a[2 * k + 1]);
                    t[2 * k + 1] = _mm_unpackhi_epi16(a[2 * k], a[2 * k + 1]);
                }
                // t[0]: r0r1 cols 0-3, t[1]: r0r1 cols 4-7, t[2]: r2r3 cols 0-3, ...
                u[0] = _mm_unpacklo_epi32(t[0], t[2]); u[1] = _mm_unpackhi_epi32(t[0], t[2]);
                u[2] = _mm_unpacklo_epi32(t[1], t[3]); u[3] = _mm_unpackhi_epi32(t[1], t[3]);
                u[4] = _mm_unpacklo_epi32(t[4], t[6]); u[5] = _mm_unpackhi_epi32(t[4], t[6]);
                u[6] = _mm_unpacklo_epi32(t[5], t[7]); u[7] = _mm_unpackhi_epi32(t[5], t[7]);
                // u[0]: rows 0-3 of cols 0,1; u[1]: cols 2,3; u[2]: cols 4,5; u[3]: cols 6,7 (u[4..7]: rows 4-7)
                for (int k = 0; k < 4; k++) {
                    _mm_storeu_si128((__m128i *)(d + (2 * k) * ds), _mm_unpacklo_epi64(u[k], u[k + 4]));
                    _mm_storeu_si128((__m128i *)(d + (2 * k + 1) * ds), _mm_unpackhi_epi64(u[k], u[k + 4]));
                }
            }
        }
        if (hb < h) scalar_block(band, cols, size, dst, rows, r0, hb, h - hb, c, b);
    }
    if (cb < cols) scalar_block(band, cols, size, dst, rows, r0, 0, h, cb, cols - cb);
#else
    scalar_block(band, cols, size, dst, rows, r0, 0, h, 0, cols);
#endif
}
