// Linear layers y = x · Wᵀ + b with W [OUT, IN] row-major in its stored type (f32, f16, bf16,
// q8_0), in the vector layer of k_vector.h. Three shapes:
//  - matvec (T = 1, generation): memory-bound, every weight byte read once per token; one row at
//    a time front to back (one sequential stream per thread) with four accumulators (FMA
//    latency), x stays in L1;
//  - multi (2 <= T <= 4): each weight vector loaded once and multiplied into up to 4 x rows;
//  - matmul (longer prompts): compute-bound register tiling. x is transposed into tiles of
//    TW = 2·VW positions (xt[tb][k][TW]), W is consumed 6 rows at a time (f32 in place, other
//    types decoded into a KC-long scratch), and the 6 x TW micro-kernel keeps 12 accumulator
//    vectors: 12 zmm on AVX-512 (6x32), 12 ymm on AVX2 (6x16, of its 16 registers), 12 xmm on
//    SSE2 (6x8). IN is cut into KC chunks so an xt chunk stays in L2.
// The caller (GPT2Kernels) splits rows (matvec, multi) or 6-row blocks (matmul) between threads.

#define TW (2 * VW)
#define MR 6
#define KC 1024

// VW weights of a row of `type` from element i (q8_0: i a multiple of VW, blocks of 32).
INLINE vf load_w(int type, const uint8_t *p, size_t i) {
    switch (type) {
    case GPT2KIT_F32: return load((const float *)(const void *)(p + 4 * i));
    case GPT2KIT_F16: return load_f16(p + 2 * i);
    case GPT2KIT_BF16: return load_bf16(p + 2 * i);
    default: {
        const uint8_t *blk = p + (i >> 5) * 34;
        uint16_t h;
        memcpy(&h, blk, 2);
        return f16_to_f32_1(h) * load_i8(blk + 2 + (i & 31));
    }
    }
}

INLINE float load_w1(int type, const uint8_t *p, size_t i) {
    uint16_t h;
    switch (type) {
    case GPT2KIT_F32: { float f; memcpy(&f, p + 4 * i, 4); return f; }
    case GPT2KIT_F16: memcpy(&h, p + 2 * i, 2); return f16_to_f32_1(h);
    case GPT2KIT_BF16: memcpy(&h, p + 2 * i, 2); return bf16_to_f32_1(h);
    default: {
        const uint8_t *blk = p + (i >> 5) * 34;
        memcpy(&h, blk, 2);
        return f16_to_f32_1(h) * (float)(int8_t)blk[2 + (i & 31)];
    }
    }
}

// Bytes per element of a row of `type` (q8_0: about 1).
INLINE size_t elem_bytes(int type) { return type == GPT2KIT_F32 ? 4 : type == GPT2KIT_Q8_0 ? 1 : 2; }

// Row · x for f32/f16/bf16 rows. Software prefetch `pf` bytes ahead in the row stream, a line
// per 64 bytes consumed, where gpt2kit_stream_prefetch says it helps (0: none).
INLINE float dot_row(int type, const uint8_t *p, const float *x, size_t n, size_t pf) {
    vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
    const size_t step = 4 * VW * elem_bytes(type);
    size_t i = 0;
    for (; i + 4 * VW <= n; i += 4 * VW) {
        if (pf) for (size_t c = 0; c < step; c += 64) __builtin_prefetch(p + i * elem_bytes(type) + pf + c);
        a0 = fma_v(load_w(type, p, i), load(x + i), a0);
        a1 = fma_v(load_w(type, p, i + VW), load(x + i + VW), a1);
        a2 = fma_v(load_w(type, p, i + 2 * VW), load(x + i + 2 * VW), a2);
        a3 = fma_v(load_w(type, p, i + 3 * VW), load(x + i + 3 * VW), a3);
    }
    for (; i + VW <= n; i += VW) a0 = fma_v(load_w(type, p, i), load(x + i), a0);
    float s = hsum((a0 + a1) + (a2 + a3));
    for (; i < n; i++) s += load_w1(type, p, i) * x[i];
    return s;
}

// q8_0 row · x: Σ_blocks d · Σ_j q_j x_j, the block sum in f32 lanes, scaled once per block.
INLINE float dot_q8(const uint8_t *p, const float *x, size_t n) {
    vf a0 = splat(0), a1 = a0;
    for (size_t b = 0; b < n / 32; b++) {
        const uint8_t *blk = p + 34 * b;
        const float *xb = x + 32 * b;
        vf t = load_i8(blk + 2) * load(xb);
        for (int j = VW; j < 32; j += VW) t = fma_v(load_i8(blk + 2 + j), load(xb + j), t);
        uint16_t h;
        memcpy(&h, blk, 2);
        if (b & 1) a1 = fma_v(splat(f16_to_f32_1(h)), t, a1); else a0 = fma_v(splat(f16_to_f32_1(h)), t, a0);
    }
    return hsum(a0 + a1);
}

// y[r] = W[r] · x + bias[r] for rows r0..<r1.
static void matvec_rows(int type, float *y, const float *x, const void *w, size_t rowBytes, size_t cols,
                        const float *bias, size_t r0, size_t r1) {
    const uint8_t *base = (const uint8_t *)w;
    size_t pf = gpt2kit_stream_prefetch();
    for (size_t r = r0; r < r1; r++) {
        const uint8_t *p = base + r * rowBytes;
        float s;
        switch (type) {      // one specialised loop per type
        case GPT2KIT_F32: s = dot_row(GPT2KIT_F32, p, x, cols, pf); break;
        case GPT2KIT_F16: s = dot_row(GPT2KIT_F16, p, x, cols, pf); break;
        case GPT2KIT_BF16: s = dot_row(GPT2KIT_BF16, p, x, cols, pf); break;
        default: s = dot_q8(p, x, cols); break;
        }
        y[r] = s + (bias ? bias[r] : 0.0f);
    }
}

// y[t, r] for t < T <= 4, rows r0..<r1: a weight vector is loaded once for all T rows of x.
INLINE void multi_rows_t(int type, float *y, const float *x, size_t T, const uint8_t *base, size_t rowBytes,
                         size_t n, size_t OUT, const float *bias, size_t r0, size_t r1) {
    const float *x0 = x, *x1 = x + (T > 1 ? 1 : 0) * n, *x2 = x + (T > 2 ? 2 : 0) * n, *x3 = x + (T > 3 ? 3 : 0) * n;
    for (size_t r = r0; r < r1; r++) {
        const uint8_t *p = base + r * rowBytes;
        vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
        size_t i = 0;
        for (; i + VW <= n; i += VW) {
            vf wv = load_w(type, p, i);
            a0 = fma_v(wv, load(x0 + i), a0); a1 = fma_v(wv, load(x1 + i), a1);
            a2 = fma_v(wv, load(x2 + i), a2); a3 = fma_v(wv, load(x3 + i), a3);
        }
        float s[4] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3)};
        for (; i < n; i++) {
            float wv = load_w1(type, p, i);
            s[0] += wv * x0[i]; s[1] += wv * x1[i]; s[2] += wv * x2[i]; s[3] += wv * x3[i];
        }
        float b = bias ? bias[r] : 0.0f;
        for (size_t t = 0; t < T; t++) y[t * OUT + r] = s[t] + b;
    }
}

static void matvec_multi_rows(int type, float *y, const float *x, size_t T, const void *w, size_t rowBytes,
                              size_t cols, size_t OUT, const float *bias, size_t r0, size_t r1) {
    const uint8_t *base = (const uint8_t *)w;
    for (size_t t = 0; t < T; t += 4) {
        size_t g = T - t < 4 ? T - t : 4;
        switch (type) {
        case GPT2KIT_F32: multi_rows_t(GPT2KIT_F32, y + t * OUT, x + t * cols, g, base, rowBytes, cols, OUT, bias, r0, r1); break;
        case GPT2KIT_F16: multi_rows_t(GPT2KIT_F16, y + t * OUT, x + t * cols, g, base, rowBytes, cols, OUT, bias, r0, r1); break;
        case GPT2KIT_BF16: multi_rows_t(GPT2KIT_BF16, y + t * OUT, x + t * cols, g, base, rowBytes, cols, OUT, bias, r0, r1); break;
        default: multi_rows_t(GPT2KIT_Q8_0, y + t * OUT, x + t * cols, g, base, rowBytes, cols, OUT, bias, r0, r1); break;
        }
    }
}

// xt[tb][k][j] = x[tb·TW + j][k] (0 past T) for t-blocks tb0..<tb1.
static void matmul_transpose(float *xt, const float *x, size_t T, size_t IN, size_t tb0, size_t tb1) {
    for (size_t tb = tb0; tb < tb1; tb++) {
        float *dst = xt + tb * TW * IN;
        size_t t0 = tb * TW, rows = t0 >= T ? 0 : T - t0 < TW ? T - t0 : TW;
        transpose_rect(dst, TW, x + t0 * IN, IN, rows, IN);
        for (size_t k = 0; k < IN; k++)
            for (size_t j = rows; j < TW; j++) dst[k * TW + j] = 0;
    }
}

// tile[r][0..<TW] = init[r] + Σ_k w_r[k] xt[k][0..<TW] for 6 f32 rows.
INLINE void kernel_6xTW(const float *const w[MR], const float *xt, size_t kLen, const float init[MR], float *tile) {
    vf c00 = splat(init[0]), c01 = c00, c10 = splat(init[1]), c11 = c10, c20 = splat(init[2]), c21 = c20;
    vf c30 = splat(init[3]), c31 = c30, c40 = splat(init[4]), c41 = c40, c50 = splat(init[5]), c51 = c50;
    const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3], *w4 = w[4], *w5 = w[5];
    for (size_t k = 0; k < kLen; k++) {
        __builtin_prefetch(xt + (k + 16) * TW);
        vf x0 = load(xt + k * TW), x1 = load(xt + k * TW + VW);
        vf v = splat(w0[k]); c00 = fma_v(v, x0, c00); c01 = fma_v(v, x1, c01);
        v = splat(w1[k]); c10 = fma_v(v, x0, c10); c11 = fma_v(v, x1, c11);
        v = splat(w2[k]); c20 = fma_v(v, x0, c20); c21 = fma_v(v, x1, c21);
        v = splat(w3[k]); c30 = fma_v(v, x0, c30); c31 = fma_v(v, x1, c31);
        v = splat(w4[k]); c40 = fma_v(v, x0, c40); c41 = fma_v(v, x1, c41);
        v = splat(w5[k]); c50 = fma_v(v, x0, c50); c51 = fma_v(v, x1, c51);
    }
    store(tile + 0 * TW, c00); store(tile + 0 * TW + VW, c01);
    store(tile + 1 * TW, c10); store(tile + 1 * TW + VW, c11);
    store(tile + 2 * TW, c20); store(tile + 2 * TW + VW, c21);
    store(tile + 3 * TW, c30); store(tile + 3 * TW + VW, c31);
    store(tile + 4 * TW, c40); store(tile + 4 * TW + VW, c41);
    store(tile + 5 * TW, c50); store(tile + 5 * TW + VW, c51);
}

// Rows of y for the 6-row blocks b0..<b1 of W, from xt (matmul_transpose of x).
static void matmul_rows(int type, float *y, const float *xt, const void *w, size_t rowBytes, size_t IN, size_t OUT,
                        const float *bias, size_t T, size_t b0, size_t b1) {
    float decoded[MR * KC];
    float tile[MR * TW];
    const float *rp[MR];
    const uint8_t *base = (const uint8_t *)w;
    for (size_t k0 = 0; k0 < IN; k0 += KC) {
        size_t kc = IN - k0 < KC ? IN - k0 : KC;
        for (size_t b = b0; b < b1; b++) {
            size_t o0 = b * MR, rows = OUT - o0 < MR ? OUT - o0 : MR;
            for (size_t r = 0; r < rows; r++) {
                const uint8_t *row = base + (o0 + r) * rowBytes;
                if (type == GPT2KIT_F32) rp[r] = (const float *)(const void *)(row + 4 * k0);
                else { decode_range(type, row, k0, kc, decoded + r * kc); rp[r] = decoded + r * kc; }
            }
            for (size_t r = rows; r < MR; r++) rp[r] = rp[0];     // missing rows: computed, not stored
            float init[MR] = {0};
            if (k0 == 0 && bias) for (size_t r = 0; r < rows; r++) init[r] = bias[o0 + r];
            for (size_t tb = 0; tb * TW < T; tb++) {
                kernel_6xTW(rp, xt + (tb * IN + k0) * TW, kc, init, tile);
                size_t tn = T - tb * TW < TW ? T - tb * TW : TW;
                for (size_t j = 0; j < tn; j++) {
                    float *yr = y + (tb * TW + j) * OUT + o0;
                    if (k0 == 0) for (size_t r = 0; r < rows; r++) yr[r] = tile[r * TW + j];
                    else for (size_t r = 0; r < rows; r++) yr[r] += tile[r * TW + j];
                }
            }
        }
    }
}
