#ifndef GPT2KIT_KERNELS_H
#define GPT2KIT_KERNELS_H
// The kernel sets of GPT2Kit and the CPU check that picks one (docs/KERNELS.md).
//
// One build carries every set its architecture can have; each set is the same C source compiled
// for one instruction set with per-function target attributes (isa_*.c), so nothing here needs
// a compiler flag and nothing runs an instruction the CPU lacks: GPT2Kernels (Swift) asks for a
// set's table once and calls through it.
#include <stddef.h>
#include <stdint.h>

/// Stored element types of weights (same order as GPT2Kernels.WeightType).
enum { GPT2KIT_F32 = 0, GPT2KIT_F16 = 1, GPT2KIT_BF16 = 2, GPT2KIT_Q8_0 = 3 };

/// Kernel sets, from the baseline up.
typedef enum {
    GPT2KIT_SET_PORTABLE = 0,   ///< any x86-64 (SSE2) or arm64 (NEON)
    GPT2KIT_SET_AVX2 = 1,       ///< x86-64 with AVX2, FMA, F16C
    GPT2KIT_SET_AVX512 = 2      ///< x86-64 with AVX-512 F/BW/VL/DQ + AVX2, FMA, F16C (VNNI used where present)
} gpt2kit_set;

/// CPU features as found by CPUID, each already checked against the OS (XGETBV: the OS saves
/// the AVX and AVX-512 register state) where it needs that.
enum {
    GPT2KIT_CPU_SSE42 = 1u << 0, GPT2KIT_CPU_AVX = 1u << 1, GPT2KIT_CPU_AVX2 = 1u << 2, GPT2KIT_CPU_FMA = 1u << 3,
    GPT2KIT_CPU_F16C = 1u << 4, GPT2KIT_CPU_AVX512F = 1u << 5, GPT2KIT_CPU_AVX512BW = 1u << 6,
    GPT2KIT_CPU_AVX512VL = 1u << 7, GPT2KIT_CPU_AVX512DQ = 1u << 8, GPT2KIT_CPU_AVX512VNNI = 1u << 9,
    GPT2KIT_CPU_AVX512BF16 = 1u << 10, GPT2KIT_CPU_AVXVNNI = 1u << 11, GPT2KIT_CPU_NEON = 1u << 12,
};

/// The CPU's features (detected once, thread-safe).
uint32_t gpt2kit_cpu_features(void);

/// How far ahead (bytes) the weight-streaming matvec kernels prefetch in software; 0: they
/// leave it to the hardware prefetcher. Chosen once by CPU vendor (docs/KERNELS.md).
size_t gpt2kit_stream_prefetch(void);

/// The kernels of one set. Weights are [rows, cols] row-major, `row_bytes` apart, of a GPT2KIT_*
/// type; activations f32. Row ranges are [r0, r1).
typedef struct gpt2kit_kernels {
    const char *name;
    /// Positions per matmul tile: matmul_transpose writes tiles of this many positions.
    size_t tile_cols;
    void (*f16_to_f32)(const void *src, float *dst, size_t n);
    void (*f32_to_f16)(const float *src, void *dst, size_t n);
    void (*bf16_to_f32)(const void *src, float *dst, size_t n);
    void (*f32_to_bf16)(const float *src, void *dst, size_t n);
    void (*quantize_q8_0)(const float *src, void *dst, size_t n);
    void (*dequantize_q8_0)(const void *src, float *dst, size_t n);
    void (*add)(float *y, const float *x, size_t n);
    void (*gelu_tanh)(float *x, size_t n);
    void (*gelu_erf)(float *x, size_t n);
    void (*exp)(float *x, size_t n);
    void (*tanh)(float *x, size_t n);
    void (*erf)(float *x, size_t n);
    void (*layer_norm)(float *out, const float *x, const float *w, const float *b, size_t T, size_t C, float eps);
    void (*softmax_row)(float *x, size_t n);
    float (*max)(const float *x, size_t n);
    float (*logsumexp)(const float *x, size_t n);
    /// Σ x: a plain read of n floats, the memory-read ceiling of the benchmarks.
    float (*read_sum)(const float *x, size_t n);
    void (*matvec_rows)(int type, float *y, const float *x, const void *w, size_t row_bytes, size_t cols,
                        const float *bias, size_t r0, size_t r1);
    /// y[t, r] for t < T (any T; 4 at a time), rows r0..<r1 of [OUT] outputs.
    void (*matvec_multi_rows)(int type, float *y, const float *x, size_t T, const void *w, size_t row_bytes,
                              size_t cols, size_t out, const float *bias, size_t r0, size_t r1);
    void (*matmul_transpose)(float *xt, const float *x, size_t T, size_t in, size_t tb0, size_t tb1);
    /// Rows of y for 6-row blocks b0..<b1 of W, from matmul_transpose's xt.
    void (*matmul_rows)(int type, float *y, const float *xt, const void *w, size_t row_bytes, size_t in,
                        size_t out, const float *bias, size_t T, size_t b0, size_t b1);
    void (*attend_f32)(float *o, const float *q, const float *keys, const float *values, size_t head_size,
                       size_t L, float scale, float *scores);
    void (*attend_f16)(float *o, const float *q, const uint16_t *keys, const uint16_t *values, size_t head_size,
                       size_t L, float scale, float *scores);
    void (*kv_store_f16)(uint16_t *keys, uint16_t *values, size_t heads, size_t head_size, size_t capacity,
                         size_t j, const float *k, const float *v);
    /// The row-interleaved q8_0 kernels (q8_packed.h), or NULL where the set has none.
    void (*q8p_pack)(void *dst, const void *w, size_t rows, size_t blocks, size_t g0, size_t g1);
    void (*q8p_matvec)(float *y, const void *packed, size_t rows, size_t blocks, const int8_t *xq,
                       const float *xd, const int32_t *xsum, const float *bias, size_t g0, size_t g1);
    void (*q8p_matmul)(float *y, size_t T, const void *packed, size_t rows, size_t blocks, const int8_t *xq,
                       const float *xd, const int32_t *xsum, const float *bias, size_t g0, size_t g1);
    /// Quantizes x to int8 blocks for the int8 q8_0 kernels (packed or file layout), or NULL.
    void (*q8_quantize_x)(const float *x, size_t blocks, int8_t *q, float *d, int32_t *sum);
    /// q8_0 rows of the file's layout times x quantized by q8_quantize_x, or NULL where the set
    /// multiplies q8_0 rows in f32 (matvec_rows).
    void (*q8_matvec_i8_rows)(float *y, const void *w, size_t row_bytes, size_t blocks, const int8_t *xq,
                              const float *xd, const float *bias, size_t r0, size_t r1);
    /// Training (k_train.h): forward ops that keep what the backward needs, every backward,
    /// AdamW. Row/part ranges are half-open.
    void (*tr_transpose)(float *dst, const float *src, size_t rows, size_t cols, size_t lds, size_t r0, size_t r1);
    void (*tr_pack_columns)(float *xt, const float *src, size_t K, size_t N, size_t ld, size_t tb0, size_t tb1);
    void (*tr_matmul)(float *y, size_t ldy, const float *a, size_t lda, const float *xt, const float *bias, size_t K,
                      size_t R, size_t P, int accumulate, size_t b0, size_t b1);
    void (*tr_column_sums)(float *db, const float *dy, size_t T, size_t OUT, size_t o0, size_t o1);
    void (*tr_layer_norm_forward)(float *out, float *mean, float *rstd, const float *x, const float *w,
                                  const float *b, size_t C, float eps, size_t t0, size_t t1);
    void (*tr_layer_norm_backward)(float *dx, float *dw, float *db, const float *dout, const float *x,
                                   const float *mean, const float *rstd, const float *w, size_t C, size_t t0, size_t t1);
    void (*tr_gelu_erf_forward)(float *y, float *x, size_t n);
    void (*tr_cross_entropy)(float *logits, float *losses, const int32_t *targets, size_t V, float scale,
                             size_t t0, size_t t1);
    void (*tr_dropout)(float *x, float *mask, size_t n, uint64_t seed, float p);
    void (*tr_multiply)(float *y, const float *m, size_t n);
    void (*tr_attention_forward)(float *out, float *att, const float *mask, const float *qkv, float *scratch,
                                 size_t T, size_t C, size_t NH, size_t bh0, size_t bh1);
    void (*tr_attention_backward)(float *dqkv, const float *dout, const float *qkv, const float *att,
                                  const float *mask, float *scratch, size_t T, size_t C, size_t NH,
                                  size_t bh0, size_t bh1);
    void (*tr_embed_forward)(float *out, const int32_t *ids, const float *wte, const float *wpe, size_t N, size_t T,
                             size_t C);
    void (*tr_embed_backward)(float *dwte, float *dwpe, const int32_t *ids, const float *dx, size_t N, size_t T,
                              size_t C);
    void (*tr_adamw)(float *p, const float *g, float *m, float *v, size_t n, float b1, float b2, float eps,
                     float decay, float step_size, float bc2_sqrt);
    double (*tr_sum_squares)(const float *x, size_t n);
    void (*tr_scale)(float *x, float s, size_t n);
} gpt2kit_kernels;

/// The table of `set` for this CPU, or NULL when the CPU (or this build's architecture) lacks it.
const gpt2kit_kernels *gpt2kit_kernels_for(gpt2kit_set set);

#endif
