// The tables the isa_*.c files define (internal to CKernels; cpu.c picks one).
#include "gpt2kit_kernels.h"

extern const gpt2kit_kernels gpt2kit_table_portable;
#if defined(__x86_64__)
extern const gpt2kit_kernels gpt2kit_table_avx2;
extern const gpt2kit_kernels gpt2kit_table_avx512;
extern const gpt2kit_kernels gpt2kit_table_avx512_vnni;
#endif
