/* The kv line protocol (see kv_line.h). */
#include "kv_line.h"

#include <errno.h>
#include <string.h>

long kv_line_frame(const uint8_t *data, size_t len, size_t *content, int *crlf)
{
    size_t scan = len < KV_LINE_SCAN ? len : KV_LINE_SCAN;
    const uint8_t *nl = memchr(data, '\n', scan);
    if (!nl)
        return len < KV_LINE_SCAN ? KV_LINE_NEED_MORE : KV_LINE_TOO_LONG;
    size_t n = (size_t)(nl - data);
    *crlf = n > 0 && data[n - 1] == '\r';
    *content = n - (size_t)*crlf;
    return *content > KV_MAX_LINE ? KV_LINE_TOO_LONG : (long)(n + 1);
}

/* A token of (line) from (*at): skips spaces before it; (*tlen) 0 at the end. */
static const uint8_t *token(const uint8_t *line, size_t len, size_t *at, size_t *tlen)
{
    while (*at < len && line[*at] == ' ')
        (*at)++;
    size_t start = *at;
    while (*at < len && line[*at] != ' ')
        (*at)++;
    *tlen = *at - start;
    return line + start;
}

static bool is_command(const uint8_t *t, size_t n, const char *name)
{
    if (n != strlen(name))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((t[i] & ~0x20) != (uint8_t)name[i]) /* ASCII letters, any case */
            return false;
    return true;
}

static size_t say(uint8_t *out, const char *text)
{
    size_t n = strlen(text);
    memcpy(out, text, n);
    return n;
}

static size_t error(uint8_t *out, struct kv_line_stats *st, const char *reason)
{
    st->errors++;
    size_t n = say(out, "ERR ");
    return n + say(out + n, reason);
}

size_t kv_line_too_long(uint8_t *out, struct kv_line_stats *st)
{
    st->too_long++;
    return error(out, st, "line too long");
}

static size_t run_set(struct kv_store *s, const uint8_t *key, size_t klen, const uint8_t *val,
                      size_t vlen, uint8_t *out, struct kv_line_stats *st)
{
    st->set++;
    if (vlen > KV_MAX_VALUE)
        return error(out, st, "value too long");
    int err = kv_store_set(s, key, klen, val, vlen);
    if (err == -ENOSPC) {
        st->store_full++;
        return error(out, st, "store full");
    }
    return err ? error(out, st, "out of memory") : say(out, "OK");
}

static size_t run_get(struct kv_store *s, const uint8_t *key, size_t klen, uint8_t *out,
                      struct kv_line_stats *st)
{
    const uint8_t *val;
    size_t vlen;
    st->get++;
    if (!kv_store_get(s, key, klen, &val, &vlen))
        return say(out, "NOTFOUND");
    st->get_found++;
    memcpy(out, val, vlen); /* vlen <= KV_MAX_VALUE == KV_MAX_ANSWER */
    return vlen;
}

size_t kv_line_exec(struct kv_store *s, const uint8_t *line, size_t len, uint8_t *out,
                    struct kv_line_stats *st)
{
    size_t at = 0, clen, klen, vlen;
    const uint8_t *cmd = token(line, len, &at, &clen);
    st->commands++;
    if (clen == 0)
        return error(out, st, "empty line");
    bool set = is_command(cmd, clen, "SET"), get = is_command(cmd, clen, "GET");
    if (!set && !get && !is_command(cmd, clen, "DEL"))
        return error(out, st, "unknown command");
    const uint8_t *key = token(line, len, &at, &klen);
    while (at < len && line[at] == ' ')
        at++;
    const uint8_t *rest = line + at; /* SET's value: the rest of the line */
    vlen = len - at;
    if (klen == 0 || (set && vlen == 0))
        return error(out, st, "missing argument");
    if (klen > KV_MAX_KEY)
        return error(out, st, "key too long");
    if (set)
        return run_set(s, key, klen, rest, vlen, out, st);
    if (vlen)
        return error(out, st, "too many arguments");
    if (get)
        return run_get(s, key, klen, out, st);
    st->del++;
    return say(out, kv_store_del(s, key, klen) ? "OK" : "NOTFOUND");
}
