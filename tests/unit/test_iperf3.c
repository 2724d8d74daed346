/* examples/iperf3 without the network: the JSON reader (grammar, depth, escapes, fixed-point
 * numbers, member lookup), the client's parameters (what iperf3 3.12 sends, limits with their
 * iperf3 error numbers), the results both ways, and the UDP receiver's loss, order and jitter
 * accounting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "iperf3_proto.h"
#include "json.h"

static int parse(const char *s, struct json_value *v)
{
    return json_parse(s, strlen(s), v);
}

static void test_json_grammar(void **state)
{
    (void)state;
    static const char *const good[] = {
        "{}",       "[]",   " {\"a\" : [1, -2.5e3, true, false, null, \"x\\\"\\u0041\"]} ",
        "0",        "-0.0", "\"\"",
        "[[[[]]]]", "1E+2", "{\"a\":{\"b\":{}}}"};
    static const char *const bad[] = {"",         " ",          "{",           "}",         "[1,]",
                                      "{\"a\":}", "{\"a\" 1}",  "{a:1}",       "01",        "1.",
                                      ".5",       "-",          "1e",          "tru",       "nul",
                                      "\"abc",    "\"\\x\"",    "\"\\u12g4\"", "\"a\nb\"",  "{} {}",
                                      "[1 2]",    "{\"a\":1,}", "+1",          "\"\\u123\""};
    struct json_value v;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(parse(good[i], &v), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], &v) != -EINVAL)
            fail_msg("accepted: %s", bad[i]);
    }
    /* Depth: JSON_MAX_DEPTH nested arrays are fine, one more is not. */
    char deep[2 * JSON_MAX_DEPTH + 3];
    memset(deep, '[', JSON_MAX_DEPTH);
    memset(deep + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
    assert_int_equal(json_parse(deep, 2 * JSON_MAX_DEPTH, &v), 0);
    memset(deep, '[', JSON_MAX_DEPTH + 1);
    memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
    assert_int_equal(json_parse(deep, 2 * JSON_MAX_DEPTH + 2, &v), -EINVAL);
    /* Not NUL-terminated: the length bounds the text. */
    assert_int_equal(json_parse("[1]xyz", 3, &v), 0);
    assert_int_equal(json_parse("[1]xyz", 2, &v), -EINVAL);
}

static void test_json_members(void **state)
{
    (void)state;
    struct json_value root, v, k;
    const char *s = "{\"a\":1,\"b\\u0063\":\"x\\ty\",\"list\":[10,{\"z\":2},30],\"a\":2}";
    assert_int_equal(parse(s, &root), 0);
    assert_int_equal(root.type, JSON_OBJECT);
    int64_t x;
    assert_int_equal(json_get(&root, "a", &v), 0); /* the first of two */
    assert_int_equal(json_number(&v, 0, &x), 0);
    assert_int_equal(x, 1);
    assert_int_equal(json_get(&root, "bc", &v), 0);
    char out[8];
    assert_int_equal(json_string(&v, out, sizeof(out)), 3);
    assert_string_equal(out, "x\ty");
    assert_int_equal(json_string(&v, out, 3), -ENOSPC);
    assert_int_equal(json_number(&v, 0, &x), -EINVAL);
    assert_int_equal(json_get(&root, "missing", &v), -ENOENT);
    assert_int_equal(json_get(&root, "lis", &v), -ENOENT);
    assert_int_equal(json_get(&root, "list", &v), 0);
    assert_int_equal(json_get(&v, "z", &k), -EINVAL); /* an array has no members */
    struct json_iter it;
    json_iter_init(&it, &v);
    int n = 0;
    while (json_next(&it, NULL, &k))
        n++;
    assert_int_equal(n, 3);
    json_iter_init(&it, &root);
    n = 0;
    while (json_next(&it, &k, &v))
        n += json_string_equals(&k, "a");
    assert_int_equal(n, 2);
}

static void expect_number(const char *s, unsigned decimals, int rc, int64_t want)
{
    struct json_value v;
    int64_t x = 12345;
    assert_int_equal(parse(s, &v), 0);
    if (json_number(&v, decimals, &x) != rc)
        fail_msg("%s: rc %d, not %d", s, json_number(&v, decimals, &x), rc);
    if (rc == 0 && x != want)
        fail_msg("%s * 10^%u: %lld, not %lld", s, decimals, (long long)x, (long long)want);
}

static void test_json_numbers(void **state)
{
    (void)state;
    expect_number("0", 0, 0, 0);
    expect_number("131072", 0, 0, 131072);
    expect_number("-17", 0, 0, -17);
    expect_number("2.999", 0, 0, 2); /* truncated, as cJSON's valueint */
    expect_number("-2.999", 0, 0, -2);
    expect_number("1.004923", 6, 0, 1004923);
    expect_number("1.5", 3, 0, 1500);
    expect_number("1e3", 0, 0, 1000);
    expect_number("1E+10", 0, 0, 10000000000);
    expect_number("25e-1", 0, 0, 2);
    expect_number("1e-400", 0, 0, 0);
    expect_number("0e999999999", 0, 0, 0);
    expect_number("9223372036854775807", 0, 0, INT64_MAX);
    expect_number("9223372036854775808", 0, -ERANGE, 0);
    expect_number("18446744073709551615", 0, -ERANGE, 0); /* 3.12's "no retransmits" */
    expect_number("1e19", 0, -ERANGE, 0);
    expect_number("0.000000000000000000000000001", 0, 0, 0);
}

static const char params_312[] =
    "{\"tcp\":true,\"omit\":0,\"time\":2,\"num\":0,\"blockcount\":0,\"parallel\":4,"
    "\"reverse\":true,\"len\":131072,\"pacing_timer\":1000,\"client_version\":\"3.12\"}";

static int params(const char *s, struct iperf3_params *p, int *ie)
{
    return iperf3_params_parse(s, strlen(s), p, ie);
}

static void test_params(void **state)
{
    (void)state;
    struct iperf3_params p;
    int ie;
    assert_int_equal(params(params_312, &p, &ie), 0);
    assert_false(p.udp);
    assert_int_equal(p.mode, IPERF3_REVERSE);
    assert_int_equal(p.time_s, 2);
    assert_int_equal(p.parallel, 4);
    assert_int_equal(p.len, 131072);
    assert_string_equal(p.client_version, "3.12");
    assert_int_equal(params("{\"udp\":true,\"time\":1,\"bandwidth\":10000000000,\"len\":1448,"
                            "\"bidirectional\":true,\"reverse\":true,\"udp_counters_64bit\":1}",
                            &p, &ie),
                     0);
    assert_true(p.udp);
    assert_true(p.counters64);
    assert_int_equal(p.mode, IPERF3_BIDIR);
    assert_int_equal(p.rate, 10000000000ull);
    assert_int_equal(p.parallel, 1); /* defaults */
    assert_int_equal(p.pacing_us, 1000);
    /* Limits, each with the error the client prints. */
    assert_int_equal(params("{\"tcp\":true,\"parallel\":129}", &p, &ie), -ERANGE);
    assert_int_equal(ie, IPERF3_IENUMSTREAMS);
    assert_int_equal(params("{\"tcp\":true,\"parallel\":0}", &p, &ie), -ERANGE);
    assert_int_equal(params("{\"tcp\":true,\"time\":86401}", &p, &ie), -ERANGE);
    assert_int_equal(ie, IPERF3_IEDURATION);
    assert_int_equal(params("{\"tcp\":true,\"len\":1048577}", &p, &ie), -ERANGE);
    assert_int_equal(ie, IPERF3_IEBLOCKSIZE);
    assert_int_equal(params("{\"udp\":true,\"len\":15}", &p, &ie), -ERANGE);
    assert_int_equal(ie, IPERF3_IEUDPBLOCKSIZE);
    assert_int_equal(params("{\"udp\":true,\"len\":65508}", &p, &ie), -ERANGE);
    assert_int_equal(params("{\"tcp\":true,\"num\":-1}", &p, &ie), -ERANGE);
    assert_int_equal(params("{\"tcp\":true,\"time\":\"2\"}", &p, &ie), -EINVAL);
    assert_int_equal(params("{\"sctp\":true}", &p, &ie), -EPROTONOSUPPORT);
    assert_int_equal(ie, IPERF3_IEPROTOCOL);
    assert_int_equal(params("[]", &p, &ie), -EINVAL);
    assert_int_equal(ie, IPERF3_IERECVPARAMS);
    assert_int_equal(params("{\"tcp\":true", &p, &ie), -EINVAL);
    /* An over-long version string is only dropped. */
    assert_int_equal(
        params("{\"tcp\":true,\"client_version\":\"0123456789012345678901234\"}", &p, &ie), 0);
    assert_string_equal(p.client_version, "");
}

static void test_results(void **state)
{
    (void)state;
    struct iperf3_stream_result r[2] = {
        {.id = 1, .bytes = 1000, .duration_us = 2000123},
        {.id = 3, .bytes = 5, .packets = 7, .errors = 2, .jitter_ns = 1500, .sender = false}};
    char buf[1024];
    size_t n = iperf3_results_format(buf, sizeof(buf), r, 2, false);
    assert_true(n > 0 && n < sizeof(buf));
    assert_int_equal(strlen(buf), n);
    assert_non_null(strstr(buf, "\"sender_has_retransmits\":-1"));
    assert_non_null(strstr(buf, "\"end_time\":2.000123}"));
    assert_non_null(strstr(buf, "\"jitter\":0.000001500"));
    /* What we write, we read: the server's results have every field the client needs. */
    struct iperf3_peer_results p;
    assert_int_equal(iperf3_results_parse(buf, n, &p), 0);
    assert_int_equal(p.streams, 2);
    assert_int_equal(p.bytes, 1005);
    assert_int_equal(p.packets, 7);
    assert_int_equal(p.errors, 2);
    /* Too small a buffer: 0, never a cut message. */
    for (size_t cap = 0; cap <= n; cap += 7)
        assert_int_equal(iperf3_results_format(buf, cap, r, 2, false), 0);
    assert_int_equal(iperf3_results_format(buf, n, r, 2, false), 0);
    assert_int_equal(iperf3_results_format(buf, n + 1, r, 2, false), n);
    /* --get-server-output: the text is escaped and the message stays JSON; no room, no text. */
    size_t m = iperf3_results_add_text(buf, n, sizeof(buf), "a \"q\" \\ b\n");
    assert_true(m > n);
    assert_non_null(strstr(buf, ",\"server_output_text\":\"a \\\"q\\\" \\\\ b\\u000a\"}"));
    assert_int_equal(strlen(buf), m);
    assert_int_equal(iperf3_results_parse(buf, m, &p), 0);
    struct json_value root, v;
    char text[32];
    assert_int_equal(json_parse(buf, m, &root), 0);
    assert_int_equal(json_get(&root, "server_output_text", &v), 0);
    assert_int_equal(json_string(&v, text, sizeof(text)), 10);
    assert_string_equal(text, "a \"q\" \\ b\n");
    n = iperf3_results_format(buf, sizeof(buf), r, 2, false);
    assert_int_equal(iperf3_results_add_text(buf, n, n + 10, "a long text"), 0);
    assert_int_equal(strlen(buf), n);
    assert_int_equal(buf[n - 1], '}');
    /* The largest stream entry fits in the 256 bytes a stream the server reserves. */
    struct iperf3_stream_result big = {UINT32_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
                                       UINT64_MAX, UINT64_MAX, true};
    size_t one = iperf3_results_format(buf, sizeof(buf), &big, 1, true);
    size_t none = iperf3_results_format(buf, sizeof(buf), &big, 0, true);
    assert_true(one > 0 && none > 0 && one - none < 256);
    /* iperf3 3.12's own results (from --debug), -1 printed as 2^64 - 1. */
    const char *c312 =
        "{\"cpu_util_total\":23.09,\"cpu_util_user\":5.2,\"cpu_util_system\":17.8,"
        "\"sender_has_retransmits\":18446744073709551615,\"congestion_used\":\"bbr\","
        "\"streams\":[{\"id\":1,\"bytes\":1095090824,\"retransmits\":18446744073709551615,"
        "\"jitter\":0,\"errors\":0,\"packets\":0,\"start_time\":0,\"end_time\":1.004923}]}";
    assert_int_equal(iperf3_results_parse(c312, strlen(c312), &p), 0);
    assert_int_equal(p.bytes, 1095090824);
    const char *no_cpu = "{\"sender_has_retransmits\":0,\"streams\":[]}";
    assert_int_equal(iperf3_results_parse(no_cpu, strlen(no_cpu), &p), -EINVAL);
    const char *neg = "{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,"
                      "\"sender_has_retransmits\":0,\"streams\":[{\"id\":1,\"bytes\":-5,"
                      "\"retransmits\":0,\"jitter\":0,\"errors\":0,\"packets\":0}]}";
    assert_int_equal(iperf3_results_parse(neg, strlen(neg), &p), -EINVAL);
}

static void send_at(struct iperf3_udp_rx *rx, uint64_t seq, uint64_t sent_ns, uint64_t arrive_ns)
{
    uint8_t d[100] = {0};
    iperf3_udp_header(d, false, seq, sent_ns);
    iperf3_udp_account(rx, d, sizeof(d), false, arrive_ns);
}

static void test_udp_accounting(void **state)
{
    (void)state;
    struct iperf3_udp_rx rx = {0};
    const uint64_t base = 1700000000ull * 1000000000ull, ms = 1000000;
    /* Steady: every packet 1 ms apart, 5 ms transit: no jitter. */
    for (uint64_t i = 1; i <= 10; i++)
        send_at(&rx, i, base + i * ms, base + i * ms + 5 * ms);
    assert_int_equal(rx.highest, 10);
    assert_int_equal(rx.lost, 0);
    assert_int_equal(rx.jitter16_ns, 0);
    /* 11 and 12 lost, 13 arrives 1 ms late: jitter moves 1/16 of the way to 1 ms. */
    send_at(&rx, 13, base + 13 * ms, base + 13 * ms + 6 * ms);
    assert_int_equal(rx.lost, 2);
    assert_int_equal(rx.jitter16_ns / 16, ms / 16);
    /* 12 arrives late: one fewer lost, one out of order. */
    send_at(&rx, 12, base + 12 * ms, base + 14 * ms);
    assert_int_equal(rx.lost, 1);
    assert_int_equal(rx.out_of_order, 1);
    assert_int_equal(rx.highest, 13);
    assert_int_equal(rx.bytes, 1200);
    /* Too short for the header: bytes only. */
    iperf3_udp_account(&rx, (const uint8_t *)"abc", 3, false, base);
    assert_int_equal(rx.bytes, 1203);
    assert_int_equal(rx.datagrams, 12);
    /* 64-bit counters. */
    uint8_t d[16];
    iperf3_udp_header(d, true, 0x100000001ull, base);
    assert_int_equal(d[8], 0);
    assert_int_equal(d[11], 1);
    assert_int_equal(d[15], 1);
    struct iperf3_udp_rx r64 = {0};
    iperf3_udp_account(&r64, d, sizeof(d), true, base);
    assert_int_equal(r64.highest, 0x100000001ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_grammar), cmocka_unit_test(test_json_members),
        cmocka_unit_test(test_json_numbers), cmocka_unit_test(test_params),
        cmocka_unit_test(test_results),      cmocka_unit_test(test_udp_accounting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
