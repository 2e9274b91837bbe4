// The AVX-512 kernel set: 16-float vectors (F, BW, VL, DQ) with AVX2, FMA and F16C. Where the
// CPU also has AVX-512 VNNI, q8_0 generation goes through the row-interleaved int8 kernels
// (q8_packed.c), which carry their own target attributes.
#if defined(__x86_64__)
#include "k_tables.h"
#include "q8_packed.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>
#define VW 16
#define ISA_F16C 1
#define ISA_AVX512 1
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)
#include "k_vector.h"
#include "k_elementwise.h"
#include "k_linear.h"
#include "k_attention.h"
#include "k_train.h"
#include "k_table.h"

KERNEL_TABLE(gpt2kit_table_avx512, "avx512", NULL, NULL, NULL, NULL, NULL);
KERNEL_TABLE(gpt2kit_table_avx512_vnni, "avx512", gpt2kit_q8p_pack, gpt2kit_q8p_matvec, gpt2kit_q8p_matmul, gpt2kit_q8_quantize_x, NULL);
#pragma clang attribute pop
#endif
