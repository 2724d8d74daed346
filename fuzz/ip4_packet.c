/* libFuzzer harness for the IPv4 header parser: never reads out of bounds, and what it accepts
 * re-emits to a header that parses back to the same fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unic/wire/ip4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact-size copy: ASan sees overreads */
    memcpy(copy, data, size);
    struct ip4_hdr h;
    if (ip4_parse(copy, size, &h) == 0) {
        if (h.hdr_len < 20 || h.total_len > size || h.total_len < h.hdr_len)
            abort();
        uint8_t out[20];
        struct ip4_hdr back;
        if (ip4_emit(out, sizeof(out), &h) != 20)
            abort();
        struct ip4_hdr h20 = h;
        h20.total_len = 20;
        ip4_emit(out, sizeof(out), &h20);
        if (ip4_parse(out, sizeof(out), &back) != 0 || back.src != h.src || back.dst != h.dst ||
            back.proto != h.proto || back.id != h.id || back.frag_offset != h.frag_offset ||
            back.mf != h.mf || back.df != h.df || back.ttl != h.ttl)
            abort();
    }
    free(copy);
    return 0;
}
