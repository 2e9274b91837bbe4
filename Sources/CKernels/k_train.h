// The training kernels: forward ops that keep what the backward pass needs, the backward of
// every op of a GPT (LayerNorm, erf GELU, causal attention, softmax cross-entropy, dropout,
// embeddings, the pieces of a linear layer's backward around k_linear.h's matmul) and the
// AdamW update, in the vector layer of k_vector.h. Oracles: GPT2Kernels' Reference.* training
// ops (ReferenceTraining.swift). Activations are [rows, C] row-major f32.

// dst[c][r] = src[r·lds + c] for rows r0..<r1 of src [rows, cols] (row stride lds): the dW
// product's dyᵀ. In 16 x 16 blocks, so both sides stay in cache lines already loaded.
static void tr_transpose(float *dst, const float *src, size_t rows, size_t cols, size_t lds, size_t r0, size_t r1) {
    for (size_t rb = r0; rb < r1; rb += 16)
        for (size_t cb = 0; cb < cols; cb += 16)
            transpose_rect(dst + cb * rows + rb, rows, src + rb * lds + cb, lds, r1 - rb < 16 ? r1 - rb : 16,
                           cols - cb < 16 ? cols - cb : 16);
}

// xt[tb][k][j] = src[k·ld + tb·TW + j] (0 past N), t-blocks tb0..<tb1: matmul_transpose's tiles
// of a matrix whose columns are the positions (the dW product reads dY this way).
static void tr_pack_columns(float *xt, const float *src, size_t K, size_t N, size_t ld, size_t tb0, size_t tb1) {
    for (size_t tb = tb0; tb < tb1; tb++) {
        float *dst = xt + tb * TW * K;
        size_t j0 = tb * TW, n = N - j0 < TW ? N - j0 : TW;
        for (size_t k = 0; k < K; k++) {
            const float *s = src + k * ld + j0;
            float *d = dst + k * TW;
            if (n == TW) { store(d, load(s)); store(d + VW, load(s + VW)); }
            else { for (size_t j = 0; j < n; j++) d[j] = s[j]; for (size_t j = n; j < TW; j++) d[j] = 0; }
        }
    }
}

// The products of training's linear layers, on k_linear.h's 6 x TW micro-kernel with the tile
// stored row-major: y[r][p] = Σ_k a[r][k] · xt[pb][k][p - pb·TW] (+ bias[p]; accumulate: y +=)
// for the rows r of 6-row blocks b0..<b1 of a [R, K] (row stride lda) and every column p < P
// of y (row stride ldy). The rows come straight from a row-major activation and the columns
// from a small operand in tiles (matmul_transpose of the weight for y = x·Wᵀ, tr_pack_columns
// of the weight for dx = dy·W, of x for dW = dyᵀ·x, whose rows are dy transposed).
static void tr_matmul(float *y, size_t ldy, const float *a, size_t lda, const float *xt, const float *bias,
                      size_t K, size_t R, size_t P, int accumulate, size_t b0, size_t b1) {
    float tile[MR * TW];
    const float *rp[MR];
    const float zero[MR] = {0};
    for (size_t k0 = 0; k0 < K; k0 += KC) {
        size_t kc = K - k0 < KC ? K - k0 : KC;
        int add = accumulate || k0 > 0;
        for (size_t b = b0; b < b1; b++) {
            size_t r0 = b * MR, rows = R - r0 < MR ? R - r0 : MR;
            for (size_t r = 0; r < rows; r++) rp[r] = a + (r0 + r) * lda + k0;
            for (size_t r = rows; r < MR; r++) rp[r] = rp[0];     // missing rows: computed, not stored
            for (size_t pb = 0; pb * TW < P; pb++) {
                kernel_6xTW(rp, xt + (pb * K + k0) * TW, kc, zero, tile);
                size_t p0 = pb * TW, pn = P - p0 < TW ? P - p0 : TW;
                for (size_t r = 0; r < rows; r++) {
                    float *yr = y + (r0 + r) * ldy + p0;
                    const float *tr = tile + r * TW;
                    if (pn == TW) {
                        vf v0 = load(tr), v1 = load(tr + VW);
                        if (add) { v0 += load(yr); v1 += load(yr + VW); }
                        else if (bias) { v0 += load(bias + p0); v1 += load(bias + p0 + VW); }
                        store(yr, v0); store(yr + VW, v1);
                    } else {
                        for (size_t j = 0; j < pn; j++)
                            yr[j] = tr[j] + (add ? yr[j] : bias ? bias[p0 + j] : 0.0f);
                    }
                }
            }
        }
    }
}

// db[o] += Σ_t dy[t][o] for columns o0..<o1 (bias gradient).
static void tr_column_sums(float *db, const float *dy, size_t T, size_t OUT, size_t o0, size_t o1) {
    size_t o = o0;
    for (; o + VW <= o1; o += VW) {
        vf a = splat(0);
        for (size_t t = 0; t < T; t++) a += load(dy + t * OUT + o);
        store(db + o, load(db + o) + a);
    }
    for (; o < o1; o++) { float s = 0; for (size_t t = 0; t < T; t++) s += dy[t * OUT + o]; db[o] += s; }
}

INLINE float row_sum(const float *x, size_t n) {
    vf a = splat(0);
    size_t i = 0;
    for (; i + VW <= n; i += VW) a += load(x + i);
    float s = hsum(a);
    for (; i < n; i++) s += x[i];
    return s;
}

// layer_norm for rows t0..<t1 that also keeps each row's mean and 1/std for the backward.
static void tr_layer_norm_forward(float *out, float *mean, float *rstd, const float *x, const float *w,
                                  const float *b, size_t C, float eps, size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; t++) {
        const float *xr = x + t * C;
        float m = row_sum(xr, C) / (float)C;
        vf acc = splat(0);
        size_t i = 0;
        for (; i + VW <= C; i += VW) { vf d = load(xr + i) - m; acc = fma_v(d, d, acc); }
        float v = hsum(acc);
        for (; i < C; i++) { float d = xr[i] - m; v += d * d; }
        float rs = 1.0f / sqrtf(v / (float)C + eps);
        mean[t] = m;
        rstd[t] = rs;
        float *o = out + t * C;
        for (i = 0; i + VW <= C; i += VW) {
            vf y = (load(xr + i) - m) * rs * load(w + i);
            if (b) y += load(b + i);
            store(o + i, y);
        }
        for (; i < C; i++) o[i] = (xr[i] - m) * rs * w[i] + (b ? b[i] : 0.0f);
    }
}

// LayerNorm backward for rows t0..<t1: dx += (dn - mean(dn) - n·mean(dn·n))·rstd with
// n = (x - mean)·rstd and dn = dout·w; dw += Σ dout·n, db += Σ dout (db may be NULL).
static void tr_layer_norm_backward(float *dx, float *dw, float *db, const float *dout, const float *x,
                                   const float *mean, const float *rstd, const float *w, size_t C,
                                   size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; t++) {
        const float *xr = x + t * C, *g = dout + t * C;
        float m = mean[t], rs = rstd[t];
        vf a1 = splat(0), a2 = splat(0);
        size_t i = 0;
        for (; i + VW <= C; i += VW) {
            vf n = (load(xr + i) - m) * rs, dn = load(g + i) * load(w + i);
            a1 += dn; a2 = fma_v(dn, n, a2);
        }
        float s1 = hsum(a1), s2 = hsum(a2);
        for (; i < C; i++) { float n = (xr[i] - m) * rs, dn = g[i] * w[i]; s1 += dn; s2 += dn * n; }
        float dm = s1 / (float)C, dnm = s2 / (float)C;
        float *d = dx + t * C;
        for (i = 0; i + VW <= C; i += VW) {
            vf n = (load(xr + i) - m) * rs, gv = load(g + i), dn = gv * load(w + i);
            store(d + i, load(d + i) + (dn - dm - n * dnm) * rs);
            store(dw + i, fma_v(gv, n, load(dw + i)));
            if (db) store(db + i, load(db + i) + gv);
        }
        for (; i < C; i++) {
            float n = (xr[i] - m) * rs, dn = g[i] * w[i];
            d[i] += (dn - dm - n * dnm) * rs;
            dw[i] += g[i] * n;
            if (db) db[i] += g[i];
        }
    }
}

// y = GELU(x) (erf form), and x replaced by GELU'(x) = Φ(x) + x·φ(x), so the backward is one
// product (dx = dy · x). erf_v's formula written out, so its e^{-x²} (x = v/√2) is also φ's
// e^{-v²/2}: one exp serves both. (|x| is clamped at 10 as in erf_v; past it both e-terms are
// below 1e-43.) y is bit for bit erf_v's GELU.
INLINE vf gelu_erf_both(vf v, vf *grad) {
    vf x = v * 0.70710677f;
    vf a = vmin(vabs(x), splat(10));
    vf e = exp_v(-(a * a));
    vf erf = erf_from(a, e, (vu)x & 0x80000000u);
    *grad = 0.5f * (1.0f + erf) + v * 0.39894228f * e;
    return 0.5f * v * (1.0f + erf);
}
static void tr_gelu_erf_forward(float *y, float *x, size_t n) {
    size_t i = 0;
    vf g;
    for (; i + VW <= n; i += VW) { store(y + i, gelu_erf_both(load(x + i), &g)); store(x + i, g); }
    if (i < n) { store_part(y + i, gelu_erf_both(load_part(x + i, n - i), &g), n - i); store_part(x + i, g, n - i); }
}

// Softmax cross-entropy for rows t0..<t1 of logits [T, V]: losses[t] = logsumexp - logit[target],
// and logits replaced by d(scale·loss)/d(logits) = scale·(softmax - onehot(target)).
static void tr_cross_entropy(float *logits, float *losses, const int32_t *targets, size_t V, float scale,
                             size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; t++) {
        float *l = logits + t * V;
        float m = max_n(l, V);
        vf a = splat(0);
        size_t i = 0;
        for (; i + VW <= V; i += VW) a += exp_v(load(l + i) - m);
        double s = hsum(a);
        for (; i < V; i++) s += exp_v(splat(l[i] - m))[0];
        float lse = m + (float)log(s);
        size_t y = (size_t)targets[t];
        losses[t] = lse - l[y];
        for (i = 0; i + VW <= V; i += VW) store(l + i, exp_v(load(l + i) - lse) * scale);
        for (; i < V; i++) l[i] = exp_v(splat(l[i] - lse))[0] * scale;
        l[y] -= scale;
    }
}

// Dropout masks: mask[i] = 0 with probability p, else 1/(1-p) (inverted dropout), from a
// counter-based hash of (seed, i) (the SplitMix64 output function), so a mask depends only on
// its seed and never on how the work was split. x *= mask.
static void tr_dropout(float *x, float *mask, size_t n, uint64_t seed, float p) {
    uint32_t threshold = (uint32_t)((double)p * 16777216.0);
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        uint64_t z = seed + (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        float m = (uint32_t)(z >> 40) < threshold ? 0.0f : keep;
        mask[i] = m;
        x[i] *= m;
    }
}

// y[i] *= m[i] (dropout backward), n values.
static void tr_multiply(float *y, const float *m, size_t n) {
    size_t i = 0;
    for (; i + VW <= n; i += VW) store(y + i, load(y + i) * load(m + i));
    for (; i < n; i++) y[i] *= m[i];
}

// Attention scratch: per (batch, head) pair, HS rows of TP = T rounded up to 16 floats (a head's
// keys or values transposed, zero past T) and one row of TP (a row of scores): the score of
// query t against keys s..s+VW is then HS vector FMAs, with no horizontal sum per (t, s).
#define TR_ROUND16(T) (((T) + 15) / 16 * 16)

// kt[i][s] = qkv[b][s][part·C + h·HS + i] for s < T, 0 for T <= s < TP.
// By 4 x 4 blocks, 4 source rows at a time; kt (HS x TP floats, 8 KB for a head of 32 and 64
// positions) stays in L1. (Scalar moves, one kt row at a time, cost ~12 % of the attention.)
INLINE void tr_head_transpose(float *kt, const float *base, size_t T, size_t TP, size_t C, size_t HS, size_t col) {
    transpose_rect(kt, TP, base + col, 3 * C, T, HS);
    for (size_t i = 0; i < HS; i++)
        for (size_t s = T; s < TP; s++) kt[i * TP + s] = 0;
}

// The attention's products work on four rows at a time: four (or eight) independent FMA chains
// hide the FMA latency, where one row alone left the FMA units idle three cycles in four. Every
// element still sums its terms in the order one row at a time would.
#define TR_BLOCK 4

// sc[r][s] = scale · Σ_i q[r][i]·kt[i][s] for r < 4 (row stride ldsc), s < ns (a multiple of VW
// that stays within kt's rows).
INLINE void tr_scores4(float *sc, size_t ldsc, const float *const q[TR_BLOCK], const float *kt, size_t TP, size_t HS,
                       size_t ns, float scale) {
    const float *q0 = q[0], *q1 = q[1], *q2 = q[2], *q3 = q[3];
    size_t s = 0;
    for (; s + 2 * VW <= ns; s += 2 * VW) {
        vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (size_t i = 0; i < HS; i++) {
            vf k = load(kt + i * TP + s), l = load(kt + i * TP + s + VW);
            vf x0 = splat(q0[i]), x1 = splat(q1[i]), x2 = splat(q2[i]), x3 = splat(q3[i]);
            a0 = fma_v(x0, k, a0); a1 = fma_v(x1, k, a1); a2 = fma_v(x2, k, a2); a3 = fma_v(x3, k, a3);
            b0 = fma_v(x0, l, b0); b1 = fma_v(x1, l, b1); b2 = fma_v(x2, l, b2); b3 = fma_v(x3, l, b3);
        }
        store(sc + s, a0 * scale); store(sc + ldsc + s, a1 * scale);
        store(sc + 2 * ldsc + s, a2 * scale); store(sc + 3 * ldsc + s, a3 * scale);
        store(sc + s + VW, b0 * scale); store(sc + ldsc + s + VW, b1 * scale);
        store(sc + 2 * ldsc + s + VW, b2 * scale); store(sc + 3 * ldsc + s + VW, b3 * scale);
    }
    for (; s < ns; s += VW) {
        vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = 0; i < HS; i++) {
            vf k = load(kt + i * TP + s);
            a0 = fma_v(splat(q0[i]), k, a0); a1 = fma_v(splat(q1[i]), k, a1);
            a2 = fma_v(splat(q2[i]), k, a2); a3 = fma_v(splat(q3[i]), k, a3);
        }
        store(sc + s, a0 * scale); store(sc + ldsc + s, a1 * scale);
        store(sc + 2 * ldsc + s, a2 * scale); store(sc + 3 * ldsc + s, a3 * scale);
    }
}

// o[r][0..<HS] = Σ_{s<n} w[r][s·ws]·rows[s·ld + 0..<HS] for r < R (of 4: the missing rows are
// computed from valid pointers but not stored). A row whose own sum is shorter has zero weights
// at the end, which add nothing.
INLINE void tr_weighted_rows4(float *const o[TR_BLOCK], const float *const w[TR_BLOCK], size_t ws, const float *rows,
                              size_t ld, size_t n, size_t HS, size_t R) {
    const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
    size_t i = 0;
    for (; i + 2 * VW <= HS; i += 2 * VW) {
        vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (size_t s = 0; s < n; s++) {
            const float *r = rows + s * ld + i;
            vf x = load(r), y = load(r + VW);
            vf c0 = splat(w0[s * ws]), c1 = splat(w1[s * ws]), c2 = splat(w2[s * ws]), c3 = splat(w3[s * ws]);
            a0 = fma_v(c0, x, a0); a1 = fma_v(c1, x, a1); a2 = fma_v(c2, x, a2); a3 = fma_v(c3, x, a3);
            b0 = fma_v(c0, y, b0); b1 = fma_v(c1, y, b1); b2 = fma_v(c2, y, b2); b3 = fma_v(c3, y, b3);
        }
        store(o[0] + i, a0); store(o[0] + i + VW, b0);
        if (R > 1) { store(o[1] + i, a1); store(o[1] + i + VW, b1); }
        if (R > 2) { store(o[2] + i, a2); store(o[2] + i + VW, b2); }
        if (R > 3) { store(o[3] + i, a3); store(o[3] + i + VW, b3); }
    }
    for (; i + VW <= HS; i += VW) {
        vf a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
        for (size_t s = 0; s < n; s++) {
            vf x = load(rows + s * ld + i);
            a0 = fma_v(splat(w0[s * ws]), x, a0); a1 = fma_v(splat(w1[s * ws]), x, a1);
            a2 = fma_v(splat(w2[s * ws]), x, a2); a3 = fma_v(splat(w3[s * ws]), x, a3);
        }
        store(o[0] + i, a0);
        if (R > 1) store(o[1] + i, a1);
        if (R > 2) store(o[2] + i, a2);
        if (R > 3) store(o[3] + i, a3);
    }
    for (; i < HS; i++) {
        for (size_t r = 0; r < R; r++) {
            float a = 0;
            for (size_t s = 0; s < n; s++) a += w[r][s * ws] * rows[s * ld + i];
            o[r][i] = a;
        }
    }
}

// The rows t0..<t0+R of a block of 4 (R < 4 only at the end); missing rows repeat row t0.
INLINE size_t tr_block_rows(size_t t0, size_t T) { return T - t0 < TR_BLOCK ? T - t0 : TR_BLOCK; }

// Causal self-attention forward for (batch, head) pairs bh0..<bh1 of qkv [B, T, 3C] (q, k, v
// side by side, head h at columns h·HS). att [B, NH, T, T]: the softmax weights (before
// dropout; 0 above the diagonal); mask (NULL: no dropout) [B, NH, T, T] multiplies them
// before they weigh the values; out [B, T, C]. scratch: (HS + 4)·TR_ROUND16(T) per pair.
static void tr_attention_forward(float *out, float *att, const float *mask, const float *qkv, float *scratch, size_t T,
                                 size_t C, size_t NH, size_t bh0, size_t bh1) {
    size_t HS = C / NH, TP = TR_ROUND16(T);
    float scale = 1.0f / sqrtf((float)HS);
    for (size_t bh = bh0; bh < bh1; bh++) {
        size_t b = bh / NH, h = bh % NH;
        const float *base = qkv + b * T * 3 * C;
        float *kt = scratch + bh * (HS + TR_BLOCK) * TP, *scb = kt + HS * TP;
        tr_head_transpose(kt, base, T, TP, C, HS, C + h * HS);
        for (size_t t0 = 0; t0 < T; t0 += TR_BLOCK) {
            size_t R = tr_block_rows(t0, T), keys = t0 + R;     // keys the block's last row sees
            const float *q[TR_BLOCK], *w[TR_BLOCK];
            float *o[TR_BLOCK];
            for (size_t r = 0; r < TR_BLOCK; r++) q[r] = base + (t0 + (r < R ? r : 0)) * 3 * C + h * HS;
            tr_scores4(scb, TP, q, kt, TP, HS, (keys + VW - 1) / VW * VW, scale);
            for (size_t r = 0; r < R; r++) {
                size_t t = t0 + r, n = t + 1, s = 0;
                float *sc = scb + r * TP, *a = att + (bh * T + t) * T;
                float m = max_n(sc, n);
                vf sum = splat(0);
                for (; s + VW <= n; s += VW) { vf e = exp_v(load(sc + s) - m); store(sc + s, e); sum += e; }
                if (s < n) { vf e = exp_v(load_part(sc + s, n - s) - m); store_part(sc + s, e, n - s); sum += keep_first(e, n - s); }
                float inv = 1.0f / hsum(sum);
                for (s = 0; s + VW <= n; s += VW) store(a + s, load(sc + s) * inv);
                if (s < n) store_part(a + s, load_part(sc + s, n - s) * inv, n - s);
                for (s = n; s < T; s++) a[s] = 0;
                w[r] = a;
                if (mask) {
                    const float *mk = mask + (bh * T + t) * T;
                    for (s = 0; s < n; s++) sc[s] = a[s] * mk[s];
                    for (; s < keys; s++) sc[s] = 0;
                    w[r] = sc;
                }
                o[r] = out + (b * T + t) * C + h * HS;
            }
            for (size_t r = R; r < TR_BLOCK; r++) { w[r] = w[0]; o[r] = o[0]; }
            tr_weighted_rows4(o, w, 1, base + 2 * C + h * HS, 3 * C, keys, HS, R);
        }
    }
}

// Its backward: dqkv [B, T, 3C] written (the columns of heads bh0..<bh1), from dout [B, T, C],
// qkv, att and mask as the forward left them. Per pair, two passes, every sum in registers:
// by query rows, d(weights) = dout·v (vectorised over keys against the values transposed),
// the softmax backward into a [T, TP] matrix dS (0 above the diagonal within each block), and
// dq[t] = Σ_s dS[t][s] k[s]; then by key rows, dk[s] = Σ_t dS[t][s] q[t] and
// dv[s] = Σ_t w[t][s] dout[t] (w: the weights after dropout). scratch: (HS + T + 4)·TR_ROUND16(T)
// floats, reused for each pair.
static void tr_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att,
                                  const float *mask, float *scratch, size_t T, size_t C, size_t NH,
                                  size_t bh0, size_t bh1) {
    size_t HS = C / NH, TP = TR_ROUND16(T);
    float scale = 1.0f / sqrtf((float)HS);
    float *vt = scratch, *ds = vt + HS * TP, *col = ds + T * TP;
    for (size_t bh = bh0; bh < bh1; bh++) {
        size_t b = bh / NH, h = bh % NH;
        const float *base = qkv + b * T * 3 * C, *gbase = dout + b * T * C + h * HS;
        const float *A = att + bh * T * T, *M = mask ? mask + bh * T * T : NULL;
        float *dbase = dqkv + b * T * 3 * C + h * HS;
        const float *w[TR_BLOCK], *g[TR_BLOCK];
        float *o[TR_BLOCK], *o2[TR_BLOCK];
        tr_head_transpose(vt, base, T, TP, C, HS, 2 * C + h * HS);
        for (size_t t0 = 0; t0 < T; t0 += TR_BLOCK) {
            size_t R = tr_block_rows(t0, T), keys = t0 + R;
            for (size_t r = 0; r < TR_BLOCK; r++) g[r] = gbase + (t0 + (r < R ? r : 0)) * C;
            tr_scores4(ds + t0 * TP, TP, g, vt, TP, HS, (keys + VW - 1) / VW * VW, 1.0f);
            for (size_t r = 0; r < R; r++) {
                size_t t = t0 + r, n = t + 1, s;
                const float *a = A + t * T;
                float *d = ds + t * TP;
                if (M) for (s = 0; s < n; s++) d[s] *= M[t * T + s];
                vf acc = splat(0);
                for (s = 0; s + VW <= n; s += VW) acc = fma_v(load(a + s), load(d + s), acc);
                if (s < n) acc = fma_v(load_part(a + s, n - s), load_part(d + s, n - s), acc);
                float dot = hsum(acc);
                for (s = 0; s + VW <= n; s += VW) store(d + s, load(a + s) * (load(d + s) - dot) * scale);
                if (s < n) store_part(d + s, load_part(a + s, n - s) * (load_part(d + s, n - s) - dot) * scale, n - s);
                for (s = n; s < keys; s++) d[s] = 0;
                w[r] = d;
                o[r] = dbase + t * 3 * C;
            }
            for (size_t r = R; r < TR_BLOCK; r++) { w[r] = w[0]; o[r] = o[0]; }
            tr_weighted_rows4(o, w, 1, base + C + h * HS, 3 * C, keys, HS, R);                      // dq
        }
        for (size_t s0 = 0; s0 < T; s0 += TR_BLOCK) {
            size_t R = tr_block_rows(s0, T), n = T - s0;
            for (size_t r = 0; r < TR_BLOCK; r++) {
                size_t s = s0 + (r < R ? r : 0);
                o[r] = dbase + s * 3 * C + C;
                o2[r] = dbase + s * 3 * C + 2 * C;
                w[r] = ds + s0 * TP + s;
            }
            tr_weighted_rows4(o, w, TP, base + s0 * 3 * C + h * HS, 3 * C, n, HS, R);               // dk
            size_t ws = T;
            for (size_t r = 0; r < TR_BLOCK; r++) w[r] = A + s0 * T + s0 + (r < R ? r : 0);
            if (M) {
                for (size_t r = 0; r < TR_BLOCK; r++) {
                    float *c = col + r * TP;
                    size_t s = s0 + (r < R ? r : 0);
                    for (size_t j = 0; j < n; j++) c[j] = A[(s0 + j) * T + s] * M[(s0 + j) * T + s];
                    w[r] = c;
                }
                ws = 1;
            }
            tr_weighted_rows4(o2, w, ws, gbase + s0 * C, C, n, HS, R);                            // dv
        }
    }
}

// out[t] = wte[ids[t]] + wpe[t % T] for t < N (N = B·T rows).
static void tr_embed_forward(float *out, const int32_t *ids, const float *wte, const float *wpe, size_t N, size_t T,
                             size_t C) {
    for (size_t t = 0; t < N; t++) {
        const float *a = wte + (size_t)ids[t] * C, *p = wpe + (t % T) * C;
        float *o = out + t * C;
        size_t i = 0;
        for (; i + VW <= C; i += VW) store(o + i, load(a + i) + load(p + i));
        for (; i < C; i++) o[i] = a[i] + p[i];
    }
}

// dwte[ids[t]] += dx[t], dwpe[t % T] += dx[t].
static void tr_embed_backward(float *dwte, float *dwpe, const int32_t *ids, const float *dx, size_t N, size_t T,
                              size_t C) {
    for (size_t t = 0; t < N; t++) {
        float *a = dwte + (size_t)ids[t] * C, *p = dwpe + (t % T) * C;
        const float *g = dx + t * C;
        size_t i = 0;
        for (; i + VW <= C; i += VW) { vf gv = load(g + i); store(a + i, load(a + i) + gv); store(p + i, load(p + i) + gv); }
        for (; i < C; i++) { a[i] += g[i]; p[i] += g[i]; }
    }
}

// AdamW on n values, in torch's order of operations: p *= decay; m += (g - m)(1 - β1);
// v = β2 v + (1 - β2) g²; p -= step_size · m / (√v / √bc2 + ε).
static void tr_adamw(float *p, const float *g, float *m, float *v, size_t n, float b1, float b2, float eps,
                     float decay, float step_size, float bc2_sqrt) {
    size_t i = 0;
    float c1 = 1.0f - b1, c2 = 1.0f - b2;
    for (; i + VW <= n; i += VW) {
        vf gv = load(g + i), pv = load(p + i) * decay;
        vf mv = load(m + i); mv = mv + (gv - mv) * c1;
        vf vv = load(v + i) * b2 + c2 * (gv * gv);
        vf den = __builtin_elementwise_sqrt(vv) / bc2_sqrt + eps;
        store(m + i, mv); store(v + i, vv);
        store(p + i, pv - step_size * (mv / den));
    }
    for (; i < n; i++) {
        float pv = p[i] * decay, mv = m[i] + (g[i] - m[i]) * c1, vv = v[i] * b2 + c2 * (g[i] * g[i]);
        float den = sqrtf(vv) / bc2_sqrt + eps;
        m[i] = mv; v[i] = vv;
        p[i] = pv - step_size * (mv / den);
    }
}

// Σ x² in double lanes' worth of f32 partial sums (gradient norms).
static double tr_sum_squares(const float *x, size_t n) {
    vf a0 = splat(0), a1 = a0;
    size_t i = 0;
    double s = 0;
    while (i + 2 * VW <= n) {
        size_t end = i + 4096 < n ? i + 4096 : n;      // short f32 runs, summed in double
        for (; i + 2 * VW <= end; i += 2 * VW) {
            vf x0 = load(x + i), x1 = load(x + i + VW);
            a0 = fma_v(x0, x0, a0); a1 = fma_v(x1, x1, a1);
        }
        s += hsum(a0 + a1);
        a0 = splat(0); a1 = a0;
    }
    for (; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

// x *= s, n values.
static void tr_scale(float *x, float s, size_t n) {
    size_t i = 0;
    for (; i + VW <= n; i += VW) store(x + i, load(x + i) * s);
    for (; i < n; i++) x[i] *= s;
}

#define TRAIN_ENTRIES                                                                                   \
    tr_transpose, tr_pack_columns, tr_matmul, tr_column_sums, tr_layer_norm_forward, tr_layer_norm_backward,       \
    tr_gelu_erf_forward, tr_cross_entropy, tr_dropout, tr_multiply,               \
    tr_attention_forward, tr_attention_backward, tr_embed_forward, tr_embed_backward, tr_adamw,         \
    tr_sum_squares, tr_scale
