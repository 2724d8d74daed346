/* libFuzzer harness for the ICMP parser and emitter: what the emitter writes always verifies. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unic/wire/checksum.h"
#include "unic/wire/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct icmp_hdr h;
    int r = icmp_parse(copy, size, &h);
    if (size >= ICMP_HDR_LEN) {
        struct icmp_hdr fresh = {.type = copy[0], .code = copy[1], .rest = 0x12345678};
        icmp_emit(copy, size, &fresh, size - ICMP_HDR_LEN);
        if (icmp_parse(copy, size, &h) != 0 || h.rest != 0x12345678)
            abort();
    } else if (r == 0) {
        abort();
    }
    free(copy);
    return 0;
}
