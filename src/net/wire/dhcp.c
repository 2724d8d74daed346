/*
 * DHCP message parse/emit (RFC 2131, options RFC 2132). Order of option areas on input, as
 * RFC 2131 4.1 says: the options field, then `file`, then `sname` when option 52 overloads them.
 * Every instance of an option in those areas is joined, in that order, before its value is
 * read (RFC 3396 7): a server may split a long option, or any option, into several.
 */
#include "unic/wire/dhcp.h"

#include <stdbool.h>
#include <string.h>

#include "unic/wire/bytes.h"
#include "unic/wire/wire.h"

#define DHCP_SNAME_OFF 44
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_OFF 108
#define DHCP_FILE_LEN 128
#define DHCP_OVERLOAD_FILE 1
#define DHCP_OVERLOAD_SNAME 2
#define DHCP_JOIN_KEEP 64 /* bytes of a joined option kept: more than any reader looks at */

static int dhcp_opt_addr(const uint8_t *v, size_t len, uint32_t *out)
{
    if (len != 4)
        return WIRE_EOPTION;
    *out = rd32(v);
    return WIRE_OK;
}

/* A list of addresses: a non-empty multiple of 4; keeps the first (max) of them. */
static int dhcp_opt_addrs(const uint8_t *v, size_t len, uint32_t *out, uint8_t max, uint8_t *count)
{
    if (len == 0 || len % 4)
        return WIRE_EOPTION;
    uint8_t n = 0;
    for (size_t i = 0; i < len / 4 && n < max; i++)
        out[n++] = rd32(v + 4 * i);
    if (count)
        *count = n;
    return WIRE_OK;
}

static int dhcp_opt_byte(const uint8_t *v, size_t len, uint8_t *out)
{
    if (len != 1)
        return WIRE_EOPTION;
    *out = v[0];
    return WIRE_OK;
}

static int dhcp_opt_params(const uint8_t *v, size_t len, struct dhcp_msg *m)
{
    if (len == 0)
        return WIRE_EOPTION;
    m->param_count = (uint8_t)(len < DHCP_MAX_PARAMS ? len : DHCP_MAX_PARAMS);
    memcpy(m->params, v, m->param_count);
    return WIRE_OK;
}

static int dhcp_opt_max_size(const uint8_t *v, size_t len, struct dhcp_msg *m)
{
    if (len != 2)
        return WIRE_EOPTION;
    uint16_t size = rd16(v);
    m->max_size = size >= DHCP_MAX_LEN ? size : 0; /* below 576 is invalid: ignore it */
    return WIRE_OK;
}

static int dhcp_opt_overload(const uint8_t *v, size_t len, uint8_t *overload)
{
    if (len != 1 || v[0] < 1 || v[0] > 3)
        return WIRE_EOPTION;
    *overload = v[0];
    return WIRE_OK;
}

/* One known option (code) whose joined value is (len) bytes, of which (v) holds the first
 * min(len, DHCP_JOIN_KEEP): no reader looks further (3 DNS servers, 16 parameters). */
static int dhcp_parse_option(uint8_t code, const uint8_t *v, size_t len, struct dhcp_msg *m)
{
    switch (code) {
    case DHCP_OPT_SUBNET_MASK:
        return dhcp_opt_addr(v, len, &m->subnet_mask);
    case DHCP_OPT_ROUTER:
        return dhcp_opt_addrs(v, len, &m->router, 1, NULL);
    case DHCP_OPT_DNS:
        return dhcp_opt_addrs(v, len, m->dns, DHCP_MAX_DNS, &m->dns_count);
    case DHCP_OPT_REQUESTED_IP:
        return dhcp_opt_addr(v, len, &m->requested_ip);
    case DHCP_OPT_SERVER_ID:
        return dhcp_opt_addr(v, len, &m->server_id);
    case DHCP_OPT_LEASE_TIME:
        return dhcp_opt_addr(v, len, &m->lease_time);
    case DHCP_OPT_T1:
        return dhcp_opt_addr(v, len, &m->t1);
    case DHCP_OPT_T2:
        return dhcp_opt_addr(v, len, &m->t2);
    case DHCP_OPT_MSG_TYPE:
        return dhcp_opt_byte(v, len, &m->type);
    case DHCP_OPT_PARAM_LIST:
        return dhcp_opt_params(v, len, m);
    case DHCP_OPT_MAX_SIZE:
        return dhcp_opt_max_size(v, len, m);
    default:
        return WIRE_OK;
    }
}

/* The option areas of one message, in the order RFC 3396 7 joins them. */
struct dhcp_areas {
    const uint8_t *p[3];
    size_t len[3];
    unsigned count;
};

/* One option joined from all its instances: the total length, the first bytes. */
struct dhcp_join {
    uint8_t keep[DHCP_JOIN_KEEP];
    size_t total;
    bool present;
};

/* Walk (p, len) to its END (a missing END is tolerated: many servers omit it in overloaded
 * fields), appending every instance of option (want) to (join). WIRE_EOPTION when an option
 * runs past the area. */

static int dhcp_walk_area(const uint8_t *p, size_t len, uint8_t want, struct dhcp_join *join)
{
    size_t i = 0;
    while (i < len) {
        uint8_t code = p[i++];
        if (code == DHCP_OPT_PAD)
            continue;
        if (code == DHCP_OPT_END)
            return WIRE_OK;
        if (i >= len || p[i] > len - i - 1)
            return WIRE_EOPTION;
        uint8_t olen = p[i++];
        if (code == want) {
            /* Past what is kept nothing is copied, and no pointer is formed past the array
             * either (keep + total beyond it is undefined even for a copy of 0 bytes). */
            if (join->total < DHCP_JOIN_KEEP) {
                size_t room = DHCP_JOIN_KEEP - join->total;
                memcpy(join->keep + join->total, p + i, olen < room ? olen : room);
            }
            join->total += olen;
            join->present = true;
        }
        i += olen;
    }
    return WIRE_OK;
}

/* Every instance of (code) in (a), joined (RFC 3396 7). */
static int dhcp_join_option(const struct dhcp_areas *a, uint8_t code, struct dhcp_join *join)
{
    join->total = 0;
    join->present = false;
    for (unsigned k = 0; k < a->count; k++) {
        int r = dhcp_walk_area(a->p[k], a->len[k], code, join);
        if (r < 0)
            return r;
    }
    return WIRE_OK;
}

/* The options a client and a test server read; others are skipped. */
static const uint8_t dhcp_known_options[] = {
    DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTER,   DHCP_OPT_DNS,       DHCP_OPT_REQUESTED_IP,
    DHCP_OPT_LEASE_TIME,  DHCP_OPT_MSG_TYPE, DHCP_OPT_SERVER_ID, DHCP_OPT_PARAM_LIST,
    DHCP_OPT_MAX_SIZE,    DHCP_OPT_T1,       DHCP_OPT_T2,
};

/* Option 52, read from the options field alone (it may not appear elsewhere), then the areas
 * it names: options field, then `file`, then `sname`. */
static int dhcp_find_areas(const uint8_t *p, size_t len, struct dhcp_areas *a)
{
    a->p[0] = p + DHCP_MIN_LEN;
    a->len[0] = len - DHCP_MIN_LEN;
    a->count = 1;
    struct dhcp_join join;
    uint8_t overload = 0;
    int r = dhcp_join_option(a, DHCP_OPT_OVERLOAD, &join);
    if (r == WIRE_OK && join.present)
        r = dhcp_opt_overload(join.keep, join.total, &overload);
    if (overload & DHCP_OVERLOAD_FILE) {
        a->p[a->count] = p + DHCP_FILE_OFF;
        a->len[a->count++] = DHCP_FILE_LEN;
    }
    if (overload & DHCP_OVERLOAD_SNAME) {
        a->p[a->count] = p + DHCP_SNAME_OFF;
        a->len[a->count++] = DHCP_SNAME_LEN;
    }
    return r;
}

static void dhcp_parse_fixed(const uint8_t *p, struct dhcp_msg *m)
{
    m->op = p[0];
    m->htype = p[1];
    m->hlen = p[2];
    m->hops = p[3];
    m->xid = rd32(p + 4);
    m->secs = rd16(p + 8);
    m->flags = rd16(p + 10);
    m->ciaddr = rd32(p + 12);
    m->yiaddr = rd32(p + 16);
    m->siaddr = rd32(p + 20);
    m->giaddr = rd32(p + 24);
    memcpy(m->chaddr, p + 28, 16);
}

int dhcp_parse(const uint8_t *p, size_t len, struct dhcp_msg *out)
{
    memset(out, 0, sizeof(*out));
    if (len < DHCP_MIN_LEN)
        return WIRE_ETRUNCATED;
    if (rd32(p + DHCP_FIXED_LEN) != DHCP_MAGIC)
        return WIRE_EVERSION;
    dhcp_parse_fixed(p, out);
    if (out->hlen > 16)
        return WIRE_EMALFORMED;
    struct dhcp_areas areas;
    int r = dhcp_find_areas(p, len, &areas);
    struct dhcp_join join;
    for (size_t i = 0; r == WIRE_OK && i < sizeof(dhcp_known_options); i++) {
        r = dhcp_join_option(&areas, dhcp_known_options[i], &join);
        if (r == WIRE_OK && join.present)
            r = dhcp_parse_option(dhcp_known_options[i], join.keep, join.total, out);
    }
    if (r == WIRE_OK && out->type == 0)
        r = WIRE_EMALFORMED;
    return r;
}

/* Option writer over a buffer already known to be large enough (checked by dhcp_emit). */
struct dhcp_out {
    uint8_t *p;
    size_t off;
};

static void dhcp_put_bytes(struct dhcp_out *o, uint8_t code, const uint8_t *v, uint8_t len)
{
    o->p[o->off++] = code;
    o->p[o->off++] = len;
    memcpy(o->p + o->off, v, len);
    o->off += len;
}

static void dhcp_put32(struct dhcp_out *o, uint8_t code, uint32_t v)
{
    uint8_t b[4];
    if (!v)
        return;
    wr32(b, v);
    dhcp_put_bytes(o, code, b, 4);
}

static void dhcp_put_dns(struct dhcp_out *o, const struct dhcp_msg *m)
{
    uint8_t b[4 * DHCP_MAX_DNS];
    uint8_t n = m->dns_count < DHCP_MAX_DNS ? m->dns_count : DHCP_MAX_DNS;
    for (uint8_t i = 0; i < n; i++)
        wr32(b + 4 * i, m->dns[i]);
    if (n)
        dhcp_put_bytes(o, DHCP_OPT_DNS, b, (uint8_t)(4 * n));
}

static void dhcp_put_misc(struct dhcp_out *o, const struct dhcp_msg *m)
{
    if (m->client_id_mac) {
        uint8_t id[7] = {DHCP_HTYPE_ETH};
        memcpy(id + 1, m->chaddr, 6);
        dhcp_put_bytes(o, DHCP_OPT_CLIENT_ID, id, sizeof(id));
    }
    if (m->max_size) {
        uint8_t b[2];
        wr16(b, m->max_size);
        dhcp_put_bytes(o, DHCP_OPT_MAX_SIZE, b, 2);
    }
    if (m->param_count)
        dhcp_put_bytes(o, DHCP_OPT_PARAM_LIST, m->params,
                       m->param_count < DHCP_MAX_PARAMS ? m->param_count : DHCP_MAX_PARAMS);
}

static void dhcp_emit_fixed(uint8_t *p, const struct dhcp_msg *m)
{
    p[0] = m->op;
    p[1] = m->htype;
    p[2] = m->hlen;
    p[3] = m->hops;
    wr32(p + 4, m->xid);
    wr16(p + 8, m->secs);
    wr16(p + 10, m->flags);
    wr32(p + 12, m->ciaddr);
    wr32(p + 16, m->yiaddr);
    wr32(p + 20, m->siaddr);
    wr32(p + 24, m->giaddr);
    memcpy(p + 28, m->chaddr, 16);
    wr32(p + DHCP_FIXED_LEN, DHCP_MAGIC);
}

int dhcp_emit(uint8_t *p, size_t cap, const struct dhcp_msg *m)
{
    if (cap < DHCP_MAX_LEN)
        return WIRE_ENOSPACE;
    memset(p, 0, DHCP_MAX_LEN);
    dhcp_emit_fixed(p, m);
    struct dhcp_out o = {.p = p, .off = DHCP_MIN_LEN};
    if (m->type)
        dhcp_put_bytes(&o, DHCP_OPT_MSG_TYPE, &m->type, 1);
    dhcp_put32(&o, DHCP_OPT_REQUESTED_IP, m->requested_ip);
    dhcp_put32(&o, DHCP_OPT_SERVER_ID, m->server_id);
    dhcp_put32(&o, DHCP_OPT_LEASE_TIME, m->lease_time);
    dhcp_put32(&o, DHCP_OPT_T1, m->t1);
    dhcp_put32(&o, DHCP_OPT_T2, m->t2);
    dhcp_put32(&o, DHCP_OPT_SUBNET_MASK, m->subnet_mask);
    dhcp_put32(&o, DHCP_OPT_ROUTER, m->router);
    dhcp_put_dns(&o, m);
    dhcp_put_misc(&o, m);
    p[o.off++] = DHCP_OPT_END;
    return (int)(o.off < DHCP_BOOTP_MIN_LEN ? DHCP_BOOTP_MIN_LEN : o.off);
}

int dhcp_mask_prefix(uint32_t mask)
{
    uint32_t inverted = ~mask;
    if (inverted & (inverted + 1)) /* the host part must be 0...01...1 */
        return -1;
    int n = 0;
    while (n < 32 && (mask & (0x80000000u >> n)))
        n++;
    return n;
}
