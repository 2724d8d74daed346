/* ICMPv6 (RFC 4443), neighbour discovery (RFC 4861, RFC 8106) and MLDv2 (RFC 3810) wire code. */
#include "unic/wire/icmp6.h"

#include <string.h>

#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/ip6.h"
#include "unic/wire/wire.h"

int icmp6_parse(const uint8_t *p, size_t len, const uint8_t src[16], const uint8_t dst[16],
                struct icmp6_hdr *out)
{
    if (len < ICMP6_HDR_LEN)
        return WIRE_ETRUNCATED;
    uint32_t sum = csum_pseudo_ip6(src, dst, IP6_NH_ICMP6, (uint32_t)len);
    if (csum_fold(csum_partial(p, len, sum)) != 0)
        return WIRE_ECHECKSUM;
    out->type = p[0];
    out->code = p[1];
    out->checksum = rd16(p + 2);
    out->rest = rd32(p + 4);
    return WIRE_OK;
}

int icmp6_emit(uint8_t *p, size_t cap, const struct icmp6_hdr *h, size_t payload_len,
               const uint8_t src[16], const uint8_t dst[16])
{
    if (cap < ICMP6_HDR_LEN || cap - ICMP6_HDR_LEN < payload_len)
        return WIRE_ENOSPACE;
    size_t len = ICMP6_HDR_LEN + payload_len;
    p[0] = h->type;
    p[1] = h->code;
    wr16(p + 2, 0);
    wr32(p + 4, h->rest);
    uint32_t sum = csum_pseudo_ip6(src, dst, IP6_NH_ICMP6, (uint32_t)len);
    wr16(p + 2, csum_fold(csum_partial(p, len, sum)));
    return ICMP6_HDR_LEN;
}

static void nd_opt_prefix(const uint8_t *o, struct nd_opts *out)
{
    if (out->prefix_count >= ND_PREFIX_MAX) {
        out->prefix_dropped++;
        return;
    }
    struct nd_prefix_opt *pi = &out->prefix[out->prefix_count++];
    pi->prefix_len = o[2];
    pi->flags = o[3];
    pi->valid = rd32(o + 4);
    pi->preferred = rd32(o + 8);
    memcpy(pi->prefix, o + 16, 16);
}

static void nd_opt_rdnss(const uint8_t *o, size_t olen, struct nd_opts *out)
{
    for (size_t off = 8; off + 16 <= olen && out->rdnss_count < ND_RDNSS_MAX; off += 16) {
        out->rdnss_lifetime[out->rdnss_count] = rd32(o + 4); /* this option's, not the last's */
        memcpy(out->rdnss[out->rdnss_count++], o + off, 16);
    }
}

int nd_opts_parse(const uint8_t *p, size_t len, struct nd_opts *out)
{
    memset(out, 0, sizeof(*out));
    size_t off = 0;
    while (off < len) {
        if (len - off < 2 || p[off + 1] == 0)
            return WIRE_EOPTION;
        size_t olen = (size_t)p[off + 1] * 8;
        if (olen > len - off)
            return WIRE_EOPTION;
        const uint8_t *o = p + off;
        switch (o[0]) {
        case ND_OPT_SOURCE_LLADDR:
        case ND_OPT_TARGET_LLADDR:
            if (olen == 8) { /* Ethernet (RFC 2464 8); other link types are ignored */
                bool src = o[0] == ND_OPT_SOURCE_LLADDR;
                memcpy(src ? out->src_lladdr : out->tgt_lladdr, o + 2, 6);
                *(src ? &out->has_src_lladdr : &out->has_tgt_lladdr) = true;
            }
            break;
        case ND_OPT_PREFIX_INFO:
            if (olen != 32)
                return WIRE_EOPTION;
            nd_opt_prefix(o, out);
            break;
        case ND_OPT_MTU:
            if (olen != 8)
                return WIRE_EOPTION;
            out->has_mtu = true;
            out->mtu = rd32(o + 4);
            break;
        case ND_OPT_RDNSS:
            if (olen < 24) /* RFC 8106 5.1: at least one address */
                return WIRE_EOPTION;
            nd_opt_rdnss(o, olen, out);
            break;
        default:
            break; /* RFC 4861 4.6: unknown options are skipped */
        }
        off += olen;
    }
    return WIRE_OK;
}

int nd_ra_parse(const uint8_t *p, size_t len, struct nd_ra *out)
{
    if (len < ND_RA_LEN)
        return WIRE_ETRUNCATED;
    out->cur_hop_limit = p[4];
    out->flags = p[5];
    out->router_lifetime = rd16(p + 6);
    out->reachable_time = rd32(p + 8);
    out->retrans_timer = rd32(p + 12);
    return WIRE_OK;
}

int nd_opt_lladdr_emit(uint8_t *p, size_t cap, uint8_t type, const uint8_t mac[6])
{
    if (cap < 8)
        return WIRE_ENOSPACE;
    p[0] = type;
    p[1] = 1;
    memcpy(p + 2, mac, 6);
    return 8;
}

int mld2_records_emit(uint8_t *p, size_t cap, uint8_t record_type, const uint8_t (*groups)[16],
                      unsigned n)
{
    if (cap / 20 < n)
        return WIRE_ENOSPACE;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *r = p + 20 * i;
        r[0] = record_type;
        r[1] = 0;       /* aux data length */
        wr16(r + 2, 0); /* number of sources */
        memcpy(r + 4, groups[i], 16);
    }
    return (int)(20 * n);
}
