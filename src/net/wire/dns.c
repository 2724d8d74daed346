/*
 * DNS wire format (RFC 1035 sections 3 and 4, EDNS0 RFC 6891): see include/unic/wire/dns.h.
 *
 * Parse order for a message: dns_hdr_parse -> dns_question_parse (qdcount times) ->
 * dns_rr_parse / dns_rr_skip for the answer, authority and additional sections.
 * Emit order: dns_emit_init -> dns_emit_question -> dns_emit_rr ... -> dns_hdr_emit.
 */
#include "unic/wire/dns.h"

#include <string.h>

#include "unic/wire/bytes.h"
#include "unic/wire/wire.h"

#define DNS_PTR_MASK 0xc0
#define DNS_PTR_MAX_TARGET 0x3fff

/* --- Header --------------------------------------------------------------------------------- */

int dns_hdr_parse(const uint8_t *msg, size_t len, struct dns_hdr *out)
{
    if (len < DNS_HDR_LEN)
        return WIRE_ETRUNCATED;
    out->id = rd16(msg);
    out->flags = rd16(msg + 2);
    out->qdcount = rd16(msg + 4);
    out->ancount = rd16(msg + 6);
    out->nscount = rd16(msg + 8);
    out->arcount = rd16(msg + 10);
    return WIRE_OK;
}

int dns_hdr_emit(uint8_t *p, size_t cap, const struct dns_hdr *h)
{
    if (cap < DNS_HDR_LEN)
        return WIRE_ENOSPACE;
    wr16(p, h->id);
    wr16(p + 2, h->flags);
    wr16(p + 4, h->qdcount);
    wr16(p + 6, h->ancount);
    wr16(p + 8, h->nscount);
    wr16(p + 10, h->arcount);
    return DNS_HDR_LEN;
}

/* --- Names ---------------------------------------------------------------------------------- */

/* Follows pointers only strictly backwards from the start of the run of labels being read, so
 * each jump lowers the position and a loop (or a pointer out of the message) is impossible. */
int dns_name_parse(const uint8_t *msg, size_t len, size_t off, struct dns_name *out, size_t *next)
{
    size_t pos = off, run_start = off, after = 0, n = 0;
    unsigned labels = 0;
    for (;;) {
        if (pos >= len)
            return WIRE_ETRUNCATED;
        uint8_t c = msg[pos];
        if ((c & DNS_PTR_MASK) == DNS_PTR_MASK) {
            if (pos + 1 >= len)
                return WIRE_ETRUNCATED;
            size_t target = ((size_t)(c & 0x3f) << 8) | msg[pos + 1];
            if (after == 0)
                after = pos + 2;
            if (target >= run_start)
                return WIRE_EMALFORMED;
            pos = run_start = target;
            continue;
        }
        if (c & DNS_PTR_MASK)
            return WIRE_EUNSUPPORTED;
        if (n + 1 + c > DNS_MAX_NAME)
            return WIRE_ELENGTH;
        if (c == 0)
            break;
        if (pos + 1 + c > len)
            return WIRE_ETRUNCATED;
        memcpy(out->wire + n, msg + pos, 1 + (size_t)c);
        n += 1 + (size_t)c;
        pos += 1 + (size_t)c;
        labels++;
    }
    out->wire[n++] = 0;
    out->len = (uint8_t)n;
    out->labels = (uint8_t)labels;
    *next = after ? after : pos + 1;
    return WIRE_OK;
}

static inline uint8_t ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

static bool bytes_equal_nocase(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

void dns_name_lower(struct dns_name *name)
{
    /* Length bytes are at most 63, below 'A', so lowering them too changes nothing. */
    for (size_t i = 0; i < name->len; i++)
        name->wire[i] = ascii_lower(name->wire[i]);
}

bool dns_name_equal(const struct dns_name *a, const struct dns_name *b)
{
    return a->len == b->len && bytes_equal_nocase(a->wire, b->wire, a->len);
}

size_t dns_name_suffix_offset(const struct dns_name *name, unsigned n)
{
    size_t off = 0;
    for (unsigned i = 0; i < n && off < name->len; i++)
        off += 1 + (size_t)name->wire[off];
    return off;
}

bool dns_name_is_subdomain(const struct dns_name *name, const struct dns_name *zone)
{
    if (name->labels < zone->labels)
        return false;
    size_t off = dns_name_suffix_offset(name, (unsigned)(name->labels - zone->labels));
    return name->len - off == zone->len &&
           bytes_equal_nocase(name->wire + off, zone->wire, zone->len);
}

/* Reads one character of a label in presentation form at text[*i], handling \X and \DDD. */
static int text_label_char(const char *text, size_t n, size_t *i, uint8_t *out)
{
    if (text[*i] != '\\') {
        *out = (uint8_t)text[(*i)++];
        return WIRE_OK;
    }
    if (++*i >= n)
        return WIRE_EMALFORMED;
    if (text[*i] < '0' || text[*i] > '9') {
        *out = (uint8_t)text[(*i)++];
        return WIRE_OK;
    }
    unsigned v = 0;
    for (int d = 0; d < 3; d++, ++*i) {
        if (*i >= n || text[*i] < '0' || text[*i] > '9')
            return WIRE_EMALFORMED;
        v = v * 10 + (unsigned)(text[*i] - '0');
    }
    if (v > 255)
        return WIRE_EMALFORMED;
    *out = (uint8_t)v;
    return WIRE_OK;
}

static int name_append(struct dns_name *out, size_t *n, const uint8_t *wire, size_t len,
                       unsigned labels)
{
    if (*n + len > DNS_MAX_NAME)
        return WIRE_ELENGTH;
    memcpy(out->wire + *n, wire, len);
    *n += len;
    out->labels = (uint8_t)(out->labels + labels);
    return WIRE_OK;
}

int dns_name_from_text(const char *text, size_t n, const struct dns_name *origin,
                       struct dns_name *out)
{
    if (n == 0)
        return WIRE_EMALFORMED;
    if (n == 1 && text[0] == '@') {
        if (!origin)
            return WIRE_EMALFORMED;
        *out = *origin;
        return WIRE_OK;
    }
    size_t i = 0, used = 0;
    out->labels = 0;
    if (n == 1 && text[0] == '.')
        i = n; /* the root alone */
    bool absolute = (i == n);
    while (i < n) {
        size_t len_at = used++;
        size_t label_len = 0;
        while (i < n && text[i] != '.') {
            uint8_t c;
            int err = text_label_char(text, n, &i, &c);
            if (err)
                return err;
            if (++label_len > DNS_MAX_LABEL)
                return WIRE_ELENGTH;
            if (used + 1 >= DNS_MAX_NAME)
                return WIRE_ELENGTH;
            out->wire[used++] = c;
        }
        if (label_len == 0)
            return WIRE_EMALFORMED;
        out->wire[len_at] = (uint8_t)label_len;
        out->labels++;
        if (i < n && ++i == n) /* skip the dot; a final dot makes the name absolute */
            absolute = true;
    }
    if (!absolute && origin) {
        int err = name_append(out, &used, origin->wire, origin->len, origin->labels);
        if (err)
            return err;
    } else {
        out->wire[used++] = 0;
    }
    out->len = (uint8_t)used;
    return WIRE_OK;
}

static size_t text_escape(uint8_t c, char *tmp)
{
    if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' ||
        c == '$') {
        tmp[0] = '\\';
        tmp[1] = (char)c;
        return 2;
    }
    if (c <= 0x20 || c >= 0x7f) {
        tmp[0] = '\\';
        tmp[1] = (char)('0' + c / 100);
        tmp[2] = (char)('0' + c / 10 % 10);
        tmp[3] = (char)('0' + c % 10);
        return 4;
    }
    tmp[0] = (char)c;
    return 1;
}

int dns_name_to_text(const struct dns_name *name, char *buf, size_t cap)
{
    size_t used = 0, off = 0;
    if (name->len <= 1) {
        if (cap < 2)
            return WIRE_ENOSPACE;
        memcpy(buf, ".", 2);
        return 1;
    }
    while (off < name->len && name->wire[off] != 0) {
        size_t label_len = name->wire[off++];
        for (size_t k = 0; k < label_len; k++, off++) {
            char tmp[4];
            size_t w = text_escape(name->wire[off], tmp);
            if (used + w + 1 > cap)
                return WIRE_ENOSPACE;
            memcpy(buf + used, tmp, w);
            used += w;
        }
        if (used + 2 > cap)
            return WIRE_ENOSPACE;
        buf[used++] = '.';
    }
    buf[used] = '\0';
    return (int)used;
}

/* --- Questions and records ------------------------------------------------------------------ */

int dns_question_parse(const uint8_t *msg, size_t len, size_t off, struct dns_question *out,
                       size_t *next)
{
    size_t pos;
    int err = dns_name_parse(msg, len, off, &out->name, &pos);
    if (err)
        return err;
    if (len - pos < 4)
        return WIRE_ETRUNCATED;
    out->type = rd16(msg + pos);
    out->class_ = rd16(msg + pos + 2);
    *next = pos + 4;
    return WIRE_OK;
}

/* A name that must end exactly at (end), e.g. the target of a CNAME filling its rdata. */
static int rdata_name(const uint8_t *msg, size_t end, size_t off, struct dns_name *out,
                      size_t *next)
{
    int err = dns_name_parse(msg, end, off, out, next);
    return err == WIRE_ETRUNCATED ? WIRE_ELENGTH : err;
}

static int parse_soa(const uint8_t *msg, size_t end, size_t off, struct dns_rr *rr)
{
    size_t pos;
    int err = rdata_name(msg, end, off, &rr->u.soa.mname, &pos);
    if (!err)
        err = rdata_name(msg, end, pos, &rr->u.soa.rname, &pos);
    if (err)
        return err;
    if (end - pos != 20)
        return WIRE_ELENGTH;
    rr->u.soa.serial = rd32(msg + pos);
    rr->u.soa.refresh = rd32(msg + pos + 4);
    rr->u.soa.retry = rd32(msg + pos + 8);
    rr->u.soa.expire = rd32(msg + pos + 12);
    rr->u.soa.minimum = rd32(msg + pos + 16);
    return WIRE_OK;
}

static int parse_txt(const uint8_t *rdata, size_t rdlength)
{
    if (rdlength == 0)
        return WIRE_ELENGTH; /* at least one character-string, maybe empty */
    for (size_t pos = 0; pos < rdlength; pos += 1 + (size_t)rdata[pos])
        if (pos + 1 + rdata[pos] > rdlength)
            return WIRE_ELENGTH;
    return WIRE_OK;
}

static int parse_opt(const uint8_t *rdata, struct dns_rr *rr)
{
    if (rr->name.len != 1)
        return WIRE_EOPTION; /* OPT is owned by the root */
    for (size_t pos = 0; pos < rr->rdlength;) {
        if (rr->rdlength - pos < 4)
            return WIRE_EOPTION;
        size_t opt_len = rd16(rdata + pos + 2);
        if (rr->rdlength - pos - 4 < opt_len)
            return WIRE_EOPTION;
        pos += 4 + opt_len;
    }
    rr->u.opt.udp_size = rr->class_;
    rr->u.opt.ext_rcode = (uint8_t)(rr->ttl >> 24);
    rr->u.opt.version = (uint8_t)(rr->ttl >> 16);
    rr->u.opt.flags = (uint16_t)rr->ttl;
    rr->u.opt.options_len = rr->rdlength;
    return WIRE_OK;
}

static int name_ends_at(const uint8_t *msg, size_t end, size_t off, struct dns_name *out)
{
    size_t next;
    int err = rdata_name(msg, end, off, out, &next);
    return err ? err : (next == end ? WIRE_OK : WIRE_ELENGTH);
}

static int parse_rdata(const uint8_t *msg, size_t off, struct dns_rr *rr)
{
    size_t end = off + rr->rdlength;
    switch (rr->type) {
    case DNS_TYPE_A:
        if (rr->rdlength != 4)
            return WIRE_ELENGTH;
        memcpy(rr->u.a, msg + off, 4);
        return WIRE_OK;
    case DNS_TYPE_AAAA:
        if (rr->rdlength != 16)
            return WIRE_ELENGTH;
        memcpy(rr->u.aaaa, msg + off, 16);
        return WIRE_OK;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        return name_ends_at(msg, end, off, &rr->u.target);
    case DNS_TYPE_MX:
        if (rr->rdlength < 3)
            return WIRE_ELENGTH;
        rr->u.mx.preference = rd16(msg + off);
        return name_ends_at(msg, end, off + 2, &rr->u.mx.exchange);
    case DNS_TYPE_SOA:
        return parse_soa(msg, end, off, rr);
    case DNS_TYPE_TXT:
        return parse_txt(msg + off, rr->rdlength);
    case DNS_TYPE_OPT:
        return parse_opt(msg + off, rr);
    default:
        return WIRE_OK;
    }
}

/* Owner name and the fixed fields; (*rdata_off) is where the rdata starts. */
static int parse_rr_head(const uint8_t *msg, size_t len, size_t off, struct dns_rr *rr,
                         size_t *rdata_off)
{
    size_t pos;
    int err = dns_name_parse(msg, len, off, &rr->name, &pos);
    if (err)
        return err;
    if (len - pos < DNS_RR_FIXED_LEN)
        return WIRE_ETRUNCATED;
    rr->type = rd16(msg + pos);
    rr->class_ = rd16(msg + pos + 2);
    rr->ttl = rd32(msg + pos + 4);
    rr->rdlength = rd16(msg + pos + 8);
    pos += DNS_RR_FIXED_LEN;
    if (len - pos < rr->rdlength)
        return WIRE_ETRUNCATED;
    *rdata_off = pos;
    return WIRE_OK;
}

int dns_rr_parse(const uint8_t *msg, size_t len, size_t off, struct dns_rr *out, size_t *next)
{
    size_t pos;
    int err = parse_rr_head(msg, len, off, out, &pos);
    if (err)
        return err;
    out->rdata_off = pos;
    out->rdata = msg + pos;
    err = parse_rdata(msg, pos, out);
    if (err)
        return err;
    *next = pos + out->rdlength;
    return WIRE_OK;
}

int dns_rr_skip(const uint8_t *msg, size_t len, size_t off, unsigned count, size_t *next)
{
    struct dns_name scratch;
    for (unsigned i = 0; i < count; i++) {
        int err = dns_name_parse(msg, len, off, &scratch, &off);
        if (err)
            return err;
        if (len - off < DNS_RR_FIXED_LEN)
            return WIRE_ETRUNCATED;
        size_t rdlength = rd16(msg + off + 8);
        off += DNS_RR_FIXED_LEN;
        if (len - off < rdlength)
            return WIRE_ETRUNCATED;
        off += rdlength;
    }
    *next = off;
    return WIRE_OK;
}

/* --- Emitting ------------------------------------------------------------------------------- */

int dns_emit_init(struct dns_emitter *e, uint8_t *buf, size_t cap)
{
    if (cap < DNS_HDR_LEN)
        return WIRE_ENOSPACE;
    e->buf = buf;
    e->cap = cap;
    e->len = DNS_HDR_LEN;
    e->nnames = 0;
    return WIRE_OK;
}

void dns_emit_set_limit(struct dns_emitter *e, size_t limit)
{
    if (limit < e->cap)
        e->cap = limit < e->len ? e->len : limit;
}

/* Does the name written at (off) in the message equal the uncompressed (suffix)? Names in the
 * message were written by this emitter, so their pointers are known to be sane. */
static bool name_matches_at(const uint8_t *buf, size_t off, const uint8_t *suffix)
{
    for (;;) {
        uint8_t c = buf[off];
        if ((c & DNS_PTR_MASK) == DNS_PTR_MASK) {
            off = ((size_t)(c & 0x3f) << 8) | buf[off + 1];
            continue;
        }
        if (c != *suffix)
            return false;
        if (c == 0)
            return true;
        if (!bytes_equal_nocase(buf + off + 1, suffix + 1, c))
            return false;
        off += 1 + (size_t)c;
        suffix += 1 + (size_t)c;
    }
}

static int find_suffix(const struct dns_emitter *e, const uint8_t *suffix)
{
    for (unsigned k = 0; k < e->nnames; k++)
        if (name_matches_at(e->buf, e->names[k], suffix))
            return e->names[k];
    return -1;
}

static void remember_name(struct dns_emitter *e, size_t off)
{
    if (e->nnames < DNS_COMPRESS_MAX && off <= DNS_PTR_MAX_TARGET)
        e->names[e->nnames++] = (uint16_t)off;
}

/* The offsets of the labels just written become targets only once the whole name is in the
 * buffer: matching a suffix against a name still being written would read past its end and
 * could make a pointer to the name itself. */
static void remember_labels(struct dns_emitter *e, size_t start, size_t end)
{
    for (size_t off = start; off < end; off += 1 + (size_t)e->buf[off])
        remember_name(e, off);
}

int dns_emit_name(struct dns_emitter *e, const struct dns_name *name, bool compress)
{
    size_t start = e->len, off = 0;
    while (name->wire[off] != 0) {
        int target = compress ? find_suffix(e, name->wire + off) : -1;
        if (target >= 0) {
            if (e->cap - e->len < 2)
                goto nospace;
            size_t labels_end = e->len;
            wr16(e->buf + e->len, (uint16_t)(0xc000 | target));
            e->len += 2;
            remember_labels(e, start, labels_end);
            return WIRE_OK;
        }
        size_t label = 1 + (size_t)name->wire[off];
        if (e->cap - e->len < label)
            goto nospace;
        memcpy(e->buf + e->len, name->wire + off, label);
        e->len += label;
        off += label;
    }
    if (e->cap - e->len < 1)
        goto nospace;
    e->buf[e->len++] = 0;
    if (compress)
        remember_labels(e, start, e->len - 1);
    return WIRE_OK;
nospace:
    e->len = start;
    return WIRE_ENOSPACE;
}

static int emit_bytes(struct dns_emitter *e, const void *p, size_t n)
{
    if (e->cap - e->len < n)
        return WIRE_ENOSPACE;
    memcpy(e->buf + e->len, p, n);
    e->len += n;
    return WIRE_OK;
}

static int emit_u16(struct dns_emitter *e, uint16_t v)
{
    uint8_t b[2];
    wr16(b, v);
    return emit_bytes(e, b, 2);
}

static int emit_u32(struct dns_emitter *e, uint32_t v)
{
    uint8_t b[4];
    wr32(b, v);
    return emit_bytes(e, b, 4);
}

int dns_emit_question(struct dns_emitter *e, const struct dns_question *q)
{
    size_t save_len = e->len;
    unsigned save_names = e->nnames;
    int err = dns_emit_name(e, &q->name, true);
    if (!err)
        err = emit_u16(e, q->type);
    if (!err)
        err = emit_u16(e, q->class_);
    if (err) {
        e->len = save_len;
        e->nnames = save_names;
    }
    return err;
}

static int emit_soa_rdata(struct dns_emitter *e, const struct dns_rr *rr)
{
    int err = dns_emit_name(e, &rr->u.soa.mname, true);
    if (!err)
        err = dns_emit_name(e, &rr->u.soa.rname, true);
    if (!err)
        err = emit_u32(e, rr->u.soa.serial);
    if (!err)
        err = emit_u32(e, rr->u.soa.refresh);
    if (!err)
        err = emit_u32(e, rr->u.soa.retry);
    if (!err)
        err = emit_u32(e, rr->u.soa.expire);
    if (!err)
        err = emit_u32(e, rr->u.soa.minimum);
    return err;
}

static int emit_rdata(struct dns_emitter *e, const struct dns_rr *rr)
{
    int err;
    switch (rr->type) {
    case DNS_TYPE_A:
        return emit_bytes(e, rr->u.a, 4);
    case DNS_TYPE_AAAA:
        return emit_bytes(e, rr->u.aaaa, 16);
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        return dns_emit_name(e, &rr->u.target, true);
    case DNS_TYPE_MX:
        err = emit_u16(e, rr->u.mx.preference);
        return err ? err : dns_emit_name(e, &rr->u.mx.exchange, true);
    case DNS_TYPE_SOA:
        return emit_soa_rdata(e, rr);
    case DNS_TYPE_OPT:
        return WIRE_OK;
    default:
        return rr->rdlength ? emit_bytes(e, rr->rdata, rr->rdlength) : WIRE_OK;
    }
}

int dns_emit_rr(struct dns_emitter *e, const struct dns_rr *rr)
{
    size_t save_len = e->len;
    unsigned save_names = e->nnames;
    int err = dns_emit_name(e, &rr->name, true);
    size_t fixed = e->len;
    if (!err)
        err = e->cap - e->len < DNS_RR_FIXED_LEN ? WIRE_ENOSPACE : WIRE_OK;
    if (!err) {
        e->len += DNS_RR_FIXED_LEN;
        err = emit_rdata(e, rr);
    }
    if (!err && e->len - fixed - DNS_RR_FIXED_LEN > UINT16_MAX)
        err = WIRE_ELENGTH;
    if (err) {
        e->len = save_len;
        e->nnames = save_names;
        return err;
    }
    uint8_t *p = e->buf + fixed;
    wr16(p, rr->type);
    wr16(p + 2, rr->class_);
    wr32(p + 4, rr->ttl);
    wr16(p + 8, (uint16_t)(e->len - fixed - DNS_RR_FIXED_LEN));
    return WIRE_OK;
}

int dns_emit_opt(struct dns_emitter *e, uint16_t udp_size, uint8_t ext_rcode, uint16_t flags)
{
    /* Root owner, type, class = UDP size, ttl = ext rcode | version 0 | flags, rdlength 0. */
    uint8_t rec[1 + DNS_RR_FIXED_LEN] = {0};
    wr16(rec + 1, DNS_TYPE_OPT);
    wr16(rec + 3, udp_size);
    wr32(rec + 5, ((uint32_t)ext_rcode << 24) | flags);
    return emit_bytes(e, rec, sizeof(rec));
}
