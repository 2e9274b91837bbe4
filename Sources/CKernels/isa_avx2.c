// The AVX2 kernel set: 8-float vectors, FMA, F16C (vcvtph2ps / vcvtps2ph), and q8_0 generation
// with int8 activations (k_q8_avx2.h). Every function in this
// file, the templates' static ones included, is compiled for exactly these features by the
// pragma; cpu.c hands this table out only when the CPU and the OS have them.
#if defined(__x86_64__)
#include "k_tables.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>
#define VW 8
#define ISA_F16C 1
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include "k_vector.h"
#include "k_elementwise.h"
#include "k_linear.h"
#include "k_attention.h"
#include "k_train.h"
#include "k_q8_avx2.h"
#include "k_table.h"

KERNEL_TABLE(gpt2kit_table_avx2, "avx2", NULL, NULL, NULL, q8_quantize_x_avx2, q8_matvec_i8_rows_avx2);
#pragma clang attribute pop
#endif
