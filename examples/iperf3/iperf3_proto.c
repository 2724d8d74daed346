/*
 * The iperf3 protocol's messages (iperf3_proto.h): parameters in, results out and in, UDP
 * headers. No network, no platform: the unit tests and the fuzzer link it.
 */
#include "iperf3_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#define USEC_PER_SEC 1000000ull
#define NSEC_PER_SEC_ 1000000000ull

/* Integer member (key) of (obj) into (*out) if present, within [min, max]. 0 (also when
 * absent), -EINVAL (not a number), -ERANGE (outside). */
static int get_uint(const struct json_value *obj, const char *key, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    struct json_value v;
    int64_t x;
    if (json_get(obj, key, &v) == -ENOENT)
        return 0;
    int rc = json_number(&v, 0, &x);
    if (rc < 0)
        return rc;
    if (x < 0 || (uint64_t)x < min || (uint64_t)x > max)
        return -ERANGE;
    *out = (uint64_t)x;
    return 0;
}

/* iperf3 treats a flag as set when its member exists, whatever its value. */
static bool has(const struct json_value *obj, const char *key)
{
    struct json_value v;
    return json_get(obj, key, &v) == 0;
}

/* The limits, each with the iperf3 error that names it for the client. */
static int check_limits(const struct json_value *root, struct iperf3_params *p, int *ie)
{
    uint64_t time_s = 10, parallel = 1, len = p->udp ? 1460 : 131072, pacing = 1000, omit = 0;
    uint64_t max_len = p->udp ? IPERF3_MAX_UDP_LEN : IPERF3_MAX_TCP_LEN;
    uint64_t min_len = p->udp ? IPERF3_MIN_UDP_LEN : 1;
    int rc;
    *ie = IPERF3_IEDURATION;
    if ((rc = get_uint(root, "time", 0, IPERF3_MAX_TIME, &time_s)) < 0)
        return rc;
    *ie = IPERF3_IENUMSTREAMS;
    if ((rc = get_uint(root, "parallel", 1, IPERF3_MAX_STREAMS, &parallel)) < 0)
        return rc;
    *ie = p->udp ? IPERF3_IEUDPBLOCKSIZE : IPERF3_IEBLOCKSIZE;
    if ((rc = get_uint(root, "len", min_len, max_len, &len)) < 0)
        return rc;
    *ie = IPERF3_IERECVPARAMS;
    if ((rc = get_uint(root, "num", 0, INT64_MAX, &p->bytes)) < 0 ||
        (rc = get_uint(root, "blockcount", 0, INT64_MAX, &p->blocks)) < 0 ||
        (rc = get_uint(root, "bandwidth", 0, INT64_MAX, &p->rate)) < 0 ||
        (rc = get_uint(root, "pacing_timer", 1, USEC_PER_SEC, &pacing)) < 0 ||
        (rc = get_uint(root, "omit", 0, IPERF3_MAX_TIME, &omit)) < 0)
        return rc;
    p->time_s = (uint32_t)time_s;
    p->parallel = (uint32_t)parallel;
    p->len = (uint32_t)len;
    p->pacing_us = (uint32_t)pacing;
    p->omit_s = (uint32_t)omit;
    *ie = 0;
    return 0;
}

int iperf3_params_parse(const char *json, size_t len, struct iperf3_params *p, int *ie)
{
    struct json_value root, v;
    memset(p, 0, sizeof(*p));
    *ie = IPERF3_IERECVPARAMS;
    if (json_parse(json, len, &root) < 0 || root.type != JSON_OBJECT)
        return -EINVAL;
    p->udp = has(&root, "udp");
    if (!p->udp && !has(&root, "tcp")) {
        *ie = IPERF3_IEPROTOCOL;
        return -EPROTONOSUPPORT;
    }
    int rc = check_limits(&root, p, ie);
    if (rc < 0)
        return rc;
    if (has(&root, "bidirectional"))
        p->mode = IPERF3_BIDIR;
    else if (has(&root, "reverse"))
        p->mode = IPERF3_REVERSE;
    p->counters64 = has(&root, "udp_counters_64bit");
    p->get_server_output = has(&root, "get_server_output");
    if (p->udp && p->len < IPERF3_UDP_HEADER(p->counters64)) {
        *ie = IPERF3_IEUDPBLOCKSIZE;
        return -ERANGE;
    }
    if (json_get(&root, "client_version", &v) == 0 &&
        json_string(&v, p->client_version, sizeof(p->client_version)) < 0)
        p->client_version[0] = '\0'; /* not a string, or too long: only shown in the log */
    *ie = 0;
    return 0;
}

/* Append to (*pos) within (cap); false once it does not fit. */
static bool put(char *buf, size_t cap, size_t *pos, const char *fmt, unsigned long long a,
                unsigned long long b)
{
    if (*pos >= cap)
        return false;
    int n = snprintf(buf + *pos, cap - *pos, fmt, a, b);
    if (n < 0 || (size_t)n >= cap - *pos)
        return false;
    *pos += (size_t)n;
    return true;
}

size_t iperf3_results_format(char *buf, size_t cap, const struct iperf3_stream_result *s,
                             unsigned n, bool server_sends)
{
    size_t pos = 0;
    /* No CPU figures: neither platform gives a process's CPU time to a service (0 is shown).
     * Retransmissions are counted per stack, not per stream, so none are claimed. */
    int head = snprintf(buf, cap,
                        "{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,"
                        "\"sender_has_retransmits\":%s,\"congestion_used\":\"cubic\","
                        "\"streams\":[",
                        server_sends ? "0" : "-1"); /* iperf3: -1 when this side only receives */
    bool ok = head > 0 && (size_t)head < cap;
    pos = ok ? (size_t)head : 0;
    for (unsigned i = 0; ok && i < n; i++) {
        const struct iperf3_stream_result *r = &s[i];
        ok = put(buf, cap, &pos, i ? ",{\"id\":%llu,\"bytes\":%llu" : "{\"id\":%llu,\"bytes\":%llu",
                 r->id, r->bytes) &&
             put(buf, cap, &pos, ",\"retransmits\":-1,\"jitter\":%llu.%09llu",
                 r->jitter_ns / NSEC_PER_SEC_, r->jitter_ns % NSEC_PER_SEC_) &&
             put(buf, cap, &pos, ",\"errors\":%llu,\"packets\":%llu", r->errors, r->packets) &&
             put(buf, cap, &pos, ",\"start_time\":0,\"end_time\":%llu.%06llu}",
                 r->duration_us / USEC_PER_SEC, r->duration_us % USEC_PER_SEC);
    }
    ok = ok && put(buf, cap, &pos, "]}", 0, 0);
    return ok ? pos : 0;
}

size_t iperf3_results_add_text(char *buf, size_t len, size_t cap, const char *text)
{
    static const char key[] = ",\"server_output_text\":\"";
    static const char hex[] = "0123456789abcdef";
    if (len == 0 || buf[len - 1] != '}')
        return 0;
    size_t pos = len - 1; /* over the closing brace */
    if (cap - pos < sizeof(key))
        return 0;
    memcpy(buf + pos, key, sizeof(key) - 1);
    pos += sizeof(key) - 1;
    for (const unsigned char *t = (const unsigned char *)text; *t; t++) {
        if (cap - pos < 6 + 3) /* the longest escape and the closing "} NUL */
            goto full;
        if (*t == '"' || *t == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)*t;
        } else if (*t < 0x20) {
            memcpy(buf + pos, "\\u00", 4);
            buf[pos + 4] = hex[*t >> 4];
            buf[pos + 5] = hex[*t & 15];
            pos += 6;
        } else {
            buf[pos++] = (char)*t;
        }
    }
    if (cap - pos < 3)
        goto full;
    memcpy(buf + pos, "\"}", 3);
    return pos + 2;
full:
    buf[len - 1] = '}';
    buf[len] = '\0';
    return 0;
}

/* A stream's member (key) as a non-negative integer; false when absent or not one. */
static bool stream_uint(const struct json_value *st, const char *key, uint64_t *out)
{
    struct json_value v;
    int64_t x;
    if (json_get(st, key, &v) < 0 || json_number(&v, 0, &x) < 0)
        return false;
    if (x < 0)
        return false;
    *out = (uint64_t)x;
    return true;
}

/* Member (key) is a number of any size: iperf3 3.12 sends "no retransmits" as 2^64 - 1. */
static bool is_number(const struct json_value *obj, const char *key)
{
    struct json_value v;
    return json_get(obj, key, &v) == 0 && v.type == JSON_NUMBER;
}

int iperf3_results_parse(const char *json, size_t len, struct iperf3_peer_results *r)
{
    static const char *const required[] = {"cpu_util_total", "cpu_util_user", "cpu_util_system",
                                           "sender_has_retransmits"};
    struct json_value root, streams, st;
    struct json_iter it;
    memset(r, 0, sizeof(*r));
    if (json_parse(json, len, &root) < 0 || root.type != JSON_OBJECT)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!is_number(&root, required[i]))
            return -EINVAL;
    if (json_get(&root, "streams", &streams) < 0 || streams.type != JSON_ARRAY)
        return -EINVAL;
    json_iter_init(&it, &streams);
    while (json_next(&it, NULL, &st)) {
        uint64_t id, bytes, packets, errors;
        if (st.type != JSON_OBJECT || !stream_uint(&st, "id", &id) ||
            !stream_uint(&st, "bytes", &bytes) || !stream_uint(&st, "packets", &packets) ||
            !stream_uint(&st, "errors", &errors) || !is_number(&st, "retransmits") ||
            !is_number(&st, "jitter"))
            return -EINVAL;
        if (r->streams >= 2 * IPERF3_MAX_STREAMS)
            return -EINVAL;
        r->streams++;
        r->bytes += bytes; /* each below 2^63, at most 256 of them: no wrap that matters */
        r->packets += packets;
        r->errors += errors;
    }
    return 0;
}

static uint64_t get_be(const uint8_t *d, unsigned n)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < n; i++)
        x = x << 8 | d[i];
    return x;
}

static void put_be(uint8_t *d, unsigned n, uint64_t x)
{
    for (unsigned i = n; i-- > 0; x >>= 8)
        d[i] = (uint8_t)x;
}

void iperf3_udp_account(struct iperf3_udp_rx *rx, const uint8_t *d, size_t len, bool c64,
                        uint64_t arrival_ns)
{
    bool first = rx->datagrams == 0;
    rx->bytes += len;
    if (len < IPERF3_UDP_HEADER(c64))
        return;
    rx->datagrams++;
    uint64_t sent_ns = get_be(d, 4) * NSEC_PER_SEC_ + get_be(d + 4, 4) * 1000;
    uint64_t seq = get_be(d + 8, c64 ? 8 : 4);
    if (seq > rx->highest) {
        rx->lost += seq - 1 - rx->highest; /* a gap: counted lost until it arrives late */
        rx->highest = seq;
    } else {
        rx->out_of_order++;
        if (rx->lost > 0)
            rx->lost--;
    }
    /* Transit time differences need no common clock: the sender's offset cancels out. */
    int64_t transit = (int64_t)(arrival_ns - sent_ns);
    if (first)
        rx->prev_transit_ns = transit;
    int64_t dt = transit - rx->prev_transit_ns;
    rx->prev_transit_ns = transit;
    if (dt < 0)
        dt = -dt;
    rx->jitter16_ns += dt - rx->jitter16_ns / 16;
}

void iperf3_udp_header(uint8_t *d, bool c64, uint64_t seq, uint64_t now_ns)
{
    put_be(d, 4, now_ns / NSEC_PER_SEC_);
    put_be(d + 4, 4, now_ns % NSEC_PER_SEC_ / 1000);
    put_be(d + 8, c64 ? 8 : 4, seq);
}
