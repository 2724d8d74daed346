/*
 * A small JSON reader (RFC 8259) for the iperf3 control protocol, for both platforms.
 *
 * Why not cJSON (libcjson-dev): it keeps every number as a double and needs strtod, sprintf
 * "%g", and floating point at all, none of which a kvm image has (the kernel is built with
 * -mgeneral-regs-only; docs/libc-subset.md). This reader allocates nothing and never uses
 * floating point: json_parse() checks a whole document once (grammar, nesting depth, string
 * escapes) and gives the root as a span of the text; the other calls walk spans of a checked
 * document. Numbers are read as fixed-point integers (json_number(v, 6, &x): x = value * 10^6,
 * truncated toward zero).
 *
 * Limits: at most JSON_MAX_DEPTH nested arrays/objects; the text is not required to be
 * NUL-terminated. Strings are checked for escapes and control characters, not for UTF-8.
 */
#ifndef IPERF3_JSON_H
#define IPERF3_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

enum json_type {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
};

/* A value: its type and its text (a string with its quotes, a container with its brackets). */
struct json_value {
    enum json_type type;
    const char *text;
    size_t len;
};

/* Walks the members of an object or the elements of an array. */
struct json_iter {
    const char *p, *end;
    bool object;
};

/* Check that (text, len) is exactly one JSON value (whitespace around it allowed) and give it
 * in (root). 0, or -EINVAL (malformed, or nested deeper than JSON_MAX_DEPTH). */
int json_parse(const char *text, size_t len, struct json_value *root);

/* The member (key) of object (obj) (the first one if repeated). 0, -ENOENT (absent) or
 * -EINVAL ((obj) is not an object). */
int json_get(const struct json_value *obj, const char *key, struct json_value *out);

/* Iterate an array or object of a checked document; (key) is set for object members (it may
 * be NULL for arrays). json_next() returns false after the last one. */
void json_iter_init(struct json_iter *it, const struct json_value *container);
bool json_next(struct json_iter *it, struct json_value *key, struct json_value *val);

/* Number (v) times 10^decimals, truncated toward zero. 0, -EINVAL (not a number), -ERANGE
 * (outside int64). */
int json_number(const struct json_value *v, unsigned decimals, int64_t *out);

/* Whether string (v) decodes to (s) exactly. */
bool json_string_equals(const struct json_value *v, const char *s);

/* Decode string (v) into (out) (cap bytes, NUL-terminated; \u escapes outside ASCII become
 * '?'). Returns the decoded length, -EINVAL if (v) is not a string, -ENOSPC if it does not fit. */
long json_string(const struct json_value *v, char *out, size_t cap);

#endif
