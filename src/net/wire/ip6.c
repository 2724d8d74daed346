/* IPv6 header and extension header parse/emit (RFC 8200), addressing helpers (RFC 4291). */
#include "unic/wire/ip6.h"

#include <string.h>

#include "unic/wire/bytes.h"
#include "unic/wire/wire.h"

int ip6_parse_quoted(const uint8_t *p, size_t len, struct ip6_hdr *out)
{
    if (len < IP6_HDR_LEN)
        return WIRE_ETRUNCATED;
    if ((p[0] >> 4) != 6)
        return WIRE_EVERSION;
    uint32_t w = rd32(p);
    out->traffic_class = (uint8_t)(w >> 20);
    out->flow_label = w & 0xfffff;
    out->payload_len = rd16(p + 4);
    out->next_header = p[6];
    out->hop_limit = p[7];
    memcpy(out->src, p + 8, 16);
    memcpy(out->dst, p + 24, 16);
    return WIRE_OK;
}

int ip6_parse(const uint8_t *p, size_t len, struct ip6_hdr *out)
{
    int r = ip6_parse_quoted(p, len, out);
    if (r < 0)
        return r;
    if (out->payload_len == 0 && out->next_header == 0)
        return WIRE_EUNSUPPORTED; /* perhaps a jumbogram (RFC 2675): not on our links */
    if ((size_t)out->payload_len > len - IP6_HDR_LEN)
        return WIRE_ETRUNCATED;
    return WIRE_OK;
}

int ip6_emit(uint8_t *p, size_t cap, const struct ip6_hdr *h)
{
    if (cap < IP6_HDR_LEN)
        return WIRE_ENOSPACE;
    wr32(p, 6u << 28 | (uint32_t)h->traffic_class << 20 | (h->flow_label & 0xfffff));
    wr16(p + 4, h->payload_len);
    p[6] = h->next_header;
    p[7] = h->hop_limit;
    memcpy(p + 8, h->src, 16);
    memcpy(p + 24, h->dst, 16);
    return IP6_HDR_LEN;
}

int ip6_frag_parse(const uint8_t *p, size_t len, struct ip6_frag_hdr *out)
{
    if (len < IP6_FRAG_HDR_LEN)
        return WIRE_ETRUNCATED;
    out->next_header = p[0];
    uint16_t off = rd16(p + 2);
    out->offset = (uint16_t)(off & 0xfff8);
    out->more = (off & 1) != 0;
    out->id = rd32(p + 4);
    return WIRE_OK;
}

int ip6_frag_emit(uint8_t *p, size_t cap, const struct ip6_frag_hdr *h)
{
    if (cap < IP6_FRAG_HDR_LEN)
        return WIRE_ENOSPACE;
    p[0] = h->next_header;
    p[1] = 0;
    wr16(p + 2, (uint16_t)((h->offset & 0xfff8) | (h->more ? 1 : 0)));
    wr32(p + 4, h->id);
    return IP6_FRAG_HDR_LEN;
}

int ip6_ext_parse(const uint8_t *p, size_t len, uint8_t *next, size_t *hdr_len)
{
    if (len < 8)
        return WIRE_ETRUNCATED;
    size_t n = ((size_t)p[1] + 1) * 8;
    if (n > len)
        return WIRE_ETRUNCATED;
    *next = p[0];
    *hdr_len = n;
    return WIRE_OK;
}

int ip6_opts_walk(const uint8_t *p, size_t hdr_len, size_t start, struct ip6_opt_unknown *u)
{
    size_t off = start;
    while (off < hdr_len) {
        uint8_t type = p[off];
        if (type == IP6_OPT_PAD1) {
            off++;
            continue;
        }
        if (off + 2 > hdr_len || off + 2 + (size_t)p[off + 1] > hdr_len)
            return WIRE_EOPTION;
        size_t olen = p[off + 1];
        bool known = type == IP6_OPT_PADN || (type == IP6_OPT_ROUTER_ALERT && olen == 2);
        if (!known) {
            u->offset = off;
            u->type = type;
            u->next = off + 2 + olen;
            return 1;
        }
        off += 2 + olen;
    }
    return WIRE_OK;
}

int ip6_rh_parse(const uint8_t *p, size_t len, struct ip6_rh *out)
{
    if (len < 8)
        return WIRE_ETRUNCATED;
    out->next_header = p[0];
    out->type = p[2];
    out->segments_left = p[3];
    return WIRE_OK;
}

void ip6_solicited_node(const uint8_t a[16], uint8_t out[16])
{
    static const uint8_t base[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
    memcpy(out, base, sizeof(base));
    memcpy(out + 13, a + 13, 3);
}

void ip6_multicast_mac(const uint8_t g[16], uint8_t mac[6])
{
    mac[0] = 0x33;
    mac[1] = 0x33;
    memcpy(mac + 2, g + 12, 4);
}

void ip6_eui64(const uint8_t mac[6], uint8_t iid[8])
{
    iid[0] = mac[0] ^ 0x02; /* the universal/local bit, inverted */
    iid[1] = mac[1];
    iid[2] = mac[2];
    iid[3] = 0xff;
    iid[4] = 0xfe;
    iid[5] = mac[3];
    iid[6] = mac[4];
    iid[7] = mac[5];
}

unsigned ip6_common_prefix(const uint8_t a[16], const uint8_t b[16])
{
    unsigned n = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t x = a[i] ^ b[i];
        if (!x) {
            n += 8;
            continue;
        }
        while (!(x & 0x80)) {
            x = (uint8_t)(x << 1);
            n++;
        }
        break;
    }
    return n;
}

bool ip6_prefix_match(const uint8_t a[16], const uint8_t b[16], unsigned bits)
{
    return ip6_common_prefix(a, b) >= (bits > 128 ? 128 : bits);
}
