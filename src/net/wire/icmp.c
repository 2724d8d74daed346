/* ICMP header parse/emit (RFC 792). */
#include "unic/wire/icmp.h"

#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/wire.h"

int icmp_parse(const uint8_t *p, size_t len, struct icmp_hdr *out)
{
    if (len < ICMP_HDR_LEN)
        return WIRE_ETRUNCATED;
    if (ip_checksum(p, len) != 0)
        return WIRE_ECHECKSUM;
    out->type = p[0];
    out->code = p[1];
    out->checksum = rd16(p + 2);
    out->rest = rd32(p + 4);
    return WIRE_OK;
}

int icmp_emit(uint8_t *p, size_t cap, const struct icmp_hdr *h, size_t payload_len)
{
    if (cap < ICMP_HDR_LEN + payload_len)
        return WIRE_ENOSPACE;
    p[0] = h->type;
    p[1] = h->code;
    wr16(p + 2, 0);
    wr32(p + 4, h->rest);
    wr16(p + 2, ip_checksum(p, ICMP_HDR_LEN + payload_len));
    return ICMP_HDR_LEN;
}
