/* TCP header and options parse/emit (RFC 9293 3.1, RFC 7323, RFC 2018). */
#include "unic/wire/tcp.h"

#include <string.h>

#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/ip4.h"
#include "unic/wire/wire.h"

/* NOP, NOP, timestamps kind and length: the first word of the usual options, big-endian. */
#define TCP_ALIGNED_TS_PREFIX                                                                      \
    ((uint32_t)TCP_OPT_NOP << 24 | (uint32_t)TCP_OPT_NOP << 16 | TCP_OPT_TS << 8 | 10)

/* One option of (kind) whose total length is (len), with its body at (b). */
static int parse_option(uint8_t kind, const uint8_t *b, uint8_t len, struct tcp_opts *o)
{
    switch (kind) {
    case TCP_OPT_MSS:
        if (len != 4)
            return WIRE_EOPTION;
        o->has_mss = true;
        o->mss = rd16(b);
        return WIRE_OK;
    case TCP_OPT_WSCALE:
        if (len != 3)
            return WIRE_EOPTION;
        o->has_wscale = true;
        o->wscale = b[0];
        return WIRE_OK;
    case TCP_OPT_SACK_OK:
        if (len != 2)
            return WIRE_EOPTION;
        o->sack_ok = true;
        return WIRE_OK;
    case TCP_OPT_TS:
        if (len != 10)
            return WIRE_EOPTION;
        o->has_ts = true;
        o->ts_val = rd32(b);
        o->ts_ecr = rd32(b + 4);
        return WIRE_OK;
    case TCP_OPT_SACK:
        if (len < 10 || (len - 2) % 8 != 0)
            return WIRE_EOPTION;
        o->sack_count = 0;
        for (unsigned i = 0; i < (unsigned)(len - 2) / 8 && i < TCP_MAX_SACK_BLOCKS; i++) {
            o->sack[i].start = rd32(b + 8 * i);
            o->sack[i].end = rd32(b + 8 * i + 4);
            o->sack_count++;
        }
        return WIRE_OK;
    default:
        return WIRE_OK; /* unknown options are ignored (RFC 9293 3.2) */
    }
}

static int parse_options(const uint8_t *p, size_t len, struct tcp_opts *o)
{
    /* What nearly every segment of a connection with timestamps carries (RFC 7323 appendix A:
     * NOP, NOP, TS), Linux's and ours alike: read it without walking the options. */
    if (len == 12 && rd32(p) == TCP_ALIGNED_TS_PREFIX) {
        o->has_ts = true;
        o->ts_val = rd32(p + 4);
        o->ts_ecr = rd32(p + 8);
        return WIRE_OK;
    }
    size_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == TCP_OPT_EOL)
            break;
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            return WIRE_EOPTION;
        uint8_t olen = p[i + 1];
        if (olen < 2 || i + olen > len)
            return WIRE_EOPTION;
        int err = parse_option(kind, p + i + 2, olen, o);
        if (err)
            return err;
        i += olen;
    }
    return WIRE_OK;
}

int tcp_parse(const uint8_t *p, size_t len, struct tcp_hdr *out)
{
    if (len < TCP_HDR_LEN)
        return WIRE_ETRUNCATED;
    memset(out, 0, sizeof(*out));
    out->hdr_len = (uint8_t)((p[12] >> 4) * 4);
    if (out->hdr_len < TCP_HDR_LEN)
        return WIRE_ELENGTH;
    if (out->hdr_len > len)
        return WIRE_ETRUNCATED;
    out->sport = rd16(p);
    out->dport = rd16(p + 2);
    out->seq = rd32(p + 4);
    out->ack = rd32(p + 8);
    out->flags = p[13];
    out->window = rd16(p + 14);
    out->checksum = rd16(p + 16);
    out->urgent = rd16(p + 18);
    return parse_options(p + TCP_HDR_LEN, out->hdr_len - TCP_HDR_LEN, &out->opts);
}

bool tcp_checksum_ok_sum(const uint8_t *p, size_t len, uint32_t pseudo)
{
    return csum_fold(csum_partial(p, len, pseudo)) == 0;
}

bool tcp_checksum_ok(const uint8_t *p, size_t len, uint32_t src, uint32_t dst)
{
    if (len > 0xffff)
        return false;
    return tcp_checksum_ok_sum(p, len, csum_pseudo_ip4(src, dst, IP4_PROTO_TCP, (uint16_t)len));
}

/* How many SACK blocks fit beside the other options. */
static unsigned sack_blocks_fitting(const struct tcp_opts *o, size_t fixed)
{
    unsigned n = o->sack_count;
    if (n > TCP_MAX_SACK_BLOCKS)
        n = TCP_MAX_SACK_BLOCKS;
    while (n && fixed + 4 + 8 * n > TCP_MAX_OPT_LEN)
        n--;
    return n;
}

static size_t fixed_opts_len(const struct tcp_opts *o)
{
    size_t n = 0;
    if (o->has_mss)
        n += 4;
    if (o->has_ts || o->sack_ok)
        n += o->has_ts ? 12 : 4; /* SACK_OK rides in the TS padding */
    if (o->has_wscale)
        n += 4;
    return n;
}

size_t tcp_opts_len(const struct tcp_opts *o)
{
    size_t fixed = fixed_opts_len(o);
    unsigned blocks = sack_blocks_fitting(o, fixed);
    return fixed + (blocks ? 4 + 8 * blocks : 0);
}

static uint8_t *emit_fixed_options(uint8_t *q, const struct tcp_opts *o)
{
    if (o->has_mss) {
        q[0] = TCP_OPT_MSS, q[1] = 4;
        wr16(q + 2, o->mss);
        q += 4;
    }
    if (o->sack_ok) {
        if (!o->has_ts)
            *q++ = TCP_OPT_NOP, *q++ = TCP_OPT_NOP;
        *q++ = TCP_OPT_SACK_OK, *q++ = 2;
    } else if (o->has_ts) {
        *q++ = TCP_OPT_NOP, *q++ = TCP_OPT_NOP;
    }
    if (o->has_ts) {
        q[0] = TCP_OPT_TS, q[1] = 10;
        wr32(q + 2, o->ts_val);
        wr32(q + 6, o->ts_ecr);
        q += 10;
    }
    if (o->has_wscale) {
        q[0] = TCP_OPT_NOP, q[1] = TCP_OPT_WSCALE, q[2] = 3, q[3] = o->wscale;
        q += 4;
    }
    return q;
}

int tcp_emit(uint8_t *p, size_t cap, const struct tcp_hdr *h)
{
    const struct tcp_opts *o = &h->opts;
    size_t hdr_len = TCP_HDR_LEN + tcp_opts_len(o);
    if (cap < hdr_len)
        return WIRE_ENOSPACE;
    wr16(p, h->sport);
    wr16(p + 2, h->dport);
    wr32(p + 4, h->seq);
    wr32(p + 8, h->ack);
    p[12] = (uint8_t)((hdr_len / 4) << 4);
    p[13] = h->flags;
    wr16(p + 14, h->window);
    wr16(p + 16, 0);
    wr16(p + 18, h->urgent);
    uint8_t *q = emit_fixed_options(p + TCP_HDR_LEN, o);
    unsigned blocks = sack_blocks_fitting(o, fixed_opts_len(o));
    if (blocks) {
        q[0] = TCP_OPT_NOP, q[1] = TCP_OPT_NOP, q[2] = TCP_OPT_SACK;
        q[3] = (uint8_t)(2 + 8 * blocks);
        q += 4;
        for (unsigned i = 0; i < blocks; i++, q += 8) {
            wr32(q, o->sack[i].start);
            wr32(q + 4, o->sack[i].end);
        }
    }
    return (int)hdr_len;
}

void tcp_set_checksum_sum(uint8_t *p, size_t len, uint32_t pseudo)
{
    wr16(p + 16, 0);
    wr16(p + 16, csum_fold(csum_partial(p, len, pseudo)));
}

void tcp_set_checksum(uint8_t *p, size_t len, uint32_t src, uint32_t dst)
{
    tcp_set_checksum_sum(p, len, csum_pseudo_ip4(src, dst, IP4_PROTO_TCP, (uint16_t)len));
}

void tcp_set_partial_checksum_sum(uint8_t *p, uint32_t pseudo)
{
    wr16(p + 16, (uint16_t)~csum_fold(pseudo));
}
