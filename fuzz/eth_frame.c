/* libFuzzer harness for the Ethernet and ICMP parsers (both small): bounds and round trips. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unic/wire/checksum.h"
#include "unic/wire/eth.h"
#include "unic/wire/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct eth_hdr e;
    if (eth_parse(copy, size, &e) == 0) {
        uint8_t out[ETH_HDR_LEN];
        struct eth_hdr back;
        eth_emit(out, sizeof(out), &e);
        if (eth_parse(out, sizeof(out), &back) != 0 || memcmp(out, copy, ETH_HDR_LEN) != 0 ||
            back.type != e.type)
            abort();
    }
    struct icmp_hdr ic;
    if (icmp_parse(copy, size, &ic) == 0 && ip_checksum(copy, size) != 0)
        abort(); /* accepted a message whose checksum does not verify */
    free(copy);
    return 0;
}
