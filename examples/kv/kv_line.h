/*
 * The line protocol of examples/kv, apart from any network: framing (where a request line
 * ends, CRLF or LF, at most KV_MAX_LINE bytes) and one request line run against the store.
 *
 *   SET key value   -> OK            (value: the rest of the line, spaces included)
 *   GET key         -> the value, or NOTFOUND
 *   DEL key         -> OK, or NOTFOUND
 *   anything else   -> ERR <reason>: empty line, unknown command, missing argument, too many
 *                      arguments, key too long, value too long, store full, out of memory,
 *                      line too long
 * Command names are case-insensitive; tokens are separated by one or more spaces.
 */
#ifndef KV_LINE_H
#define KV_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "kv_store.h"
#include "unic/stats.h"

#define KV_MAX_LINE 512                /* request bytes before the line end */
#define KV_MAX_ANSWER KV_MAX_VALUE     /* answer bytes before the line end */
#define KV_LINE_SCAN (KV_MAX_LINE + 2) /* a longest line with its CR LF */

/* clang-format off */
#define KV_LINE_STATS(X) \
    X(commands) X(set) X(get) X(get_found) X(del) X(errors) X(too_long) X(store_full)
/* clang-format on */
struct kv_line_stats {
    KV_LINE_STATS(STATS_FIELD)
};

enum { KV_LINE_NEED_MORE = 0, KV_LINE_TOO_LONG = -1 };

/* Where the first line of (data, len) ends: its length with the line end (> 0; (*content)
 * bytes before CR LF or LF, (*crlf) which one), KV_LINE_NEED_MORE (no LF yet, and what is
 * there may still become a good line), or KV_LINE_TOO_LONG (more than KV_MAX_LINE bytes before
 * the line end, or no LF within KV_LINE_SCAN bytes: the caller skips to the next LF). */
long kv_line_frame(const uint8_t *data, size_t len, size_t *content, int *crlf);

/* Run one request line (without its line end) on (s); the answer, without its line end, goes
 * to (out) (KV_MAX_ANSWER bytes); returns its length. */
size_t kv_line_exec(struct kv_store *s, const uint8_t *line, size_t len, uint8_t *out,
                    struct kv_line_stats *st);

/* The answer to a line that was too long. */
size_t kv_line_too_long(uint8_t *out, struct kv_line_stats *st);

#endif
