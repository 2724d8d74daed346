/* UDP header parse/emit (RFC 768) with the IPv4 or IPv6 pseudo-header checksum. */
#include "unic/wire/udp.h"

#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/ip4.h"
#include "unic/wire/wire.h"

static uint16_t udp_checksum(const uint8_t *p, uint16_t ulen, uint32_t pseudo)
{
    uint64_t s = (uint64_t)pseudo + ulen; /* one's-complement add: carry folds back in */
    return csum_fold(csum_partial(p, ulen, (uint32_t)(s + (s >> 32))));
}

int udp_parse_unchecked(const uint8_t *p, size_t len, struct udp_hdr *out)
{
    if (len < UDP_HDR_LEN)
        return WIRE_ETRUNCATED;
    out->sport = rd16(p);
    out->dport = rd16(p + 2);
    out->len = rd16(p + 4);
    out->checksum = rd16(p + 6);
    if (out->len < UDP_HDR_LEN)
        return WIRE_ELENGTH;
    if (out->len > len)
        return WIRE_ETRUNCATED;
    return WIRE_OK;
}

int udp_parse_sum(const uint8_t *p, size_t len, uint32_t pseudo, struct udp_hdr *out)
{
    int r = udp_parse_unchecked(p, len, out);
    if (r == WIRE_OK && out->checksum != 0 && udp_checksum(p, out->len, pseudo) != 0)
        return WIRE_ECHECKSUM;
    return r;
}

int udp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct udp_hdr *out)
{
    return udp_parse_sum(p, len, csum_pseudo_ip4(src, dst, IP4_PROTO_UDP, 0), out);
}

int udp_emit_sum(uint8_t *p, size_t cap, const struct udp_hdr *h, uint32_t pseudo,
                 size_t payload_len)
{
    if (payload_len > 0xffff - UDP_HDR_LEN)
        return WIRE_ELENGTH;
    if (cap < UDP_HDR_LEN + payload_len)
        return WIRE_ENOSPACE;
    uint16_t ulen = (uint16_t)(UDP_HDR_LEN + payload_len);
    wr16(p, h->sport);
    wr16(p + 2, h->dport);
    wr16(p + 4, ulen);
    wr16(p + 6, 0);
    uint16_t sum = udp_checksum(p, ulen, pseudo);
    /* 0 on the wire means "no checksum"; its one's-complement twin 0xffff is the same sum. */
    wr16(p + 6, sum ? sum : 0xffff);
    return UDP_HDR_LEN;
}

int udp_emit(uint8_t *p, size_t cap, const struct udp_hdr *h, uint32_t src, uint32_t dst,
             size_t payload_len)
{
    return udp_emit_sum(p, cap, h, csum_pseudo_ip4(src, dst, IP4_PROTO_UDP, 0), payload_len);
}
