/*
 * Zone file reader: see zonefile.h.
 *
 * zonefile_load -> (per line) tokenize -> directive | record: owner, ttl/class, type ->
 * rdata_<type> -> zone_add.
 */
#include "zonefile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "unic/wire/bytes.h"

#define MAX_TOKENS 64

struct token {
    const char *p;
    size_t n;
    bool quoted;
};

struct rdata {
    uint8_t buf[ZONEFILE_MAX_LINE + MAX_TOKENS]; /* TXT: the line's bytes + a length each */
    size_t len;
};

struct loader {
    struct dns_zone *z;
    struct dns_name origin, owner;
    bool have_origin, have_owner;
    uint32_t default_ttl;
    unsigned line;
    char *err;
    size_t errlen;
    struct rdata rd; /* the record being built */
};

static int load_error(struct loader *l, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int load_error(struct loader *l, int code, const char *fmt, ...)
{
    int n = snprintf(l->err, l->errlen, "line %u: ", l->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < l->errlen)
        vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool token_is(const struct token *t, const char *word)
{
    size_t n = strlen(word);
    if (t->n != n || t->quoted)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t->p[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != word[i])
            return false;
    }
    return true;
}

/* --- Numbers and addresses ------------------------------------------------------------------ */

static int parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 10)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

int zonefile_parse_ttl(const char *s, size_t n, uint32_t *out)
{
    uint64_t total = 0, part = 0;
    bool digits = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            part = part * 10 + (uint64_t)(c - '0');
            digits = true;
            if (part > UINT32_MAX)
                return -EINVAL;
            continue;
        }
        static const char units[] = "smhdwSMHDW";
        static const uint32_t seconds[] = {1, 60, 3600, 86400, 604800};
        const char *u = c ? strchr(units, c) : NULL;
        if (!u || !digits)
            return -EINVAL;
        total += part * seconds[(u - units) % 5];
        part = 0;
        digits = false;
    }
    total += part;
    if (n == 0 || total > UINT32_MAX)
        return -EINVAL;
    *out = (uint32_t)total;
    return 0;
}

int zonefile_parse_ip4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        size_t start = i;
        while (i < n && s[i] != '.')
            i++;
        uint32_t v;
        if (i - start > 3 || parse_u32(s + start, i - start, 255, &v))
            return -EINVAL;
        out[part] = (uint8_t)v;
        if (part < 3 && (i >= n || s[i++] != '.'))
            return -EINVAL;
    }
    return i == n ? 0 : -EINVAL;
}

static int hex_group(const char *s, size_t n, uint16_t *out)
{
    uint32_t v = 0;
    if (n == 0 || n > 4)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0)
            return -EINVAL;
        v = v * 16 + (uint32_t)d;
    }
    *out = (uint16_t)v;
    return 0;
}

/* RFC 4291 2.2: eight groups, one "::" for a run of zero groups, an IPv4 tail allowed. */
int zonefile_parse_ip6(const char *s, size_t n, uint8_t out[16])
{
    uint8_t groups[16];
    int count = 0, gap = -1; /* bytes before "::" */
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    }
    while (i < n) {
        size_t start = i;
        while (i < n && s[i] != ':')
            i++;
        bool last = i == n;
        if (last && memchr(s + start, '.', i - start)) { /* dotted IPv4 tail */
            if (count > 12 || zonefile_parse_ip4(s + start, i - start, groups + count))
                return -EINVAL;
            count += 4;
            break;
        }
        uint16_t g;
        if (count > 14 || hex_group(s + start, i - start, &g))
            return -EINVAL;
        wr16(groups + count, g);
        count += 2;
        if (last)
            break;
        i++; /* the ':' */
        if (i < n && s[i] == ':') {
            if (gap >= 0)
                return -EINVAL;
            gap = count;
            i++;
        } else if (i == n) {
            return -EINVAL; /* a single trailing ':' */
        }
    }
    if (gap < 0 ? count != 16 : count > 14)
        return -EINVAL;
    memset(out, 0, 16);
    int tail = gap < 0 ? 0 : count - gap;
    int head = count - tail;
    memcpy(out, groups, (size_t)head);
    memcpy(out + 16 - tail, groups + head, (size_t)tail);
    return 0;
}

/* --- Tokens --------------------------------------------------------------------------------- */

/* Split (line) into words and "quoted strings" (quotes dropped, escapes kept), stopping at an
 * unquoted ';'. Returns the count or a negative error. */
static int tokenize(struct loader *l, const char *line, size_t n, struct token *tok)
{
    int count = 0;
    size_t i = 0;
    for (;;) {
        while (i < n && is_blank(line[i]))
            i++;
        if (i == n || line[i] == ';')
            return count;
        if (line[i] == '(' || line[i] == ')')
            return load_error(l, -EINVAL, "parentheses are not supported: one record per line");
        if (count == MAX_TOKENS)
            return load_error(l, -EINVAL, "too many words");
        struct token *t = &tok[count++];
        t->quoted = line[i] == '"';
        if (t->quoted)
            i++;
        t->p = line + i;
        while (i < n && (t->quoted ? line[i] != '"' : !is_blank(line[i]) && line[i] != ';')) {
            if (line[i] == '\\' && i + 1 < n)
                i++;
            i++;
        }
        t->n = (size_t)(line + i - t->p);
        if (t->quoted && i++ == n)
            return load_error(l, -EINVAL, "unterminated quoted string");
    }
}

static bool is_absolute(const struct token *t)
{
    return t->n > 0 && t->p[t->n - 1] == '.' && (t->n < 2 || t->p[t->n - 2] != '\\');
}

static int name_token(struct loader *l, const struct token *t, struct dns_name *out)
{
    if (!l->have_origin && !is_absolute(t))
        return load_error(l, -EINVAL, "relative name '%.*s' without $ORIGIN (or --origin)",
                          (int)t->n, t->p);
    if (dns_name_from_text(t->p, t->n, l->have_origin ? &l->origin : NULL, out) != 0)
        return load_error(l, -EINVAL, "bad name '%.*s'", (int)t->n, t->p);
    return 0;
}

/* --- Rdata ---------------------------------------------------------------------------------- */

static int put_name(struct loader *l, const struct token *t, struct rdata *rd)
{
    struct dns_name name;
    int err = name_token(l, t, &name);
    if (err)
        return err;
    memcpy(rd->buf + rd->len, name.wire, name.len);
    rd->len += name.len;
    return 0;
}

/* A <character-string>: escapes \X and \DDD decoded, at most 255 bytes. */
static int put_string(struct loader *l, const struct token *t, struct rdata *rd)
{
    size_t at = rd->len++, n = 0;
    for (size_t i = 0; i < t->n; n++) {
        uint8_t c = (uint8_t)t->p[i++];
        if (c == '\\' && i < t->n) {
            c = (uint8_t)t->p[i++];
            if (c >= '0' && c <= '9') {
                uint32_t v;
                if (i + 2 > t->n || parse_u32(t->p + i - 1, 3, 255, &v))
                    return load_error(l, -EINVAL, "bad \\DDD escape");
                c = (uint8_t)v;
                i += 2;
            }
        }
        if (n == 255)
            return load_error(l, -EINVAL, "character-string over 255 bytes");
        rd->buf[rd->len++] = c;
    }
    rd->buf[at] = (uint8_t)n;
    return 0;
}

static int want_args(struct loader *l, int have, int want, const char *type)
{
    if (have == want)
        return 0;
    return load_error(l, -EINVAL, "%s takes %d value%s, not %d", type, want, want == 1 ? "" : "s",
                      have);
}

static int rdata_soa(struct loader *l, const struct token *t, int n, struct rdata *rd)
{
    int err = want_args(l, n, 7, "SOA");
    if (!err)
        err = put_name(l, &t[0], rd);
    if (!err)
        err = put_name(l, &t[1], rd);
    for (int i = 2; !err && i < 7; i++) {
        uint32_t v;
        if (zonefile_parse_ttl(t[i].p, t[i].n, &v))
            return load_error(l, -EINVAL, "bad SOA number '%.*s'", (int)t[i].n, t[i].p);
        wr32(rd->buf + rd->len, v);
        rd->len += 4;
    }
    return err;
}

static int rdata_mx(struct loader *l, const struct token *t, int n, struct rdata *rd)
{
    uint32_t pref;
    int err = want_args(l, n, 2, "MX");
    if (err)
        return err;
    if (parse_u32(t[0].p, t[0].n, UINT16_MAX, &pref))
        return load_error(l, -EINVAL, "bad MX preference '%.*s'", (int)t[0].n, t[0].p);
    wr16(rd->buf, (uint16_t)pref);
    rd->len = 2;
    return put_name(l, &t[1], rd);
}

static int rdata_address(struct loader *l, uint16_t type, const struct token *t, int n,
                         struct rdata *rd)
{
    int err = want_args(l, n, 1, type == DNS_TYPE_A ? "A" : "AAAA");
    if (err)
        return err;
    rd->len = type == DNS_TYPE_A ? 4 : 16;
    err = type == DNS_TYPE_A ? zonefile_parse_ip4(t->p, t->n, rd->buf)
                             : zonefile_parse_ip6(t->p, t->n, rd->buf);
    if (err)
        return load_error(l, -EINVAL, "bad address '%.*s'", (int)t->n, t->p);
    return 0;
}

static int rdata_for(struct loader *l, uint16_t type, const struct token *t, int n,
                     struct rdata *rd)
{
    rd->len = 0;
    switch (type) {
    case DNS_TYPE_A:
    case DNS_TYPE_AAAA:
        return rdata_address(l, type, t, n, rd);
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR: {
        int err = want_args(l, n, 1, "this type");
        return err ? err : put_name(l, t, rd);
    }
    case DNS_TYPE_MX:
        return rdata_mx(l, t, n, rd);
    case DNS_TYPE_SOA:
        return rdata_soa(l, t, n, rd);
    default: /* TXT */
        if (n == 0)
            return load_error(l, -EINVAL, "TXT needs at least one string");
        for (int i = 0; i < n; i++) {
            int err = put_string(l, &t[i], rd);
            if (err)
                return err;
        }
        return 0;
    }
}

/* --- Lines ---------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    uint16_t type;
} types[] = {
    {"A", DNS_TYPE_A},         {"AAAA", DNS_TYPE_AAAA}, {"NS", DNS_TYPE_NS},
    {"CNAME", DNS_TYPE_CNAME}, {"PTR", DNS_TYPE_PTR},   {"MX", DNS_TYPE_MX},
    {"SOA", DNS_TYPE_SOA},     {"TXT", DNS_TYPE_TXT},
};

static int type_of(const struct token *t, uint16_t *type)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (token_is(t, types[i].name)) {
            *type = types[i].type;
            return 0;
        }
    }
    return -EINVAL;
}

static int directive(struct loader *l, const struct token *t, int n)
{
    if (token_is(&t[0], "$ORIGIN")) {
        if (n != 2 || t[1].n == 0 || t[1].p[t[1].n - 1] != '.')
            return load_error(l, -EINVAL, "$ORIGIN takes one absolute name");
        if (dns_name_from_text(t[1].p, t[1].n, NULL, &l->origin) != 0)
            return load_error(l, -EINVAL, "bad $ORIGIN name");
        l->have_origin = true;
        return 0;
    }
    if (token_is(&t[0], "$TTL")) {
        if (n != 2 || zonefile_parse_ttl(t[1].p, t[1].n, &l->default_ttl))
            return load_error(l, -EINVAL, "$TTL takes one time value");
        return 0;
    }
    return load_error(l, -EINVAL, "unsupported directive '%.*s'", (int)t[0].n, t[0].p);
}

static int add_record(struct loader *l, uint16_t type, uint32_t ttl, const struct rdata *rd)
{
    int err = zone_add(l->z, &l->owner, type, ttl, rd->buf, rd->len);
    if (err == -EEXIST)
        return load_error(l, err,
                          type == DNS_TYPE_SOA ? "a second SOA" : "CNAME beside other data");
    if (err == -ENOMEM)
        return load_error(l, err, "zone exceeds its memory budget");
    if (err)
        return load_error(l, err, "record rejected");
    return 0;
}

static int record(struct loader *l, const struct token *t, int n, bool owner_given)
{
    int i = 0;
    if (owner_given) {
        int err = name_token(l, &t[i++], &l->owner);
        if (err)
            return err;
        l->have_owner = true;
    } else if (!l->have_owner) {
        return load_error(l, -EINVAL, "no owner name on the first record");
    }
    uint32_t ttl = l->default_ttl;
    for (int k = 0; k < 2 && i < n; k++) { /* TTL and class, in either order */
        if (token_is(&t[i], "IN"))
            i++;
        else if (t[i].p[0] >= '0' && t[i].p[0] <= '9' && !zonefile_parse_ttl(t[i].p, t[i].n, &ttl))
            i++;
    }
    uint16_t type;
    if (i >= n || type_of(&t[i], &type))
        return load_error(l, -EINVAL, "missing or unsupported type%s%.*s", i < n ? " " : "",
                          i < n ? (int)t[i].n : 0, i < n ? t[i].p : "");
    int err = rdata_for(l, type, t + i + 1, n - i - 1, &l->rd);
    return err ? err : add_record(l, type, ttl, &l->rd);
}

static int load_line(struct loader *l, const char *line, size_t n)
{
    struct token tok[MAX_TOKENS];
    if (n > ZONEFILE_MAX_LINE)
        return load_error(l, -EINVAL, "line longer than %d bytes", ZONEFILE_MAX_LINE);
    int count = tokenize(l, line, n, tok);
    if (count <= 0)
        return count;
    if (!tok[0].quoted && tok[0].p[0] == '$')
        return directive(l, tok, count);
    return record(l, tok, count, n > 0 && !is_blank(line[0]));
}

int zonefile_load(struct dns_zone *z, const char *text, size_t len, const struct dns_name *origin,
                  char *err, size_t errlen)
{
    struct loader l = {.z = z, .default_ttl = ZONEFILE_DEFAULT_TTL, .err = err, .errlen = errlen};
    if (origin) {
        l.origin = *origin;
        l.have_origin = true;
    }
    for (size_t start = 0; start < len;) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        l.line++;
        int rc = load_line(&l, text + start, end - start);
        if (rc < 0)
            return rc;
        start = end + 1;
    }
    return 0;
}
