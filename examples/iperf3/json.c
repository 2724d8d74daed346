/*
 * JSON reader: one checking pass (json_parse), then walks over checked spans (json.h).
 */
#include "json.h"

#include <errno.h>
#include <string.h>

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A string starting at its opening quote: the position after the closing one, or NULL. */
static const char *check_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c != '\\')
            continue;
        if (++p >= end)
            return NULL;
        if (*p == 'u') {
            if (end - p < 5)
                return NULL;
            for (int i = 1; i <= 4; i++)
                if (hex_value(p[i]) < 0)
                    return NULL;
            p += 4;
        } else if (!strchr("\"\\/bfnrt", *p) || *p == '\0') {
            return NULL;
        }
    }
    return NULL;
}

static const char *check_digits(const char *p, const char *end)
{
    if (p >= end || !is_digit(*p))
        return NULL;
    while (p < end && is_digit(*p))
        p++;
    return p;
}

static const char *check_number(const char *p, const char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (!(p = check_digits(p, end)))
        return NULL;
    if (p < end && *p == '.' && !(p = check_digits(p + 1, end)))
        return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!(p = check_digits(p, end)))
            return NULL;
    }
    return p;
}

static const char *check_literal(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0)
        return NULL;
    return p + n;
}

static const char *check_value(const char *p, const char *end, unsigned depth,
                               enum json_type *type);

/* An array or object from its opening bracket: the position after its closing one. */
static const char *check_container(const char *p, const char *end, unsigned depth, bool object)
{
    char close = object ? '}' : ']';
    enum json_type t;
    if (depth >= JSON_MAX_DEPTH)
        return NULL;
    p = skip_ws(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            if (p >= end || *p != '"' || !(p = check_string(p, end)))
                return NULL;
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p = skip_ws(p + 1, end);
        }
        if (!(p = check_value(p, end, depth + 1, &t)))
            return NULL;
        p = skip_ws(p, end);
        if (p < end && *p == close)
            return p + 1;
        if (p >= end || *p != ',')
            return NULL;
        p = skip_ws(p + 1, end);
    }
}

static const char *check_value(const char *p, const char *end, unsigned depth, enum json_type *type)
{
    if (p >= end)
        return NULL;
    switch (*p) {
    case '{':
        *type = JSON_OBJECT;
        return check_container(p, end, depth, true);
    case '[':
        *type = JSON_ARRAY;
        return check_container(p, end, depth, false);
    case '"':
        *type = JSON_STRING;
        return check_string(p, end);
    case 't':
        *type = JSON_TRUE;
        return check_literal(p, end, "true");
    case 'f':
        *type = JSON_FALSE;
        return check_literal(p, end, "false");
    case 'n':
        *type = JSON_NULL;
        return check_literal(p, end, "null");
    default:
        *type = JSON_NUMBER;
        return check_number(p, end);
    }
}

int json_parse(const char *text, size_t len, struct json_value *root)
{
    const char *end = text + len;
    const char *p = skip_ws(text, end);
    const char *v = p;
    if (!(p = check_value(p, end, 0, &root->type)))
        return -EINVAL;
    root->text = v;
    root->len = (size_t)(p - v);
    return skip_ws(p, end) == end ? 0 : -EINVAL;
}

void json_iter_init(struct json_iter *it, const struct json_value *c)
{
    bool container = c->type == JSON_OBJECT || c->type == JSON_ARRAY;
    it->object = c->type == JSON_OBJECT;
    it->p = container ? c->text + 1 : c->text;
    it->end = container ? c->text + c->len - 1 : c->text; /* before the closing bracket */
}

/* The value at (p) of a checked document. */
static const char *take_value(const char *p, const char *end, struct json_value *v)
{
    const char *after = check_value(p, end, 0, &v->type);
    v->text = p;
    v->len = after ? (size_t)(after - p) : 0;
    return after;
}

bool json_next(struct json_iter *it, struct json_value *key, struct json_value *val)
{
    struct json_value k;
    const char *p = skip_ws(it->p, it->end);
    if (p < it->end && *p == ',')
        p = skip_ws(p + 1, it->end);
    if (p >= it->end)
        return false;
    if (it->object) {
        if (!(p = take_value(p, it->end, &k)))
            return false;
        p = skip_ws(p, it->end);
        p = skip_ws(p + 1, it->end); /* the ':' */
        if (key)
            *key = k;
    }
    if (!(p = take_value(p, it->end, val)))
        return false;
    it->p = p;
    return true;
}

int json_get(const struct json_value *obj, const char *key, struct json_value *out)
{
    struct json_iter it;
    struct json_value k, v;
    if (obj->type != JSON_OBJECT)
        return -EINVAL;
    json_iter_init(&it, obj);
    while (json_next(&it, &k, &v))
        if (json_string_equals(&k, key)) {
            *out = v;
            return 0;
        }
    return -ENOENT;
}

/* Decode the character at (*pp) inside a checked string, advancing (*pp). */
static char decode_char(const char **pp)
{
    const char *p = *pp;
    char c = *p++;
    if (c == '\\') {
        c = *p++;
        switch (c) {
        case 'b':
            c = '\b';
            break;
        case 'f':
            c = '\f';
            break;
        case 'n':
            c = '\n';
            break;
        case 'r':
            c = '\r';
            break;
        case 't':
            c = '\t';
            break;
        case 'u': {
            unsigned u = 0;
            for (int i = 0; i < 4; i++)
                u = u << 4 | (unsigned)hex_value(*p++);
            c = u > 0 && u < 0x80 ? (char)u : '?';
            break;
        }
        default:
            break; /* " \ / stand for themselves */
        }
    }
    *pp = p;
    return c;
}

bool json_string_equals(const struct json_value *v, const char *s)
{
    if (v->type != JSON_STRING)
        return false;
    const char *p = v->text + 1, *end = v->text + v->len - 1;
    while (p < end)
        if (*s == '\0' || decode_char(&p) != *s++)
            return false;
    return *s == '\0';
}

long json_string(const struct json_value *v, char *out, size_t cap)
{
    if (v->type != JSON_STRING)
        return -EINVAL;
    const char *p = v->text + 1, *end = v->text + v->len - 1;
    size_t n = 0;
    while (p < end) {
        if (n + 1 >= cap)
            return -ENOSPC;
        out[n++] = decode_char(&p);
    }
    if (cap == 0)
        return -ENOSPC;
    out[n] = '\0';
    return (long)n;
}

/* acc = acc * 10 + d, within INT64_MAX. */
static int push_digit(uint64_t *acc, unsigned d)
{
    if (*acc > ((uint64_t)INT64_MAX - d) / 10)
        return -ERANGE;
    *acc = *acc * 10 + d;
    return 0;
}

int json_number(const struct json_value *v, unsigned decimals, int64_t *out)
{
    if (v->type != JSON_NUMBER)
        return -EINVAL;
    const char *p = v->text, *end = v->text + v->len;
    bool neg = *p == '-';
    p += neg;
    /* Significant digits (integer then fraction) and the power of ten to apply to them. */
    const char *digits = p, *dot = NULL, *dend;
    for (; p < end && (is_digit(*p) || (*p == '.' && !dot)); p++)
        if (*p == '.')
            dot = p;
    dend = p;
    long power = (long)decimals - (dot ? (long)(dend - dot - 1) : 0);
    if (p < end) { /* exponent: clamp, it only has to decide "zero" or "too big" */
        p++;
        bool eneg = *p == '-';
        p += *p == '+' || *p == '-';
        long e = 0;
        for (; p < end; p++)
            e = e < 100000 ? e * 10 + (*p - '0') : e;
        power += eneg ? -e : e;
    }
    uint64_t acc = 0;
    size_t ndigits = (size_t)(dend - digits) - (dot != NULL);
    long keep = (long)ndigits + (power < 0 ? power : 0); /* digits before the truncation */
    for (const char *d = digits; d < dend && keep > 0; d++) {
        if (*d == '.')
            continue;
        if (push_digit(&acc, (unsigned)(*d - '0')) < 0)
            return -ERANGE;
        keep--;
    }
    for (long i = 0; i < power && acc != 0; i++)
        if (push_digit(&acc, 0) < 0)
            return -ERANGE;
    *out = neg ? -(int64_t)acc : (int64_t)acc;
    return 0;
}
