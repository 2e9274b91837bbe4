// The table of one kernel set: every function of the k_*.h templates as compiled in this
// translation unit (isa_*.c), plus the row-interleaved q8_0 kernels where the set has them.
#define KERNEL_TABLE(NAME, LABEL, Q8P_PACK, Q8P_MATVEC, Q8P_MATMUL, Q8_QUANTIZE_X, Q8_MATVEC_I8)                          \
    const gpt2kit_kernels NAME = {                                                             \
        LABEL, TW, f16_to_f32, f32_to_f16, bf16_to_f32, f32_to_bf16, quantize_q8_0,            \
        dequantize_q8_0, add, gelu_tanh, gelu_erf, exp_n, tanh_n, erf_n, layer_norm,          \
        softmax_row, max_n, logsumexp, read_sum, matvec_rows, matvec_multi_rows, matmul_transpose,       \
        matmul_rows, attend_f32, attend_f16, kv_store_f16, Q8P_PACK, Q8P_MATVEC, Q8P_MATMUL, Q8_QUANTIZE_X, \
        Q8_MATVEC_I8, TRAIN_ENTRIES                                                             \
    }
