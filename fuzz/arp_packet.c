/* libFuzzer harness for the ARP parser: bounds, and parse(emit(parse(x))) == parse(x). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unic/wire/arp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct arp_pkt a, b;
    if (arp_parse(copy, size, &a) == 0) {
        uint8_t out[ARP_PKT_LEN];
        if (arp_emit(out, sizeof(out), &a) != ARP_PKT_LEN || arp_parse(out, sizeof(out), &b) != 0)
            abort();
        /* Field by field: the struct has padding. */
        if (a.op != b.op || a.spa != b.spa || a.tpa != b.tpa || memcmp(a.sha, b.sha, 6) != 0 ||
            memcmp(a.tha, b.tha, 6) != 0 || memcmp(out, copy, ARP_PKT_LEN) != 0)
            abort();
    }
    free(copy);
    return 0;
}
