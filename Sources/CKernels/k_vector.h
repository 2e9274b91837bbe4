// The vector layer every kernel set is written in: one native vector `vf` of VW floats, with
// loads, stores, conversions and exp/tanh/erf. Included by each isa_*.c after it defines
//   VW            floats per vector (16 AVX-512, 8 AVX2, 4 portable: SSE2 on x86-64, NEON on arm64)
//   ISA_F16C      1 when vcvtph2ps/vcvtps2ph exist (AVX2 and AVX-512 sets)
//   ISA_AVX512    1 in the AVX-512 set (masked loads and stores)
// and, for the AVX sets, a `#pragma clang attribute push(target(...))` around the include, so
// every function here (static inline ones too) is compiled for that set and nothing else.
// Written with clang's vector extensions: the same source gives zmm, ymm or xmm/NEON code.
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#if ISA_F16C
#include <immintrin.h>
#endif

typedef float vf __attribute__((vector_size(VW * 4)));
typedef int32_t vi __attribute__((vector_size(VW * 4)));
typedef uint32_t vu __attribute__((vector_size(VW * 4)));
// Unaligned, aliasing views for loads and stores from any address.
typedef float vf_u __attribute__((vector_size(VW * 4), aligned(1), may_alias));
typedef uint16_t vh_u __attribute__((vector_size(VW * 2), aligned(1), may_alias));
typedef uint16_t vh __attribute__((vector_size(VW * 2)));
typedef int8_t vb_u __attribute__((vector_size(VW), aligned(1), may_alias));
typedef int8_t vb __attribute__((vector_size(VW)));

#define INLINE static inline __attribute__((always_inline))

// One value in every lane (a broadcast; `(vf){} + s` would be an add, since 0 + -0 is +0).
INLINE vf splat(float s) {
    vf v;
    for (int i = 0; i < VW; i++) v[i] = s;
    return v;
}
INLINE vf load(const float *p) { return *(const vf_u *)p; }
INLINE void store(float *p, vf v) { *(vf_u *)p = v; }
INLINE vf select_v(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
// a unless b is larger (smaller): a NaN in b never wins, as Swift's max(a, b) in the references.
INLINE vf vmax(vf a, vf b) { return select_v(b > a, b, a); }
INLINE vf vmin(vf a, vf b) { return select_v(b < a, b, a); }
INLINE vf vabs(vf a) { return (vf)((vu)a & 0x7FFFFFFFu); }

// a * b + c: one fused instruction where the set has FMA; the portable set leaves the choice to
// the compiler (NEON fuses, SSE2 cannot).
#if ISA_F16C
INLINE vf fma_v(vf a, vf b, vf c) { return __builtin_elementwise_fma(a, b, c); }
#else
INLINE vf fma_v(vf a, vf b, vf c) { return a * b + c; }
#endif

// Horizontal sum as a tree of halves.
INLINE float hsum(vf v) {
#if VW == 16
    typedef float v8 __attribute__((vector_size(32)));
    v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
#elif VW == 8
    typedef float v8 __attribute__((vector_size(32)));
    v8 a = v;
#endif
#if VW >= 8
    typedef float v4 __attribute__((vector_size(16)));
    v4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
#else
    typedef float v4 __attribute__((vector_size(16)));
    v4 b = v;
#endif
    return (b[0] + b[2]) + (b[1] + b[3]);
}

INLINE float hmax(vf v) {
    float m = v[0];
    for (int i = 1; i < VW; i++) m = v[i] > m ? v[i] : m;
    return m;
}

// d[j][k] = s[k][j] for a 4 x 4 block (rows lds / ldd floats apart), in 128-bit vectors, which
// every set has (SSE2, NEON): 4 loads, 8 shuffles and 4 stores instead of 16 scalar moves.
typedef float v4f __attribute__((vector_size(16)));
typedef float v4f_u __attribute__((vector_size(16), aligned(1), may_alias));
INLINE void transpose4x4(float *d, size_t ldd, const float *s, size_t lds) {
    v4f r0 = *(const v4f_u *)s, r1 = *(const v4f_u *)(s + lds);
    v4f r2 = *(const v4f_u *)(s + 2 * lds), r3 = *(const v4f_u *)(s + 3 * lds);
    v4f a = __builtin_shufflevector(r0, r1, 0, 4, 1, 5), b = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
    v4f c = __builtin_shufflevector(r2, r3, 0, 4, 1, 5), e = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
    *(v4f_u *)d = __builtin_shufflevector(a, c, 0, 1, 4, 5);
    *(v4f_u *)(d + ldd) = __builtin_shufflevector(a, c, 2, 3, 6, 7);
    *(v4f_u *)(d + 2 * ldd) = __builtin_shufflevector(b, e, 0, 1, 4, 5);
    *(v4f_u *)(d + 3 * ldd) = __builtin_shufflevector(b, e, 2, 3, 6, 7);
}

// d[c·ldd + r] = s[r·lds + c] for r < rows, c < cols: transpose4x4 blocks, scalar moves at the
// edges. The one transposition loop of the kernels (prompt tiles, dyᵀ, attention keys).
INLINE void transpose_rect(float *d, size_t ldd, const float *s, size_t lds, size_t rows, size_t cols) {
    size_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        size_t c = 0;
        for (; c + 4 <= cols; c += 4) transpose4x4(d + c * ldd + r, ldd, s + r * lds + c, lds);
        for (; c < cols; c++)
            for (size_t q = 0; q < 4; q++) d[c * ldd + r + q] = s[(r + q) * lds + c];
    }
    for (; r < rows; r++)
        for (size_t c = 0; c < cols; c++) d[c * ldd + r] = s[r * lds + c];
}

// ---- f16 <-> f32 ----------------------------------------------------------------------------
// Portable versions by bit arithmetic (exact, same results as vcvtph2ps / vcvtps2ph with
// round-to-nearest-even); the AVX sets use the instructions.

// f16 bits -> f32: the 15 magnitude bits shifted into an f32's place are the value scaled by
// 2^-112 (normal and subnormal alike), so one multiply by 2^112 finishes; inf/NaN get the f32
// exponent directly.
INLINE vf f16_bits_to_f32_soft(vu h) {
    vu mag = (h & 0x7FFFu) << 13;
    vf f = (vf)mag * 0x1p112f;
    vi special = (vi)((h & 0x7C00u) == 0x7C00u);
    vf inf_nan = (vf)(mag | 0x7F800000u);
    f = select_v(special, inf_nan, f);
    return (vf)((vu)f | ((h & 0x8000u) << 16));
}

// f32 -> f16 bits, round to nearest even. Three ranges of |x|: above f16's range (inf, or NaN
// kept quiet), f16 subnormals (an f32 add of 0.5 aligns the value so the FPU's own rounding is
// the f16 rounding), and normals (rebias the exponent, round on bit 13 with the usual
// 0xFFF + lsb add).
INLINE vu f32_to_f16_bits_soft(vf x) {
    vu b = (vu)x;
    vu sign = (b >> 16) & 0x8000u;
    vu a = b & 0x7FFFFFFFu;
    vu nan = (vu)(a > 0x7F800000u);
    vu over = (vu)(a >= 0x477FF000u);          // >= 65520: rounds to inf
    vu sub = (vu)(a < 0x38800000u);            // < 2^-14: f16 subnormal or zero
    vu r_inf = 0x7C00u | (nan & (0x200u | ((a >> 13) & 0x3FFu)));
    vu r_sub = (vu)((vf)a + 0.5f) - 0x3F000000u;
    vu r_norm = (a + 0xC8000FFFu + ((a >> 13) & 1u)) >> 13;   // 0xC8000000 = (15 - 127) << 23
    vu r = (sub & r_sub) | (~sub & r_norm);
    r = (over & r_inf) | (~over & r);
    return (r | sign) & 0xFFFFu;
}

INLINE float f16_to_f32_1(uint16_t h) {
#if ISA_F16C
    return _cvtsh_ss(h);
#else
    vu v;
    for (int i = 0; i < VW; i++) v[i] = h;
    return f16_bits_to_f32_soft(v)[0];
#endif
}

INLINE uint16_t f32_to_f16_1(float x) { return (uint16_t)f32_to_f16_bits_soft(splat(x))[0]; }

// VW f16 at p as f32.
INLINE vf load_f16(const void *p) {
#if ISA_F16C && VW == 16
    return (vf)_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
#elif ISA_F16C && VW == 8
    return (vf)_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
#else
    return f16_bits_to_f32_soft(__builtin_convertvector(*(const vh_u *)p, vu));
#endif
}

// VW f32 as f16 at p, round to nearest even.
INLINE void store_f16(void *p, vf v) {
#if ISA_F16C && VW == 16
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtps_ph((__m512)v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#elif ISA_F16C && VW == 8
    _mm_storeu_si128((__m128i *)p, _mm256_cvtps_ph((__m256)v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
    *(vh_u *)p = __builtin_convertvector(f32_to_f16_bits_soft(v), vh);
#endif
}

// ---- bf16 <-> f32 -----------------------------------------------------------------------------
INLINE vf load_bf16(const void *p) { return (vf)(__builtin_convertvector(*(const vh_u *)p, vu) << 16); }

// Round to nearest even on bit 16; NaN stays NaN (quiet bit set).
INLINE vu f32_to_bf16_bits(vf x) {
    vu b = (vu)x;
    vu rounded = (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
    vu nan = (vu)((b & 0x7FFFFFFFu) > 0x7F800000u);
    return (nan & ((b >> 16) | 0x40u)) | (~nan & rounded);
}

INLINE void store_bf16(void *p, vf v) { *(vh_u *)p = __builtin_convertvector(f32_to_bf16_bits(v), vh); }

INLINE float bf16_to_f32_1(uint16_t h) { uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }
INLINE uint16_t f32_to_bf16_1(float x) { return (uint16_t)f32_to_bf16_bits(splat(x))[0]; }

// VW int8 at p as f32.
INLINE vf load_i8(const void *p) { return __builtin_convertvector(*(const vb_u *)p, vf); }

// ---- exp, tanh, erf ------------------------------------------------------------------------
// exp: x = n ln2 + r, |r| <= ln2/2 (ln2 in two parts so n ln2 is exact), e^r by its degree-7
// Taylor polynomial (truncation < 6e-9), times 2^n built in the exponent bits (as two factors,
// since n reaches 128). Round-to-nearest of x log2(e) by the 1.5 * 2^23 trick (|x| < 2^22).
INLINE vf exp_v(vf x) {
    vf xc = vmin(vmax(x, splat(-87.33f)), splat(88.72f));
    vf n = (xc * 1.44269504f + 12582912.0f) - 12582912.0f;
    vf r = xc - n * 0.69314575f;
    r = r - n * 1.4286068e-6f;
    vf p = splat(1.0f / 5040);
    p = fma_v(p, r, splat(1.0f / 720));
    p = fma_v(p, r, splat(1.0f / 120));
    p = fma_v(p, r, splat(1.0f / 24));
    p = fma_v(p, r, splat(1.0f / 6));
    p = fma_v(p, r, splat(0.5f));
    p = fma_v(p, r, splat(1.0f));
    p = fma_v(p, r, splat(1.0f));
    vi ni = __builtin_convertvector(n, vi);
    vi h = ni >> 1;
    vf s1 = (vf)((h + 127) << 23), s2 = (vf)((ni - h + 127) << 23);
    vf y = p * s1 * s2;
    y = select_v(x < -87.33f, splat(0), y);
    y = select_v(x > 88.72f, splat(__builtin_inff()), y);
    return select_v(x != x, x, y);                        // NaN stays NaN
}

// tanh(u) = sign(u) (1 - 2 / (e^{2|u|} + 1)); absolute error ~1e-7.
INLINE vf tanh_v(vf u) {
    vu sign = (vu)u & 0x80000000u;
    vf a = vabs(u);
    vf e = exp_v(vmin(a + a, splat(80)));
    vf t = 1.0f - 2.0f / (e + 1.0f);
    return (vf)((vu)t | sign);
}

// erf(x) by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7; about 5e-7 in f32), given
// a = min(|x|, 10), e = exp(-a²) and x's sign bit: GELU's backward reuses e for the Gaussian.
INLINE vf erf_from(vf a, vf e, vu sign) {
    vf t = 1.0f / (1.0f + 0.3275911f * a);
    vf p = splat(1.061405429f);
    p = fma_v(p, t, splat(-1.453152027f));
    p = fma_v(p, t, splat(1.421413741f));
    p = fma_v(p, t, splat(-0.284496736f));
    p = fma_v(p, t, splat(0.254829592f));
    p = p * t;
    vf y = 1.0f - p * e;
    return (vf)((vu)y | sign);
}

INLINE vf erf_v(vf x) {
    vf a = vmin(vabs(x), splat(10));
    return erf_from(a, exp_v(-(a * a)), (vu)x & 0x80000000u);
}

// load_part: a vector of the n (0 < n < VW) floats at p, zeros past them; store_part: the
// first n lanes of v to p; keep_first: v's first n lanes, zeros past them. The tails of the
// elementwise and attention loops.
#if defined(ISA_AVX512) && ISA_AVX512
// Masked moves: a vector load right after a variable-length memcpy into a temporary waits for
// store forwarding to fail (~15 cycles), once per row tail in the attention and GELU kernels.
INLINE vf load_part(const float *p, size_t n) { return (vf)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p); }
INLINE void store_part(float *p, vf v, size_t n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v); }
INLINE vf keep_first(vf v, size_t n) { return (vf)_mm512_maskz_mov_ps((__mmask16)((1u << n) - 1), (__m512)v); }
#else
INLINE vf keep_first(vf v, size_t n) {
    vi lane;
    for (int i = 0; i < VW; i++) lane[i] = i;
    return select_v(lane < (int)n, v, splat(0));
}
INLINE vf load_part(const float *p, size_t n) {
    float t[VW] = {0};
    memcpy(t, p, n * 4);
    return load(t);
}
INLINE void store_part(float *p, vf v, size_t n) {
    float t[VW];
    store(t, v);
    memcpy(p, t, n * 4);
}
#endif
