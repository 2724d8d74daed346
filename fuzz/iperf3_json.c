/*
 * libFuzzer harness for the JSON reader and the iperf3 messages of examples/iperf3 (json.c,
 * iperf3_proto.c): the input is a control message's JSON, as a client could send it.
 *
 * Invariants:
 *  - json_parse() either rejects the input or gives a root span inside it; walking every
 *    value of an accepted document (members, elements, numbers, strings) stays inside it and
 *    ends; a decoded string is never longer than its text;
 *  - the parameters, when accepted, are within iperf3's limits;
 *  - the results parser accepts only objects, and what iperf3_results_format() writes from
 *    the input's bytes is accepted again with the same sums; the input added as the server's
 *    output text keeps the message valid and decodes back to itself.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iperf3_proto.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct json_value *v, const char *base, size_t size, unsigned depth)
{
    if (v->text < base || v->text + v->len > base + size || v->len == 0 || depth > JSON_MAX_DEPTH)
        abort();
    int64_t x;
    char s[64];
    switch (v->type) {
    case JSON_NUMBER:
        for (unsigned d = 0; d < 12; d += 3) {
            int rc = json_number(v, d, &x);
            if (rc != 0 && rc != -ERANGE)
                abort();
        }
        break;
    case JSON_STRING: {
        long n = json_string(v, s, sizeof(s));
        if (n != -ENOSPC && (n < 0 || (size_t)n + 2 > v->len || strlen(s) != (size_t)n))
            abort();
        break;
    }
    case JSON_ARRAY:
    case JSON_OBJECT: {
        struct json_iter it;
        struct json_value key, val;
        json_iter_init(&it, v);
        while (json_next(&it, v->type == JSON_OBJECT ? &key : NULL, &val)) {
            if (v->type == JSON_OBJECT && key.type != JSON_STRING)
                abort();
            walk(&val, base, size, depth + 1);
        }
        break;
    }
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct json_value root;
    if (json_parse(text, size, &root) == 0)
        walk(&root, text, size, 0);

    struct iperf3_params p;
    int ie;
    if (iperf3_params_parse(text, size, &p, &ie) == 0) {
        if (p.parallel < 1 || p.parallel > IPERF3_MAX_STREAMS || p.time_s > IPERF3_MAX_TIME ||
            (p.udp ? p.len < IPERF3_MIN_UDP_LEN || p.len > IPERF3_MAX_UDP_LEN
                   : p.len < 1 || p.len > IPERF3_MAX_TCP_LEN) ||
            ie != 0)
            abort();
    }

    struct iperf3_peer_results r;
    if (iperf3_results_parse(text, size, &r) == 0 && root.type != JSON_OBJECT)
        abort();

    /* Round trip: results made from the input's bytes. */
    struct iperf3_stream_result s[4];
    memset(s, 0, sizeof(s));
    uint64_t sum = 0;
    unsigned n = 0;
    for (; n < 4 && size >= (n + 1) * 8; n++) {
        uint64_t b;
        memcpy(&b, data + n * 8, 8);
        s[n].id = n + 1;
        s[n].bytes = b >> 2; /* below 2^62: four of them sum without wrapping */
        s[n].jitter_ns = b & 0xffffff;
        s[n].duration_us = b >> 20;
        sum += s[n].bytes;
    }
    static char out[4096];
    size_t len = iperf3_results_format(out, sizeof(out), s, n, size & 1);
    if (len == 0 || iperf3_results_parse(out, len, &r) != 0 || r.streams != n || r.bytes != sum)
        abort();
    /* The input as --get-server-output text: escaped, the message still parses, the text comes
     * back (up to its first NUL) when it fits. */
    char otext[512];
    size_t tl = size < sizeof(otext) - 1 ? size : sizeof(otext) - 1;
    memcpy(otext, data, tl);
    otext[tl] = '\0';
    size_t with = iperf3_results_add_text(out, len, sizeof(out), otext);
    struct json_value v;
    static char back[sizeof(otext)];
    if (with == 0 || json_parse(out, with, &root) != 0 ||
        json_get(&root, "server_output_text", &v) != 0 || json_string(&v, back, sizeof(back)) < 0 ||
        iperf3_results_parse(out, with, &r) != 0)
        abort();
    if (strcmp(back, otext) != 0) /* control bytes went as \u00XX, and decode to themselves */
        abort();
    return 0;
}
