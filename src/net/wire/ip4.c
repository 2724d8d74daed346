/* IPv4 header parse/emit (RFC 791). */
#include "unic/wire/ip4.h"

#include <stdio.h>

#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/wire.h"

int ip4_parse(const uint8_t *p, size_t len, struct ip4_hdr *out)
{
    if (len < IP4_HDR_LEN)
        return WIRE_ETRUNCATED;
    if ((p[0] >> 4) != 4)
        return WIRE_EVERSION;
    out->hdr_len = (uint8_t)((p[0] & 0x0f) * 4);
    if (out->hdr_len < IP4_HDR_LEN)
        return WIRE_ELENGTH;
    if (len < out->hdr_len)
        return WIRE_ETRUNCATED;
    out->total_len = rd16(p + 2);
    if (out->total_len < out->hdr_len)
        return WIRE_ELENGTH;
    if (out->total_len > len)
        return WIRE_ETRUNCATED;
    if (ip_checksum(p, out->hdr_len) != 0)
        return WIRE_ECHECKSUM;
    out->tos = p[1];
    out->id = rd16(p + 4);
    uint16_t frag = rd16(p + 6);
    if (frag & 0x8000) /* the reserved ("evil") bit must be zero */
        return WIRE_EMALFORMED;
    out->df = (frag & IP4_FLAG_DF) != 0;
    out->mf = (frag & IP4_FLAG_MF) != 0;
    out->frag_offset = (uint16_t)((frag & IP4_FRAG_OFFSET_MASK) * 8);
    out->ttl = p[8];
    out->proto = p[9];
    out->checksum = rd16(p + 10);
    out->src = rd32(p + 12);
    out->dst = rd32(p + 16);
    return WIRE_OK;
}

int ip4_emit(uint8_t *p, size_t cap, const struct ip4_hdr *h)
{
    if (cap < IP4_HDR_LEN)
        return WIRE_ENOSPACE;
    p[0] = 0x45;
    p[1] = h->tos;
    wr16(p + 2, h->total_len);
    wr16(p + 4, h->id);
    uint16_t frag = (uint16_t)(h->frag_offset / 8);
    if (h->df)
        frag |= IP4_FLAG_DF;
    if (h->mf)
        frag |= IP4_FLAG_MF;
    wr16(p + 6, frag);
    p[8] = h->ttl;
    p[9] = h->proto;
    wr16(p + 10, 0);
    wr32(p + 12, h->src);
    wr32(p + 16, h->dst);
    wr16(p + 10, ip_checksum(p, IP4_HDR_LEN));
    return IP4_HDR_LEN;
}

char *ip4_ntoa(uint32_t addr, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
             addr & 0xff);
    return buf;
}
