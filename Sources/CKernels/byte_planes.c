// Byte-plane (de)interleave with SSE2 (x86-64 baseline): 16 elements per step. Written in C
// because Swift's generic SIMD16 widening/narrowing compiled to a call per step on the baseline
// target (perf: `SIMD16.init(truncatingIfNeeded:)` not specialized in `split`), and merge was
// ~30 % of a decode's own time. Unpack/pack instructions do the byte interleave directly.
#include "gpt2kit_byte_planes.h"
#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h>

static inline __m128i rotl32(__m128i v) { return _mm_or_si128(_mm_slli_epi32(v, 1), _mm_srli_epi32(v, 31)); }
static inline __m128i rotr32(__m128i v) { return _mm_or_si128(_mm_srli_epi32(v, 1), _mm_slli_epi32(v, 31)); }
static inline __m128i rotl16(__m128i v) { return _mm_or_si128(_mm_slli_epi16(v, 1), _mm_srli_epi16(v, 15)); }
static inline __m128i rotr16(__m128i v) { return _mm_or_si128(_mm_srli_epi16(v, 1), _mm_slli_epi16(v, 15)); }
// Low 16 bits of each 32-bit lane of a and b, packed to 8 u16 (exact: sign-extend, then
// saturating pack, which cannot saturate).
static inline __m128i pack32to16(__m128i a, __m128i b) {
    a = _mm_srai_epi32(_mm_slli_epi32(a, 16), 16);
    b = _mm_srai_epi32(_mm_slli_epi32(b, 16), 16);
    return _mm_packs_epi32(a, b);
}
static inline __m128i lo8(__m128i a, __m128i b) {   // low byte of each u16 of a and b -> 16 bytes
    const __m128i m = _mm_set1_epi16(0xFF);
    return _mm_packus_epi16(_mm_and_si128(a, m), _mm_and_si128(b, m));
}
static inline __m128i hi8(__m128i a, __m128i b) {
    return _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8));
}
#endif

static inline uint32_t rot_scalar(uint32_t v, size_t width, int left) {
    if (width == 4) return left ? (v << 1) | (v >> 31) : (v >> 1) | (v << 31);
    return (left ? (v << 1) | (v >> 15) : (v >> 1) | (v << 15)) & 0xFFFFu;
}

void gpt2kit_planes_split(const void *src, size_t width, size_t n, int rotate, uint8_t *planes) {
    const uint8_t *s = (const uint8_t *)src;
    size_t i = 0;
#if defined(__x86_64__)
    if (width == 4) {
        for (; i + 16 <= n; i += 16) {
            __m128i v0 = _mm_loadu_si128((const __m128i *)(s + 4 * i));
            __m128i v1 = _mm_loadu_si128((const __m128i *)(s + 4 * i + 16));
            __m128i v2 = _mm_loadu_si128((const __m128i *)(s + 4 * i + 32));
            __m128i v3 = _mm_loadu_si128((const __m128i *)(s + 4 * i + 48));
            if (rotate) { v0 = rotl32(v0); v1 = rotl32(v1); v2 = rotl32(v2); v3 = rotl32(v3); }
            __m128i l0 = pack32to16(v0, v1), l1 = pack32to16(v2, v3);                 // bytes 0-1
            __m128i h0 = pack32to16(_mm_srli_epi32(v0, 16), _mm_srli_epi32(v1, 16));  // bytes 2-3
            __m128i h1 = pack32to16(_mm_srli_epi32(v2, 16), _mm_srli_epi32(v3, 16));
            _mm_storeu_si128((__m128i *)(planes + i), lo8(l0, l1));
            _mm_storeu_si128((__m128i *)(planes + n + i), hi8(l0, l1));
            _mm_storeu_si128((__m128i *)(planes + 2 * n + i), lo8(h0, h1));
            _mm_storeu_si128((__m128i *)(planes + 3 * n + i), hi8(h0, h1));
        }
    } else if (width == 2) {
        for (; i + 16 <= n; i += 16) {
            __m128i v0 = _mm_loadu_si128((const __m128i *)(s + 2 * i));
            __m128i v1 = _mm_loadu_si128((const __m128i *)(s + 2 * i + 16));
            if (rotate) { v0 = rotl16(v0); v1 = rotl16(v1); }
            _mm_storeu_si128((__m128i *)(planes + i), lo8(v0, v1));
            _mm_storeu_si128((__m128i *)(planes + n + i), hi8(v0, v1));
        }
    }
#endif
    for (; i < n; i++) {
        uint32_t v = 0;
        for (size_t k = 0; k < width; k++) v |= (uint32_t)s[width * i + k] << (8 * k);
        if (rotate) v = rot_scalar(v, width, 1);
        for (size_t k = 0; k < width; k++) planes[k * n + i] = (uint8_t)(v >> (8 * k));
    }
}

void gpt2kit_planes_merge(const uint8_t *const *planes, size_t width, size_t n, int rotate, void *dst) {
    uint8_t *d = (uint8_t *)dst;
    size_t i = 0;
#if defined(__x86_64__)
    if (width == 4) {
        const uint8_t *p0 = planes[0], *p1 = planes[1], *p2 = planes[2], *p3 = planes[3];
        for (; i + 16 <= n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(p0 + i)), b = _mm_loadu_si128((const __m128i *)(p1 + i));
            __m128i c = _mm_loadu_si128((const __m128i *)(p2 + i)), e = _mm_loadu_si128((const __m128i *)(p3 + i));
            __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
            __m128i ce0 = _mm_unpacklo_epi8(c, e), ce1 = _mm_unpackhi_epi8(c, e);
            __m128i v0 = _mm_unpacklo_epi16(ab0, ce0), v1 = _mm_unpackhi_epi16(ab0, ce0);
            __m128i v2 = _mm_unpacklo_epi16(ab1, ce1), v3 = _mm_unpackhi_epi16(ab1, ce1);
            if (rotate) { v0 = rotr32(v0); v1 = rotr32(v1); v2 = rotr32(v2); v3 = rotr32(v3); }
            _mm_storeu_si128((__m128i *)(d + 4 * i), v0);
            _mm_storeu_si128((__m128i *)(d + 4 * i + 16), v1);
            _mm_storeu_si128((__m128i *)(d + 4 * i + 32), v2);
            _mm_storeu_si128((__m128i *)(d + 4 * i + 48), v3);
        }
    } else if (width == 2) {
        const uint8_t *p0 = planes[0], *p1 = planes[1];
        for (; i + 16 <= n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(p0 + i)), b = _mm_loadu_si128((const __m128i *)(p1 + i));
            __m128i v0 = _mm_unpacklo_epi8(a, b), v1 = _mm_unpackhi_epi8(a, b);
            if (rotate) { v0 = rotr16(v0); v1 = rotr16(v1); }
            _mm_storeu_si128((__m128i *)(d + 2 * i), v0);
            _mm_storeu_si128((__m128i *)(d + 2 * i + 16), v1);
        }
    }
#endif
    for (; i < n; i++) {
        uint32_t v = 0;
        for (size_t k = 0; k < width; k++) v |= (uint32_t)planes[k][i] << (8 * k);
        if (rotate) v = rot_scalar(v, width, 0);
        for (size_t k = 0; k < width; k++) d[width * i + k] = (uint8_t)(v >> (8 * k));
    }
}
