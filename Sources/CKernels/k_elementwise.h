// Element conversions and the elementwise ops of the forward pass, in the vector layer of
// k_vector.h (included before this by each isa_*.c). The oracles are GPT2Kernels' Reference.*.

// ---- conversions -------------------------------------------------------------------------------
static void f16_to_f32(const void *src, float *dst, size_t n) {
    const uint8_t *s = (const uint8_t *)src;
    size_t i = 0;
    for (; i + VW <= n; i += VW) store(dst + i, load_f16(s + 2 * i));
    for (; i < n; i++) { uint16_t h; memcpy(&h, s + 2 * i, 2); dst[i] = f16_to_f32_1(h); }
}

static void f32_to_f16(const float *src, void *dst, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    size_t i = 0;
    for (; i + VW <= n; i += VW) store_f16(d + 2 * i, load(src + i));
    for (; i < n; i++) { uint16_t h = f32_to_f16_1(src[i]); memcpy(d + 2 * i, &h, 2); }
}

static void bf16_to_f32(const void *src, float *dst, size_t n) {
    const uint8_t *s = (const uint8_t *)src;
    size_t i = 0;
    for (; i + VW <= n; i += VW) store(dst + i, load_bf16(s + 2 * i));
    for (; i < n; i++) { uint16_t h; memcpy(&h, s + 2 * i, 2); dst[i] = bf16_to_f32_1(h); }
}

static void f32_to_bf16(const float *src, void *dst, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    size_t i = 0;
    for (; i + VW <= n; i += VW) store_bf16(d + 2 * i, load(src + i));
    for (; i < n; i++) { uint16_t h = f32_to_bf16_1(src[i]); memcpy(d + 2 * i, &h, 2); }
}

// ggml Q8_0, bit-identical to Reference.quantizeQ8_0: d = max|x| / 127 (f32), q = x * (1/d)
// rounded half away from zero, d stored as f16. NaN quantizes to 0, ±inf to ±127.
INLINE vi quantize_lanes(vf v) {
    v = select_v(v == v, v, splat(0));
    v = vmin(vmax(v, splat(-128)), splat(128));          // |v| <= 128: the int conversion is defined
    vf t = __builtin_convertvector(__builtin_convertvector(v, vi), vf);   // truncated
    vf one = (vf)((vu)splat(1) | ((vu)v & 0x80000000u));                // ±1 with v's sign
    vf r = select_v(vabs(v - t) >= 0.5f, t + one, t);
    r = vmin(vmax(r, splat(-127)), splat(127));
    return __builtin_convertvector(r, vi);
}

static void quantize_q8_0(const float *src, void *dst, size_t n) {
    for (size_t b = 0; b < n / 32; b++) {
        const float *x = src + 32 * b;
        uint8_t *out = (uint8_t *)dst + 34 * b;
        vf m = splat(0);
        for (int j = 0; j < 32; j += VW) m = vmax(m, vabs(load(x + j)));
        float amax = hmax(m);
        float d = amax / 127;
        float id = d == 0 ? 0 : 1 / d;
        uint16_t h = f32_to_f16_1(d);
        memcpy(out, &h, 2);
        for (int j = 0; j < 32; j += VW) {
            vb q = __builtin_convertvector(quantize_lanes(load(x + j) * id), vb);
            memcpy(out + 2 + j, &q, VW);
        }
    }
}

static void dequantize_q8_0(const void *src, float *dst, size_t n) {
    for (size_t b = 0; b < n / 32; b++) {
        const uint8_t *blk = (const uint8_t *)src + 34 * b;
        uint16_t h;
        memcpy(&h, blk, 2);
        vf d = splat(f16_to_f32_1(h));
        for (int j = 0; j < 32; j += VW) store(dst + 32 * b + j, d * load_i8(blk + 2 + j));
    }
}

// dst[0..<n] = row elements k0..<k0+n of a weight row of `type` as f32 (q8_0: k0, n multiples of 32).
INLINE void decode_range(int type, const uint8_t *row, size_t k0, size_t n, float *dst) {
    switch (type) {
    case GPT2KIT_F32: memcpy(dst, row + 4 * k0, 4 * n); break;
    case GPT2KIT_F16: f16_to_f32(row + 2 * k0, dst, n); break;
    case GPT2KIT_BF16: bf16_to_f32(row + 2 * k0, dst, n); break;
    default: dequantize_q8_0(row + k0 / 32 * 34, dst, n); break;
    }
}

// ---- elementwise ops --------------------------------------------------------------------------
// Tails run through the same vector code on a zero-padded copy, so every element gets the
// same arithmetic whatever its index.
#define MAP_IN_PLACE(x, n, EXPR)                                          \
    do {                                                                  \
        size_t i_ = 0;                                                    \
        for (; i_ + VW <= (n); i_ += VW) { vf v = load((x) + i_); store((x) + i_, (EXPR)); } \
        if (i_ < (n)) { vf v = load_part((x) + i_, (n) - i_); store_part((x) + i_, (EXPR), (n) - i_); } \
    } while (0)

static void add(float *y, const float *x, size_t n) {
    size_t i = 0;
    for (; i + VW <= n; i += VW) store(y + i, load(y + i) + load(x + i));
    for (; i < n; i++) y[i] += x[i];
}

// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))): GPT-2's "gelu_new".
static void gelu_tanh(float *x, size_t n) {
    MAP_IN_PLACE(x, n, 0.5f * v * (1.0f + tanh_v(0.79788456f * (v + 0.044715f * v * v * v))));
}

// 0.5 x (1 + erf(x / √2)): nn.GELU() as nanoGPT uses it.
static void gelu_erf(float *x, size_t n) { MAP_IN_PLACE(x, n, 0.5f * v * (1.0f + erf_v(v * 0.70710677f))); }

static void exp_n(float *x, size_t n) { MAP_IN_PLACE(x, n, exp_v(v)); }
static void tanh_n(float *x, size_t n) { MAP_IN_PLACE(x, n, tanh_v(v)); }
static void erf_n(float *x, size_t n) { MAP_IN_PLACE(x, n, erf_v(v)); }

// out = (x - mean) / sqrt(var + eps) * w + b per row of C, two passes like torch's layer_norm.
static void layer_norm(float *out, const float *x, const float *w, const float *b, size_t T, size_t C, float eps) {
    for (size_t t = 0; t < T; t++) {
        const float *xr = x + t * C;
        float *o = out + t * C;
        vf acc = splat(0);
        size_t i = 0;
        for (; i + VW <= C; i += VW) acc += load(xr + i);
        float s = hsum(acc);
        for (; i < C; i++) s += xr[i];
        float mean = s / (float)C;
        acc = splat(0);
        for (i = 0; i + VW <= C; i += VW) { vf d = load(xr + i) - mean; acc = fma_v(d, d, acc); }
        float v = hsum(acc);
        for (; i < C; i++) { float d = xr[i] - mean; v += d * d; }
        float rstd = 1.0f / sqrtf(v / (float)C + eps);
        for (i = 0; i + VW <= C; i += VW) {
            vf y = (load(xr + i) - mean) * rstd * load(w + i);
            if (b) y += load(b + i);
            store(o + i, y);
        }
        for (; i < C; i++) o[i] = (xr[i] - mean) * rstd * w[i] + (b ? b[i] : 0.0f);
    }
}

static float max_n(const float *x, size_t n) {
    vf m = splat(-__builtin_inff());
    size_t i = 0;
    for (; i + VW <= n; i += VW) m = vmax(m, load(x + i));
    float s = hmax(m);
    for (; i < n; i++) s = x[i] > s ? x[i] : s;
    return s;
}

// x = softmax(x), max-subtracted.
static void softmax_row(float *x, size_t n) {
    float m = max_n(x, n);
    // Four accumulators: 4·VW partial sums keep the f32 rounding of a 50257-long sum small
    // (one 4-lane accumulator on the portable set was 1.5e-6 off, relative).
    vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 4 * VW <= n; i += 4 * VW) {
        vf e0 = exp_v(load(x + i) - m), e1 = exp_v(load(x + i + VW) - m);
        vf e2 = exp_v(load(x + i + 2 * VW) - m), e3 = exp_v(load(x + i + 3 * VW) - m);
        store(x + i, e0); store(x + i + VW, e1); store(x + i + 2 * VW, e2); store(x + i + 3 * VW, e3);
        a0 += e0; a1 += e1; a2 += e2; a3 += e3;
    }
    for (; i + VW <= n; i += VW) { vf e = exp_v(load(x + i) - m); store(x + i, e); a0 += e; }
    float s = hsum((a0 + a1) + (a2 + a3));
    for (; i < n; i++) { x[i] = exp_v(splat(x[i] - m))[0]; s += x[i]; }
    float inv = 1.0f / s;
    for (i = 0; i + VW <= n; i += VW) store(x + i, load(x + i) * inv);
    for (; i < n; i++) x[i] *= inv;
}

// log Σ exp(x) = max + log Σ exp(x - max); lanes summed in f32, then in double.
static float logsumexp(const float *x, size_t n) {
    float m = max_n(x, n);
    if (m == __builtin_inff() || m == -__builtin_inff()) return m;
    vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 4 * VW <= n; i += 4 * VW) {
        a0 += exp_v(load(x + i) - m); a1 += exp_v(load(x + i + VW) - m);
        a2 += exp_v(load(x + i + 2 * VW) - m); a3 += exp_v(load(x + i + 3 * VW) - m);
    }
    for (; i + VW <= n; i += VW) a0 += exp_v(load(x + i) - m);
    double s = hsum((a0 + a1) + (a2 + a3));
    for (; i < n; i++) s += exp_v(splat(x[i] - m))[0];
    return m + (float)log(s);
}

// Σ of the n floats at p (any bit patterns): the fastest read of n·4 bytes, the memory-read
// ceiling the benchmarks compare the matvec with (same software prefetch as the matvec).
static float read_sum(const float *p, size_t n) {
    vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0, pf = gpt2kit_stream_prefetch();
    for (; i + 4 * VW <= n; i += 4 * VW) {
        if (pf) for (size_t c = 0; c < 16 * VW; c += 64) __builtin_prefetch((const uint8_t *)(p + i) + pf + c);
        a0 += load(p + i); a1 += load(p + i + VW); a2 += load(p + i + 2 * VW); a3 += load(p + i + 3 * VW);
    }
    float s = hsum((a0 + a1) + (a2 + a3));
    for (; i < n; i++) s += p[i];
    return s;
}
