/* Ethernet II header parse/emit. */
#include "unic/wire/eth.h"

#include <string.h>

#include "unic/wire/bytes.h"
#include "unic/wire/wire.h"

const uint8_t eth_broadcast[ETH_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

int eth_parse(const uint8_t *p, size_t len, struct eth_hdr *out)
{
    if (len < ETH_HDR_LEN)
        return WIRE_ETRUNCATED;
    memcpy(out->dst, p, ETH_ADDR_LEN);
    memcpy(out->src, p + 6, ETH_ADDR_LEN);
    out->type = rd16(p + 12);
    return WIRE_OK;
}

int eth_emit(uint8_t *p, size_t cap, const struct eth_hdr *h)
{
    if (cap < ETH_HDR_LEN)
        return WIRE_ENOSPACE;
    memcpy(p, h->dst, ETH_ADDR_LEN);
    memcpy(p + 6, h->src, ETH_ADDR_LEN);
    wr16(p + 12, h->type);
    return ETH_HDR_LEN;
}
