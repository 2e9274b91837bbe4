// The portable kernel set: plain C vectors of 4 floats, compiled for the architecture's
// baseline (SSE2 on x86-64, NEON on arm64), correct on every CPU the build runs on.
#include "k_tables.h"
#define VW 4
#define ISA_F16C 0
#include "k_vector.h"
#include "k_elementwise.h"
#include "k_linear.h"
#include "k_attention.h"
#include "k_train.h"
#include "k_table.h"

KERNEL_TABLE(gpt2kit_table_portable, "portable", NULL, NULL, NULL, NULL, NULL);
