#ifndef GPT2KIT_CRC32C_HW_H
#define GPT2KIT_CRC32C_HW_H
#include <stddef.h>
#include <stdint.h>

/// 1 when the CPU has a CRC-32C instruction this file uses (x86-64 SSE4.2), else 0.
int gpt2kit_crc32c_hw_available(void);

/// Raw CRC-32C update (no pre/post inversion) of `n` bytes with the CPU instruction.
/// Only call when gpt2kit_crc32c_hw_available() returned 1.
uint32_t gpt2kit_crc32c_hw_update(uint32_t crc, const void *data, size_t n);

/// Raw CRC-32C of three consecutive blocks of `block` bytes each, each started from
/// `init`, computed as three interleaved streams (the instruction has 3 cycles of latency
/// and a throughput of one per cycle, so three chains run at once). Results in out[0..2].
void gpt2kit_crc32c_hw_update3(uint32_t init, const void *data, size_t block, uint32_t out[3]);

#endif
