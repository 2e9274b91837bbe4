// Causal attention of one query over one head's cached keys and values, and appending a
// position to the cache, in the vector layer of k_vector.h.
// Cache layout (GPT2Kernels/KVLayer.swift), per head:
//   keys:   [tiles][HS][16]  16 consecutive positions of one dimension side by side, so the
//           scores of 16 keys are Σ_i q[i] · K[i][0..16]: broadcast FMAs, no per-key reduction;
//   values: [capacity][HS].
// Elements are f32 or f16 (E16 = 1), converted to f32 on load.

INLINE vf load_kv(const void *p, size_t i, int e16) {
    return e16 ? load_f16((const uint8_t *)p + 2 * i) : load((const float *)p + i);
}
INLINE float load_kv1(const void *p, size_t i, int e16) {
    if (!e16) return ((const float *)p)[i];
    uint16_t h;
    memcpy(&h, (const uint8_t *)p + 2 * i, 2);
    return f16_to_f32_1(h);
}

#define KS (16 / VW)          // vectors per 16-key tile row

// o[0..<HS] = softmax(q · K / √HS) V over keys 0..<L; scores: room for L + 16 floats.
INLINE void attend(float *o, const float *q, const void *keys, const void *values, size_t HS, size_t L,
                   float scale, float *scores, int e16) {
    // Scores, a tile of 16 keys at a time (lanes past L are stored but not used). Two chains
    // over the dimensions per vector of the tile hide the FMA latency.
    for (size_t m = 0; 16 * m < L; m++) {
        size_t tile = m * HS * 16;
        vf a[KS], b[KS];
        for (int s = 0; s < KS; s++) { a[s] = splat(0); b[s] = splat(0); }
        size_t i = 0;
        for (; i + 2 <= HS; i += 2) {
            vf q0 = splat(q[i]), q1 = splat(q[i + 1]);
            for (int s = 0; s < KS; s++) {
                a[s] = fma_v(q0, load_kv(keys, tile + 16 * i + VW * s, e16), a[s]);
                b[s] = fma_v(q1, load_kv(keys, tile + 16 * i + 16 + VW * s, e16), b[s]);
            }
        }
        if (i < HS) {
            vf q0 = splat(q[i]);
            for (int s = 0; s < KS; s++) a[s] = fma_v(q0, load_kv(keys, tile + 16 * i + VW * s, e16), a[s]);
        }
        for (int s = 0; s < KS; s++) store(scores + 16 * m + VW * s, (a[s] + b[s]) * scale);
    }
    softmax_row(scores, L);
    // o = Σ_j p[j] v_j: 4 vectors of columns at a time, two keys per step (8 chains); then one
    // vector of columns, then single columns for head sizes not a multiple of VW.
    size_t c = 0;
    for (; c + 4 * VW <= HS; c += 4 * VW) {
        vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        size_t j = 0;
        for (; j + 2 <= L; j += 2) {
            vf p = splat(scores[j]), p2 = splat(scores[j + 1]);
            size_t r = j * HS + c, r2 = r + HS;
            a0 = fma_v(p, load_kv(values, r, e16), a0); a1 = fma_v(p, load_kv(values, r + VW, e16), a1);
            a2 = fma_v(p, load_kv(values, r + 2 * VW, e16), a2); a3 = fma_v(p, load_kv(values, r + 3 * VW, e16), a3);
            b0 = fma_v(p2, load_kv(values, r2, e16), b0); b1 = fma_v(p2, load_kv(values, r2 + VW, e16), b1);
            b2 = fma_v(p2, load_kv(values, r2 + 2 * VW, e16), b2); b3 = fma_v(p2, load_kv(values, r2 + 3 * VW, e16), b3);
        }
        if (j < L) {
            vf p = splat(scores[j]);
            size_t r = j * HS + c;
            a0 = fma_v(p, load_kv(values, r, e16), a0); a1 = fma_v(p, load_kv(values, r + VW, e16), a1);
            a2 = fma_v(p, load_kv(values, r + 2 * VW, e16), a2); a3 = fma_v(p, load_kv(values, r + 3 * VW, e16), a3);
        }
        store(o + c, a0 + b0); store(o + c + VW, a1 + b1);
        store(o + c + 2 * VW, a2 + b2); store(o + c + 3 * VW, a3 + b3);
    }
    for (; c + VW <= HS; c += VW) {
        vf a = splat(0);
        for (size_t j = 0; j < L; j++) a = fma_v(splat(scores[j]), load_kv(values, j * HS + c, e16), a);
        store(o + c, a);
    }
    for (; c < HS; c++) {
        float a = 0;
        for (size_t j = 0; j < L; j++) a += scores[j] * load_kv1(values, j * HS + c, e16);
        o[c] = a;
    }
}

static void attend_f32(float *o, const float *q, const float *keys, const float *values, size_t HS, size_t L,
                       float scale, float *scores) {
    attend(o, q, keys, values, HS, L, scale, scores, 0);
}

static void attend_f16(float *o, const float *q, const uint16_t *keys, const uint16_t *values, size_t HS, size_t L,
                       float scale, float *scores) {
    attend(o, q, keys, values, HS, L, scale, scores, 1);
}

// Stores k and v (heads · HS floats each, heads side by side) of position j into an f16 cache of
// `capacity` positions; the f32 cache is plain copies (GPT2Kernels).
static void kv_store_f16(uint16_t *keys, uint16_t *values, size_t heads, size_t HS, size_t capacity, size_t j,
                         const float *k, const float *v) {
    size_t tiles = (capacity + 15) / 16;
    uint16_t kh[256];
    for (size_t h = 0; h < heads; h++) {
        uint16_t *kt = keys + ((h * tiles + j / 16) * HS) * 16 + j % 16;
        for (size_t i0 = 0; i0 < HS; i0 += 256) {           // rounded as a vector, then scattered
            size_t n = HS - i0 < 256 ? HS - i0 : 256;
            f32_to_f16(k + h * HS + i0, kh, n);
            for (size_t i = 0; i < n; i++) kt[16 * (i0 + i)] = kh[i];
        }
        f32_to_f16(v + h * HS, values + (h * capacity + j) * HS, HS);
    }
}
