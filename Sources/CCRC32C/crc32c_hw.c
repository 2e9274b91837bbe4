// CRC-32C with the SSE4.2 `crc32` instruction (Intel SDM, CRC32 — Accumulate CRC32 Value:
// polynomial 0x11EDC6F41, bit-reflected). Swift cannot emit this instruction, hence this
// small C target; GPT2ModelFile/CRC32C.swift keeps the portable table version and the combine
// step that joins the three streams.
#include "crc32c_hw.h"
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int gpt2kit_crc32c_hw_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2")))
uint32_t gpt2kit_crc32c_hw_update(uint32_t crc, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = crc;
    while (n > 0 && ((uintptr_t)p & 7) != 0) { c = _mm_crc32_u8((uint32_t)c, *p++); n--; }
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8; n -= 8;
    }
    while (n > 0) { c = _mm_crc32_u8((uint32_t)c, *p++); n--; }
    return (uint32_t)c;
}

__attribute__((target("sse4.2")))
void gpt2kit_crc32c_hw_update3(uint32_t init, const void *data, size_t block, uint32_t out[3]) {
    const uint8_t *a = (const uint8_t *)data, *b = a + block, *c = b + block;
    uint64_t x = init, y = init, z = init;
    size_t i = 0;
    for (; i + 8 <= block; i += 8) {
        uint64_t u, v, w;
        memcpy(&u, a + i, 8); memcpy(&v, b + i, 8); memcpy(&w, c + i, 8);
        x = _mm_crc32_u64(x, u); y = _mm_crc32_u64(y, v); z = _mm_crc32_u64(z, w);
    }
    for (; i < block; i++) {
        x = _mm_crc32_u8((uint32_t)x, a[i]); y = _mm_crc32_u8((uint32_t)y, b[i]); z = _mm_crc32_u8((uint32_t)z, c[i]);
    }
    out[0] = (uint32_t)x; out[1] = (uint32_t)y; out[2] = (uint32_t)z;
}

#else

int gpt2kit_crc32c_hw_available(void) { return 0; }
uint32_t gpt2kit_crc32c_hw_update(uint32_t crc, const void *data, size_t n) { (void)data; (void)n; return crc; }
void gpt2kit_crc32c_hw_update3(uint32_t init, const void *data, size_t block, uint32_t out[3]) {
    (void)data; (void)block; out[0] = out[1] = out[2] = init;
}

#endif
