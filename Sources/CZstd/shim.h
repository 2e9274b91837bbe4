// ZSTD_STATIC_LINKING_ONLY declares the experimental API (ZSTD_compressSequences,
// ZSTD_Sequence): the byte-plane codec's Huffman-only mode. libzstd 1.5.x exports those symbols
// from the shared library; GPT2ModelFile's tests cover the calls.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>
