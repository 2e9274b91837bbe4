// Checks every kernel of a CKernels set's table against naive scalar C written here (sums in
// double); the x86-only int8 q8_0 entries (q8p_*, q8_quantize_x, q8_matvec_i8_rows) are left to
// the Swift tests. Why: Swift cannot run on arm64 here, but the C kernels can: Tools/test-arm64-
// kernels cross-compiles this file with the kernels for aarch64 and runs it under qemu-aarch64
// (the portable set, NEON), and runs it natively (portable, plus avx2 and avx512 where the CPU
// has them). f16 conversions are compared with the compiler's _Float16 (arm64: the FCVT
// instruction, IEEE round to nearest even; x86-64: the compiler runtime's), bf16 with
// nearest-even rounding worked out here; tolerances follow Tests/GPT2KernelsTests. Shapes are
// awkward on purpose (tails, partial tiles, IN above the matmul's 1024 chunk). Prints one line
// per check, then "N passed, M failed"; exits 1 on any failure.
#include "gpt2kit_kernels.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const gpt2kit_kernels *K;
static int passed, failed;
static long nbad;                         // wrong values in the current check, the first described in first_bad
static double worst;                      // largest error / tolerance in the current check
static char first_bad[320];

static void bad(const char *fmt, ...) {
    va_list a;
    if (!nbad++) { va_start(a, fmt); vsnprintf(first_bad, sizeof first_bad, fmt, a); va_end(a); }
}
static void start(void) { nbad = 0; worst = 0; first_bad[0] = 0; }
static void finish(const char *fmt, ...) {
    char name[160];
    va_list a;
    va_start(a, fmt); vsnprintf(name, sizeof name, fmt, a); va_end(a);
    if (nbad) failed++, printf("FAIL %s %s: %ld wrong, first: %s\n", K->name, name, nbad, first_bad);
    else if (worst > 0) passed++, printf("ok   %s %s (max error/tolerance %.3f)\n", K->name, name, worst);
    else passed++, printf("ok   %s %s (exact)\n", K->name, name);
}
static void near(const char *what, size_t i, double got, double ref, double tol) {
    double e = fabs(got - ref);
    if (e <= tol && tol > 0 && e / tol > worst) worst = e / tol;
    if (!(e <= tol) && got != ref) bad("%s[%zu] = %.9g, expected %.9g (tol %.3g)", what, i, got, ref, tol);
}

static void *pool[256];                   // allocations of the current group of checks (release())
static int npool;
static void *alloc(size_t n) { if (npool == 256) abort(); return pool[npool++] = malloc(n + 64); }
static void release(void) { while (npool) free(pool[--npool]); }
// xorshift64: the same inputs on every architecture.
static uint64_t rng;
static uint64_t next64(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static float uni(float s) { return (float)(((double)(next64() >> 11) * 0x1p-53 * 2 - 1) * s); }   // [-s, s)
static float *floats(size_t n, float s) { float *p = alloc(4 * n); for (size_t i = 0; i < n; i++) p[i] = uni(s); return p; }
static float *nans(size_t n) { return memset(alloc(4 * n), 0xFF, 4 * n); }

static uint32_t fbits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static float bitsf(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static uint16_t ref_f16(float x) { _Float16 h = (_Float16)x; uint16_t b; memcpy(&b, &h, 2); return b; }
static float ref_h2f(uint16_t b) { _Float16 h; memcpy(&h, &b, 2); return (float)h; }
static int f16_nan(uint16_t h) { return (h & 0x7C00) == 0x7C00 && (h & 0x3FF); }

// Value of a non-negative f32 bit pattern, exponent 255 read as 2^128 (the value rounding to inf
// is measured against).
static double mag(uint32_t a) {
    uint32_t e = a >> 23, f = a & 0x7FFFFF;
    return e ? ldexp(1.0 + f * 0x1p-23, (int)e - 127) : ldexp(f, -149);
}
// f32 -> bf16, nearest of the two candidates, ties to the even one. NaN inputs: callers check.
static uint16_t ref_bf16(float x) {
    uint32_t b = fbits(x), a = b & 0x7FFFFFFF, s = (b >> 16) & 0x8000;
    if (a >= 0x7F800000) return (uint16_t)(s | (a >> 16));
    uint32_t lo = a >> 16, hi = lo + 1;
    double dl = mag(a) - mag(lo << 16), dh = mag(hi << 16) - mag(a);
    return (uint16_t)(s | (dl < dh ? lo : dh < dl ? hi : (lo & 1) ? hi : lo));
}

// ggml Q8_0: d = max|x| / 127 (f32), q = round half away from zero of x * (1/d), d stored as f16.
static void ref_quantize(const float *x, size_t n, uint8_t *out) {
    for (size_t b = 0; b < n / 32; b++, x += 32, out += 34) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fabsf(x[j]) > amax ? fabsf(x[j]) : amax;
        float d = amax / 127, id = d == 0 ? 0 : 1 / d;
        uint16_t h = ref_f16(d);
        memcpy(out, &h, 2);
        for (int j = 0; j < 32; j++) {
            float p = x[j] * id, r = roundf(p);
            out[2 + j] = (uint8_t)(int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
        }
    }
}

// Element k of q8_0 blocks: d (f16) times q; exact in f32 (11 + 7 significant bits).
static float ref_q8(const uint8_t *blocks, size_t k) {
    uint16_t d;
    memcpy(&d, blocks + 34 * (k / 32), 2);
    return ref_h2f(d) * (int8_t)blocks[34 * (k / 32) + 2 + k % 32];
}

// ---- conversions --------------------------------------------------------------------------------
// Each conversion runs once over the whole input and again in 3-element calls (the scalar tails).
static void check_conversions(void) {
    enum { N = 65536 };
    uint16_t *h = alloc(2 * N);
    float *a = alloc(4 * N), *b = alloc(4 * N);
    for (uint32_t i = 0; i < N; i++) h[i] = (uint16_t)i;
    for (int bf = 0; bf < 2; bf++) {
        void (*f)(const void *, float *, size_t) = bf ? K->bf16_to_f32 : K->f16_to_f32;
        start();
        f(h, a, N);
        for (size_t i = 0; i < N; i += 3) f(h + i, b + i, N - i < 3 ? N - i : 3);
        for (size_t i = 0; i < N; i++) {
            float r = bf ? bitsf((uint32_t)h[i] << 16) : ref_h2f(h[i]);
            for (int t = 0; t < 2; t++) {
                float g = t ? b[i] : a[i];
                int ok = !bf && f16_nan(h[i]) ? isnan(g) && signbit(g) == signbit(r) : fbits(g) == fbits(r);
                if (!ok) bad("%04x -> %08x, expected %08x%s", h[i], fbits(g), fbits(r), t ? " (tail)" : "");
            }
        }
        finish("%s: all 65536 bit patterns", bf ? "bf16_to_f32" : "f16_to_f32");
    }
    // f32 inputs: every f16 value; f16 midpoints and their f32 neighbours (ties, just off ties,
    // the overflow threshold 65520); random bits; random bits around f16's range; bf16 ties.
    size_t n = 0, cap = N + 6 * 31744 + (5u << 18);
    float *x = alloc(4 * cap);
    for (uint32_t i = 0; i < N; i++) x[n++] = ref_h2f((uint16_t)i);
    for (uint32_t i = 0; i < 0x7C00; i++) {
        float m = (float)(((double)ref_h2f((uint16_t)i) + (i == 0x7BFF ? 65536.0 : ref_h2f((uint16_t)(i + 1)))) / 2);
        float v[3] = {m, nextafterf(m, 0), nextafterf(m, INFINITY)};
        for (int k = 0; k < 3; k++) { x[n++] = v[k]; x[n++] = -v[k]; }
    }
    for (uint32_t i = 0; i < (1u << 18); i++) {
        uint32_t r = (uint32_t)next64();
        x[n++] = bitsf(r);
        x[n++] = bitsf((r & 0x807FFFFFu) | ((100 + (r >> 8) % 46) << 23));   // 2^-27 .. 2^18
        x[n++] = bitsf((r & 0xFFFF0000u) | 0x8000u);
        x[n++] = bitsf((r & 0xFFFF0000u) | 0x7FFFu);
        x[n++] = bitsf((r & 0xFFFF0000u) | 0x8001u);
    }
    uint16_t *o = alloc(2 * n), *o2 = alloc(2 * n);
    for (int bf = 0; bf < 2; bf++) {
        void (*f)(const float *, void *, size_t) = bf ? K->f32_to_bf16 : K->f32_to_f16;
        start();
        f(x, o, n);
        for (size_t i = 0; i < n; i += 3) f(x + i, o2 + i, n - i < 3 ? n - i : 3);
        for (size_t i = 0; i < n; i++) {
            uint16_t r = bf ? ref_bf16(x[i]) : ref_f16(x[i]);
            for (int t = 0; t < 2; t++) {
                uint16_t g = t ? o2[i] : o[i];
                int ok = isnan(x[i]) ? (bf ? (g & 0x7F80) == 0x7F80 && (g & 0x7F) : f16_nan(g)) && (g >> 15) == !!signbit(x[i])
                                     : g == r;
                if (!ok) bad("%08x -> %04x, expected %04x%s", fbits(x[i]), g, r, t ? " (tail)" : "");
            }
        }
        finish("%s: %zu inputs (ties, overflow, random bits)", bf ? "f32_to_bf16" : "f32_to_f16", n);
    }

    // q8_0: blocks over 6 decades, a zero block, exact ties (d = 1), a negative maximum.
    enum { NB = 40 };
    float *q = floats(32 * NB, 1);
    for (int bl = 3; bl < NB; bl++) { float s = powf(10, uni(3)); for (int j = 0; j < 32; j++) q[32 * bl + j] *= s; }
    for (int j = 0; j < 32; j++) { q[j] = 0; q[32 + j] = j == 0 ? 127 : (float)j - 16.5f; }
    q[64 + 7] = -5;
    uint8_t got[34 * NB], ref[34 * NB];
    K->quantize_q8_0(q, got, 32 * NB);
    ref_quantize(q, 32 * NB, ref);
    start();
    for (size_t i = 0; i < sizeof ref; i++)
        if (got[i] != ref[i]) bad("block %zu byte %zu: %02x, expected %02x", i / 34, i % 34, got[i], ref[i]);
    finish("quantize_q8_0: %d blocks", NB);
    float *dq = nans(32 * NB);
    K->dequantize_q8_0(ref, dq, 32 * NB);
    start();
    for (size_t i = 0; i < 32 * NB; i++) if (fbits(dq[i]) != fbits(ref_q8(ref, i))) bad("element %zu: %.9g", i, dq[i]);
    finish("dequantize_q8_0: %d blocks", NB);
    release();
}

// ---- elementwise ops ------------------------------------------------------------------------------
static void check_elementwise(void) {
    size_t n = 1003;
    float *x = floats(n, 4), *y = floats(n, 4), *y0 = alloc(4 * n);
    memcpy(y0, y, 4 * n);
    K->add(y, x, n);
    start();
    for (size_t i = 0; i < n; i++) if (fbits(y[i]) != fbits(y0[i] + x[i])) bad("add[%zu]", i);
    finish("add: n %zu", n);

    // exp, tanh, erf over [-100, 100] in steps of 0.0137 and specials, as OpsTests.
    enum { M = 14608 };
    float sp[8] = {0, -0.0f, 1e-30f, -1e-30f, 88.5f, -87, INFINITY, -INFINITY}, *v = alloc(4 * M), *r = alloc(4 * M);
    for (size_t i = 0; i < M; i++) v[i] = i < M - 8 ? (float)(-100 + 0.0137 * (double)i) : sp[i - (M - 8)];
    for (int f = 0; f < 3; f++) {
        memcpy(r, v, 4 * M);
        (f == 0 ? K->exp : f == 1 ? K->tanh : K->erf)(r, M);
        start();
        for (size_t i = 0; i < M; i++) {
            double xi = v[i];
            float e = (float)exp(xi);
            if (f == 1) near("tanh", i, r[i], tanh(xi), 2e-7);
            else if (f == 2) near("erf", i, r[i], erf(xi), 5e-7);
            else if (!isinf(e) && e >= 0x1p-126f && xi <= 88.6) near("exp", i, r[i], e, 4e-7 * e);
            else if (!(r[i] == e || fabsf(r[i] - e) <= 0x1p-126f || xi > 88.6)) bad("exp(%.9g) = %.9g", xi, r[i]);
        }
        finish("%s: %d points in [-100, 100] and specials", f == 0 ? "exp" : f == 1 ? "tanh" : "erf", M);
    }
    float nan1 = NAN;
    K->exp(&nan1, 1);
    start(); if (!isnan(nan1)) bad("exp(NaN) = %g", nan1); finish("exp(NaN) is NaN");

    float sp2[5] = {0, -0.0f, 20, -20, 1e-6f}, *gx = floats(1008, 8), *gy = alloc(4 * 1008);
    memcpy(gx + 1003, sp2, sizeof sp2);
    for (int form = 0; form < 2; form++) {
        memcpy(gy, gx, 4 * 1008);
        (form ? K->gelu_erf : K->gelu_tanh)(gy, 1008);
        start();
        for (size_t i = 0; i < 1008; i++) {
            double xi = gx[i];
            double ref = 0.5 * xi * (1 + (form ? erf(xi / sqrt(2.0)) : tanh(sqrt(2 / M_PI) * (xi + 0.044715 * xi * xi * xi))));
            near("gelu", i, gy[i], ref, 3e-7 * (1 + fabs(xi)));
        }
        finish("%s: 1008 points in [-8, 8] and specials", form ? "gelu_erf" : "gelu_tanh");
    }

    size_t shapes[5][2] = {{1, 768}, {3, 50}, {4, 7}, {2, 1}, {5, 19}};
    for (int s = 0; s < 5; s++) {
        size_t T = shapes[s][0], C = shapes[s][1];
        float *lx = floats(T * C, 3), *w = floats(C, 1), *b = floats(C, 1), *out = nans(T * C);
        for (size_t i = 0; i < T * C; i++) lx[i] += 5;                       // offset mean: tests centring
        for (int bias = 0; bias < 2; bias++) {
            K->layer_norm(out, lx, w, bias ? b : NULL, T, C, 1e-5f);
            start();
            for (size_t t = 0; t < T; t++) {
                const float *xr = lx + t * C;
                double mean = 0, var = 0;
                for (size_t i = 0; i < C; i++) mean += xr[i] / (double)C;
                for (size_t i = 0; i < C; i++) var += (xr[i] - mean) * (xr[i] - mean) / (double)C;
                for (size_t i = 0; i < C; i++) {
                    double ref = (xr[i] - mean) / sqrt(var + 1e-5) * w[i] + (bias ? b[i] : 0);
                    near("out", t * C + i, out[t * C + i], ref, 2e-5 * (1 + fabs(ref)));
                }
            }
            finish("layer_norm: T %zu C %zu%s", T, C, bias ? " bias" : "");
        }
    }

    size_t sizes[6] = {1, 5, 16, 17, 1000, 50257};
    for (int s = 0; s < 6; s++) {
        size_t L = sizes[s], at = (size_t)(next64() % L);
        float *sx = floats(L, 30), *sm = alloc(4 * L);
        sx[at] = 31;                                 // the maximum anywhere, the tail included
        memcpy(sm, sx, 4 * L);
        K->softmax_row(sm, L);
        double mx = 31, sum = 0, abs_sum = 0, plain = 0;
        for (size_t i = 0; i < L; i++) { sum += exp(sx[i] - mx); plain += sx[i]; abs_sum += fabs(sx[i]); }
        start();
        for (size_t i = 0; i < L; i++) near("p", i, sm[i], exp(sx[i] - mx) / sum, 1e-6 * exp(sx[i] - mx) / sum + 1e-9);
        finish("softmax_row: n %zu", L);
        start(); near("max", 0, K->max(sx, L), mx, 0); finish("max: n %zu, at %zu", L, at);
        double lse = mx + log(sum);
        start(); near("logsumexp", 0, K->logsumexp(sx, L), lse, 2e-6 * fabs(lse) + 1e-6); finish("logsumexp: n %zu", L);
        // f32 lanes of about n/16 terms each: the classic bound (terms + 8) u Σ|x|.
        start(); near("sum", 0, K->read_sum(sx, L), plain, (L / 16.0 + 8) * 0x1p-24 * abs_sum); finish("read_sum: n %zu", L);
    }
    release();
}

// ---- linear layers --------------------------------------------------------------------------------
// Weights [rows, cols] in `type`, encoded by the references above; dec: the same values as double.
typedef struct { int type; size_t rows, cols, row_bytes; uint8_t *bytes; double *dec; } Weights;
static const char *type_names[4] = {"f32", "f16", "bf16", "q8_0"};

static Weights make_weights(int type, size_t rows, size_t cols) {
    Weights w = {type, rows, cols, 0, NULL, NULL};
    // Rows 16 bytes further apart than their size: the kernels must use row_bytes.
    w.row_bytes = (type == GPT2KIT_F32 ? 4 * cols : type == GPT2KIT_Q8_0 ? cols / 32 * 34 : 2 * cols) + 16;
    w.bytes = memset(alloc(rows * w.row_bytes), 0, rows * w.row_bytes);
    w.dec = alloc(8 * rows * cols);
    float *all = floats(rows * cols, 1);
    for (size_t r = 0; r < rows; r++) {
        float *f = all + r * cols;
        uint8_t *p = w.bytes + r * w.row_bytes;
        for (size_t k = 0; k < cols; k++) {
            uint16_t h = type == GPT2KIT_F16 ? ref_f16(f[k]) : ref_bf16(f[k]);
            if (type == GPT2KIT_F32) memcpy(p + 4 * k, f + k, 4);
            else if (type != GPT2KIT_Q8_0) memcpy(p + 2 * k, &h, 2);
            w.dec[r * cols + k] = type == GPT2KIT_F32 ? f[k] : type == GPT2KIT_F16 ? ref_h2f(h) : bitsf((uint32_t)h << 16);
        }
        if (type == GPT2KIT_Q8_0) {
            ref_quantize(f, cols, p);
            for (size_t k = 0; k < cols; k++) w.dec[r * cols + k] = ref_q8(p, k);
        }
    }
    return w;
}

// y[t, r] against Σ w x + bias in double; tolerance 2e-6 Σ|w x| + 1e-7 (+ 1e-6 |bias|), as LinearTests.
static void compare_linear(const Weights *w, const float *x, const float *bias, const float *y, size_t T) {
    for (size_t t = 0; t < T; t++)
        for (size_t r = 0; r < w->rows; r++) {
            const double *wr = w->dec + r * w->cols;
            double s = 0, a = 0;
            for (size_t k = 0; k < w->cols; k++) s += wr[k] * x[t * w->cols + k], a += fabs(wr[k] * x[t * w->cols + k]);
            double b = bias ? bias[r] : 0;
            near("y", t * w->rows + r, y[t * w->rows + r], s + b, 2e-6 * a + 1e-7 + 1e-6 * fabs(b));
        }
}

static void check_linear(void) {
    size_t tw = K->tile_cols;
    for (int type = 0; type < 4; type++) {
        int q8 = type == GPT2KIT_Q8_0;
        // matvec_rows: rows 5..R first (rows 0..4 must stay untouched), then 0..4, as two threads would.
        size_t mv_cols[2] = {q8 ? 96 : 77, q8 ? 1120 : 1100};
        for (int c = 0; c < 4; c++) {
            Weights w = make_weights(type, 13, mv_cols[c / 2]);
            float *x = floats(w.cols, 1), *y = nans(w.rows), *bias = c % 2 ? floats(w.rows, 1) : NULL;
            K->matvec_rows(type, y, x, w.bytes, w.row_bytes, w.cols, bias, 5, w.rows);
            start();
            for (size_t r = 0; r < 5; r++) if (!isnan(y[r])) bad("row %zu written outside r0..<r1", r);
            K->matvec_rows(type, y, x, w.bytes, w.row_bytes, w.cols, bias, 0, 5);
            compare_linear(&w, x, bias, y, 1);
            finish("matvec_rows %s: 13 x %zu%s", type_names[type], w.cols, bias ? " bias" : "");
        }
        // matvec_multi_rows: T = 2..5 and 7 (groups of 4 with a partial last one).
        Weights w = make_weights(type, 13, q8 ? 96 : 77);
        float *bias = floats(w.rows, 1);
        size_t Ts[5] = {2, 3, 4, 5, 7};
        for (int i = 0; i < 5; i++) {
            size_t T = Ts[i];
            float *x = floats(T * w.cols, 1), *y = nans(T * w.rows), *bb = T == 3 ? NULL : bias;
            K->matvec_multi_rows(type, y, x, T, w.bytes, w.row_bytes, w.cols, w.rows, bb, 6, w.rows);
            K->matvec_multi_rows(type, y, x, T, w.bytes, w.row_bytes, w.cols, w.rows, bb, 0, 6);
            start();
            compare_linear(&w, x, bb, y, T);
            finish("matvec_multi_rows %s: T %zu, 13 x %zu%s", type_names[type], T, w.cols, bb ? " bias" : "");
        }
        // matmul as GPT2Kernels.Linear calls it: xt of ceil(T/tw) tiles, then ceil(OUT/6) row
        // blocks; each phase split in two calls, as between threads.
        size_t mm[3][3] = {{5, q8 ? 96 : 77, 13}, {tw + 3, q8 ? 1120 : 1100, 13}, {2 * tw + 1, q8 ? 224 : 200, 7}};
        for (int s = 0; s < 3; s++) {
            size_t T = mm[s][0], IN = mm[s][1], OUT = mm[s][2], tB = (T + tw - 1) / tw, blocks = (OUT + 5) / 6;
            Weights m = make_weights(type, OUT, IN);
            float *x = floats(T * IN, 1), *xt = nans(tB * tw * IN), *y = nans(T * OUT), *bb = s == 1 ? NULL : bias;
            K->matmul_transpose(xt, x, T, IN, 0, tB / 2);
            K->matmul_transpose(xt, x, T, IN, tB / 2, tB);
            start();
            for (size_t i = 0; type == 0 && i < tB * tw * IN; i++) {    // xt[tb][k][j] = x[tb tw + j][k], 0 past T
                size_t t = i / (tw * IN) * tw + i % tw, k = i / tw % IN;
                if (fbits(xt[i]) != fbits(t < T ? x[t * IN + k] : 0)) bad("xt[%zu] = %g (position %zu, k %zu)", i, xt[i], t, k);
            }
            if (type == 0) finish("matmul_transpose: T %zu IN %zu tile_cols %zu", T, IN, tw), start();
            K->matmul_rows(type, y, xt, m.bytes, m.row_bytes, IN, OUT, bb, T, 0, 1);
            K->matmul_rows(type, y, xt, m.bytes, m.row_bytes, IN, OUT, bb, T, 1, blocks);
            compare_linear(&m, x, bb, y, T);
            finish("matmul_rows %s: T %zu, %zu x %zu%s", type_names[type], T, OUT, IN, bb ? " bias" : "");
        }
        release();
    }
}

// ---- attention and the f16 KV cache -------------------------------------------------------------------
// Layout (GPT2Kernels/KVLayer.swift): keys [heads][tiles][HS][16], values [heads][capacity][HS].
static void check_attention(size_t heads, size_t HS, size_t L) {
    size_t cap = L + 21, tiles = (cap + 15) / 16, C = heads * HS, nk = heads * tiles * HS * 16, nv = heads * cap * HS;
    float *kr = floats(L * C, 2), *vr = floats(L * C, 2), *q = floats(C, 2);
    float *kf = nans(nk), *vf = nans(nv);                      // NaN in unused slots: they must not leak in
    uint16_t *kh = alloc(2 * nk), *vh = alloc(2 * nv), *kh_ref = alloc(2 * nk), *vh_ref = alloc(2 * nv);
    memset(kh, 0xFF, 2 * nk); memset(vh, 0xFF, 2 * nv); memset(kh_ref, 0xFF, 2 * nk); memset(vh_ref, 0xFF, 2 * nv);
    for (size_t j = 0; j < L; j++) {
        for (size_t h = 0; h < heads; h++)
            for (size_t i = 0; i < HS; i++) {
                size_t ki = ((h * tiles + j / 16) * HS + i) * 16 + j % 16, vi = (h * cap + j) * HS + i;
                kf[ki] = kr[j * C + h * HS + i]; vf[vi] = vr[j * C + h * HS + i];
                kh_ref[ki] = ref_f16(kf[ki]); vh_ref[vi] = ref_f16(vf[vi]);
            }
        K->kv_store_f16(kh, vh, heads, HS, cap, j, kr + j * C, vr + j * C);
    }
    start();
    for (size_t i = 0; i < nk; i++) if (kh[i] != kh_ref[i]) { bad("keys[%zu] = %04x, expected %04x", i, kh[i], kh_ref[i]); break; }
    for (size_t i = 0; i < nv; i++) if (vh[i] != vh_ref[i]) { bad("values[%zu] = %04x, expected %04x", i, vh[i], vh_ref[i]); break; }
    finish("kv_store_f16: heads %zu HS %zu positions %zu of %zu", heads, HS, L, cap);
    float scale = 1 / sqrtf((float)HS), *o = alloc(4 * HS), *scores = alloc(4 * (L + 20));
    double *kd = alloc(8 * L * HS), *vd = alloc(8 * L * HS), *p = alloc(8 * L);
    for (int e16 = 0; e16 < 2; e16++) {
        start();
        for (size_t h = 0; h < heads; h++) {
            const float *qh = q + h * HS;
            for (size_t j = 0; j < L; j++)             // this head's keys and values as the kernel reads them
                for (size_t i = 0; i < HS; i++) {
                    size_t ki = ((h * tiles + j / 16) * HS + i) * 16 + j % 16, vi = (h * cap + j) * HS + i;
                    kd[j * HS + i] = e16 ? ref_h2f(kh_ref[ki]) : kf[ki];
                    vd[j * HS + i] = e16 ? ref_h2f(vh_ref[vi]) : vf[vi];
                }
            for (size_t i = L + 16; i < L + 20; i++) scores[i] = 12345;   // room is L + 16: guards past it
            if (e16) K->attend_f16(o, qh, kh + h * tiles * HS * 16, vh + h * cap * HS, HS, L, scale, scores);
            else K->attend_f32(o, qh, kf + h * tiles * HS * 16, vf + h * cap * HS, HS, L, scale, scores);
            for (size_t i = L + 16; i < L + 20; i++) if (scores[i] != 12345) bad("scores[%zu] written past L + 16", i);
            // Scores err by at most a linear layer's bound (emax), which moves each softmax weight by
            // <= 2 emax relative, plus exp and rounding (6e-6 in all); o's own f32 sum adds 1e-7.
            double mx = -INFINITY, sum = 0, emax = 0;
            for (size_t j = 0; j < L; j++) {
                double s = 0, a = 0;
                for (size_t i = 0; i < HS; i++) s += qh[i] * kd[j * HS + i], a += fabs(qh[i] * kd[j * HS + i]);
                p[j] = s * scale;
                mx = p[j] > mx ? p[j] : mx;
                emax = 2e-6 * a * scale + 1e-7 > emax ? 2e-6 * a * scale + 1e-7 : emax;
            }
            for (size_t j = 0; j < L; j++) sum += p[j] = exp(p[j] - mx);
            for (size_t c = 0; c < HS; c++) {
                double r = 0, a = 0;
                for (size_t j = 0; j < L; j++) r += p[j] / sum * vd[j * HS + c], a += p[j] / sum * fabs(vd[j * HS + c]);
                near("o", h * HS + c, o[c], r, a * (2 * emax + 6e-6) + 1e-7);
            }
        }
        finish("%s: heads %zu HS %zu L %zu", e16 ? "attend_f16" : "attend_f32", heads, HS, L);
    }
    release();
}

int main(void) {
    const gpt2kit_set sets[3] = {GPT2KIT_SET_PORTABLE, GPT2KIT_SET_AVX2, GPT2KIT_SET_AVX512};
    const char *labels[3] = {"portable", "avx2", "avx512"};
    for (int s = 0; s < 3; s++) {
        K = gpt2kit_kernels_for(sets[s]);
        if (!K) {
            if (s == 0) { failed++; printf("FAIL no portable kernel set\n"); }
            else printf("skip %s: not on this CPU or architecture\n", labels[s]);
            continue;
        }
        printf("== %s (tile_cols %zu, CPU features 0x%x)\n", K->name, K->tile_cols, gpt2kit_cpu_features());
        rng = 88172645463325252ull;
        check_conversions();
        check_elementwise();
        check_linear();
        size_t att[6][3] = {{2, 5, 1}, {2, 13, 17}, {3, 64, 40}, {1, 70, 33}, {2, 16, 27}, {1, 300, 3}};
        for (int i = 0; i < 6; i++) check_attention(att[i][0], att[i][1], att[i][2]);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
