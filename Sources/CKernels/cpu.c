// CPU feature detection and the choice of a kernel set's table.
// x86-64: CPUID leaves 1 and 7 (Intel SDM vol. 2A, CPUID; AMD APM vol. 3) for what the CPU
// implements, and XGETBV(0) for what the OS saves on a context switch: AVX needs XCR0 bits 1-2
// (SSE, AVX state), AVX-512 also bits 5-7 (opmask, ZMM_Hi256, Hi16_ZMM). A CPU feature whose
// state the OS does not save is reported absent (using it would fault or corrupt registers).
#include "k_tables.h"
#include <stdatomic.h>

#if defined(__x86_64__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t detect(void) {
    uint32_t a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (c & (1u << 20)) f |= GPT2KIT_CPU_SSE42;
    int osxsave = (c & (1u << 27)) != 0;
    uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    int os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = (xcr0 & 0xE6) == 0xE6;
    if (!os_avx) return f;
    if (c & (1u << 28)) f |= GPT2KIT_CPU_AVX;
    if (c & (1u << 12)) f |= GPT2KIT_CPU_FMA;
    if (c & (1u << 29)) f |= GPT2KIT_CPU_F16C;
    uint32_t max_leaf = __get_cpuid_max(0, 0);
    if (max_leaf < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    uint32_t sub_leaves = a;
    if (b & (1u << 5)) f |= GPT2KIT_CPU_AVX2;
    if (os_avx512) {
        if (b & (1u << 16)) f |= GPT2KIT_CPU_AVX512F;
        if (b & (1u << 17)) f |= GPT2KIT_CPU_AVX512DQ;
        if (b & (1u << 30)) f |= GPT2KIT_CPU_AVX512BW;
        if (b & (1u << 31)) f |= GPT2KIT_CPU_AVX512VL;
        if (c & (1u << 11)) f |= GPT2KIT_CPU_AVX512VNNI;
    }
    if (sub_leaves >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        if (a & (1u << 4)) f |= GPT2KIT_CPU_AVXVNNI;
        if (os_avx512 && (a & (1u << 5))) f |= GPT2KIT_CPU_AVX512BF16;
    }
    return f;
}

// Intel: a software prefetch 1 KB ahead of the weight stream took one core of a Sapphire Rapids
// VM from ~60 % to ~100 % of a plain read. AMD (Zen 4, 1 thread, model file mapping or heap):
// the same prefetch cost 10-20 % (f32 matvec 29.4 -> 25.7 GB/s, f16 30.1 -> 26.5); the hardware
// prefetcher alone keeps up there.
static size_t detect_prefetch(void) {
    uint32_t a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 1024;
    int amd = b == 0x68747541u && d == 0x69746e65u && c == 0x444d4163u;     // "AuthenticAMD"
    return amd ? 0 : 1024;
}
#elif defined(__aarch64__)
static uint32_t detect(void) { return GPT2KIT_CPU_NEON; }    // NEON is the arm64 baseline
static size_t detect_prefetch(void) { return 1024; }        // as before the vendor rule: unmeasured on arm64
#else
static uint32_t detect(void) { return 0; }
static size_t detect_prefetch(void) { return 1024; }
#endif

uint32_t gpt2kit_cpu_features(void) {
    // Racing first calls compute the same value; the high bit marks "detected".
    static _Atomic uint32_t cached = 0;
    uint32_t v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v) return v & 0x7FFFFFFFu;
    v = detect();
    atomic_store_explicit(&cached, v | 0x80000000u, memory_order_relaxed);
    return v;
}

size_t gpt2kit_stream_prefetch(void) {
    static _Atomic size_t cached = 1;        // 1: not yet detected (a distance is 0 or >= 64)
    size_t v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v != 1) return v;
    v = detect_prefetch();
    atomic_store_explicit(&cached, v, memory_order_relaxed);
    return v;
}

const gpt2kit_kernels *gpt2kit_kernels_for(gpt2kit_set set) {
    uint32_t f = gpt2kit_cpu_features();
    (void)f;                                  // only the x86-64 sets look at it
    switch (set) {
    case GPT2KIT_SET_PORTABLE: return &gpt2kit_table_portable;
#if defined(__x86_64__)
    case GPT2KIT_SET_AVX2: {
        uint32_t need = GPT2KIT_CPU_AVX2 | GPT2KIT_CPU_FMA | GPT2KIT_CPU_F16C;
        return (f & need) == need ? &gpt2kit_table_avx2 : NULL;
    }
    case GPT2KIT_SET_AVX512: {
        uint32_t need = GPT2KIT_CPU_AVX2 | GPT2KIT_CPU_FMA | GPT2KIT_CPU_F16C | GPT2KIT_CPU_AVX512F |
                        GPT2KIT_CPU_AVX512BW | GPT2KIT_CPU_AVX512VL | GPT2KIT_CPU_AVX512DQ;
        if ((f & need) != need) return NULL;
        return (f & GPT2KIT_CPU_AVX512VNNI) ? &gpt2kit_table_avx512_vnni : &gpt2kit_table_avx512;
    }
#endif
    default: return NULL;
    }
}
