// q8_0 generation on AVX2: the matvec with int8 activations in ggml's own layout (no repacking).
// x is quantized once per call to 32-value int8 blocks with an f32 scale (Reference.
// quantizeActivations; lossy like llama.cpp: |Δx| <= d_x / 2). Per block of a row, one 32-byte
// integer dot product: vpmaddubsw multiplies unsigned by signed bytes, so the weights' signs
// move onto x (vpsignb: |w| · (x · sign w) = w · x; |w| <= 128 and |x| <= 127 keep each pair
// sum below the int16 limit), vpmaddwd sums pairs into 8 int32, then one convert and one FMA
// with d_w · d_x. About 9 instructions per 32 weights where the f32 path takes ~16.
// Included by isa_avx2.c only (inside its target pragma).

// The quantizer, bit-identical to Reference.quantizeActivations: d = max|x| / 127 (a NaN in
// the block makes d NaN), q = x · (1/d) rounded to nearest even (vcvtps2dq), saturated.
static void q8_quantize_x_avx2(const float *x, size_t blocks, int8_t *q, float *d, int32_t *sum) {
    const __m256i absMask = _mm256_set1_epi32(0x7FFFFFFF);
    for (size_t b = 0; b < blocks; b++) {
        const float *xb = x + 32 * b;
        __m256 v[4];
        __m256i m = _mm256_setzero_si256();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(xb + 8 * k);
            // max |x| on the bit patterns: integer order is float order for non-negative
            // floats, and a NaN (above +inf) wins.
            m = _mm256_max_epu32(m, _mm256_and_si256(_mm256_castps_si256(v[k]), absMask));
        }
        __m128i m4 = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
        m4 = _mm_max_epu32(m4, _mm_shuffle_epi32(m4, 0x4E));
        m4 = _mm_max_epu32(m4, _mm_shuffle_epi32(m4, 0xB1));
        uint32_t bits = (uint32_t)_mm_cvtsi128_si32(m4);
        float amax;
        memcpy(&amax, &bits, 4);
        float scale = amax / 127.0f;
        float inv = scale >= 0x1p-126f ? 1.0f / scale : 0.0f;
        __m256 vi = _mm256_set1_ps(inv);
        __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v[0], vi)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v[1], vi));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v[2], vi)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v[3], vi));
        // Saturating packs work within 128-bit lanes: 32 -> 16 -> 8 bits leaves the dwords
        // in the order 0 2 4 6 1 3 5 7; one permute puts them back.
        __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + 32 * b), p);
        d[b] = scale;
        if (sum) sum[b] = 0;           // only the packed VNNI layout needs the correction term
    }
}

// y[r] = Σ_b d_w[r,b] d_x[b] Σ_j q_w[r,b,j] q_x[b,j] (+ bias[r]) for rows r0..<r1 of ggml q8_0.
static void q8_matvec_i8_rows_avx2(float *y, const void *w, size_t rowBytes, size_t blocks, const int8_t *xq,
                                   const float *xd, const float *bias, size_t r0, size_t r1) {
    const __m256i ones = _mm256_set1_epi16(1);
    size_t pf = gpt2kit_stream_prefetch();
    for (size_t r = r0; r < r1; r++) {
        const uint8_t *row = (const uint8_t *)w + r * rowBytes;
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();   // two chains: FMA latency
        size_t b = 0;
        for (; b + 2 <= blocks; b += 2) {
            const uint8_t *k0 = row + 34 * b, *k1 = k0 + 34;
            if (pf) _mm_prefetch((const char *)k0 + pf, _MM_HINT_T0);     // once per 68 bytes
            uint16_t h0, h1;
            memcpy(&h0, k0, 2); memcpy(&h1, k1, 2);
            __m256i w0 = _mm256_loadu_si256((const __m256i *)(k0 + 2)), w1 = _mm256_loadu_si256((const __m256i *)(k1 + 2));
            __m256i x0 = _mm256_loadu_si256((const __m256i *)(xq + 32 * b)), x1 = _mm256_loadu_si256((const __m256i *)(xq + 32 * b + 32));
            __m256i s0 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(x0, w0)), ones);
            __m256i s1 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w1, w1), _mm256_sign_epi8(x1, w1)), ones);
            acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_set1_ps(_cvtsh_ss(h0) * xd[b]), acc0);
            acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1), _mm256_set1_ps(_cvtsh_ss(h1) * xd[b + 1]), acc1);
        }
        if (b < blocks) {
            const uint8_t *k0 = row + 34 * b;
            uint16_t h0;
            memcpy(&h0, k0, 2);
            __m256i w0 = _mm256_loadu_si256((const __m256i *)(k0 + 2));
            __m256i x0 = _mm256_loadu_si256((const __m256i *)(xq + 32 * b));
            __m256i s0 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(x0, w0)), ones);
            acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_set1_ps(_cvtsh_ss(h0) * xd[b]), acc0);
        }
        y[r] = hsum((vf)_mm256_add_ps(acc0, acc1)) + (bias ? bias[r] : 0.0f);
    }
}
