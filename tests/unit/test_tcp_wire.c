/* TCP wire code: parse and emit of the header and options, byte arrays both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unic/wire/tcp.h"
#include "unic/wire/wire.h"

/* A SYN from Linux: MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
static const uint8_t linux_syn[] = {
    0xa4, 0x1e, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

static void test_parse_linux_syn(void **state)
{
    (void)state;
    struct tcp_hdr h;
    assert_int_equal(tcp_parse(linux_syn, sizeof(linux_syn), &h), WIRE_OK);
    assert_int_equal(h.sport, 0xa41e);
    assert_int_equal(h.dport, 80);
    assert_int_equal(h.seq, 0x12345678);
    assert_int_equal(h.hdr_len, 40);
    assert_int_equal(h.flags, TCP_SYN);
    assert_int_equal(h.window, 0xfaf0);
    assert_true(h.opts.has_mss);
    assert_int_equal(h.opts.mss, 1460);
    assert_true(h.opts.sack_ok);
    assert_true(h.opts.has_ts);
    assert_int_equal(h.opts.ts_val, 0x00010203);
    assert_int_equal(h.opts.ts_ecr, 0);
    assert_true(h.opts.has_wscale);
    assert_int_equal(h.opts.wscale, 7);
}

static void test_emit_parse_roundtrip(void **state)
{
    (void)state;
    struct tcp_hdr h = {
        .sport = 1, .dport = 2, .seq = 0xfffffff0u, .ack = 5, .flags = TCP_ACK, .window = 1234};
    h.opts.has_ts = true;
    h.opts.ts_val = 77;
    h.opts.ts_ecr = 88;
    h.opts.sack_count = 4; /* only 3 fit beside timestamps */
    for (int i = 0; i < 4; i++)
        h.opts.sack[i] = (struct tcp_sack_block){100u * i, 100u * i + 50};
    uint8_t buf[60];
    int n = tcp_emit(buf, sizeof(buf), &h);
    assert_int_equal(n, 20 + 12 + 4 + 24);
    struct tcp_hdr back;
    assert_int_equal(tcp_parse(buf, (size_t)n, &back), WIRE_OK);
    assert_int_equal(back.seq, 0xfffffff0u);
    assert_int_equal(back.opts.ts_val, 77);
    assert_int_equal(back.opts.ts_ecr, 88);
    assert_int_equal(back.opts.sack_count, 3);
    assert_int_equal(back.opts.sack[2].start, 200);
    assert_int_equal(back.opts.sack[2].end, 250);
    assert_int_equal(tcp_emit(buf, 40, &h), WIRE_ENOSPACE);

    struct tcp_hdr syn = {.flags = TCP_SYN};
    syn.opts = (struct tcp_opts){
        .has_mss = true, .mss = 1460, .has_wscale = true, .wscale = 3, .sack_ok = true};
    n = tcp_emit(buf, sizeof(buf), &syn);
    assert_int_equal(n, 32);
    assert_int_equal(tcp_parse(buf, (size_t)n, &back), WIRE_OK);
    assert_true(back.opts.sack_ok && back.opts.has_wscale && back.opts.has_mss);
    assert_false(back.opts.has_ts);
}

/* A header with the 12 option bytes (opts) after a fixed ACK header. */
static int parse_with_options(const uint8_t opts[12], struct tcp_hdr *h)
{
    uint8_t seg[32] = {0, 80, 0, 81, 0, 0, 0, 1, 0, 0, 0, 2, 0x80, TCP_ACK, 0x10, 0};
    memcpy(seg + 20, opts, 12);
    return tcp_parse(seg, sizeof(seg), h);
}

/* NOP, NOP, TS (read without walking the options) gives what any other layout gives, and a
 * near miss of it still goes through the full checks. */
static void test_parse_aligned_timestamps(void **state)
{
    (void)state;
    static const uint8_t aligned[12] = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t other[12] = {8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0};
    struct tcp_hdr a, b;
    assert_int_equal(parse_with_options(aligned, &a), WIRE_OK);
    assert_int_equal(parse_with_options(other, &b), WIRE_OK);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_true(a.opts.has_ts);
    assert_int_equal(a.opts.ts_val, 0x01020304);
    assert_int_equal(a.opts.ts_ecr, 0x05060708);
    assert_int_equal(a.hdr_len, 32);
    assert_int_equal(a.ack, 2);
    static const uint8_t bad_len[12] = {1, 1, 8, 11, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(parse_with_options(bad_len, &a), WIRE_EOPTION);
    static const uint8_t mss_then_ts[12] = {2, 4, 5, 0xb4, 8, 10, 0, 0, 0, 0, 0, 0};
    assert_int_equal(parse_with_options(mss_then_ts, &a), WIRE_EOPTION); /* TS runs past */
}

static void test_parse_errors(void **state)
{
    (void)state;
    struct tcp_hdr h;
    uint8_t b[60];
    memcpy(b, linux_syn, sizeof(linux_syn));
    assert_int_equal(tcp_parse(b, 19, &h), WIRE_ETRUNCATED);
    assert_int_equal(tcp_parse(b, 39, &h), WIRE_ETRUNCATED); /* offset says 40 */
    b[12] = 0x40;
    assert_int_equal(tcp_parse(b, sizeof(linux_syn), &h), WIRE_ELENGTH);
    memcpy(b, linux_syn, sizeof(linux_syn));
    b[21] = 5; /* MSS with length 5 */
    assert_int_equal(tcp_parse(b, sizeof(linux_syn), &h), WIRE_EOPTION);
    memcpy(b, linux_syn, sizeof(linux_syn));
    b[39] = 0x07, b[38] = 0x09, b[37] = 0x99; /* unknown kind whose length runs out */
    assert_int_equal(tcp_parse(b, sizeof(linux_syn), &h), WIRE_EOPTION);
    memcpy(b, linux_syn, sizeof(linux_syn));
    b[36] = TCP_OPT_EOL; /* everything after EOL is ignored */
    assert_int_equal(tcp_parse(b, sizeof(linux_syn), &h), WIRE_OK);
    assert_false(h.opts.has_wscale);
    b[20] = 0, b[21] = 0; /* padding of zeros */
    assert_int_equal(tcp_parse(b, sizeof(linux_syn), &h), WIRE_OK);
    uint8_t sack[32] = {0};
    sack[12] = 0x80;
    sack[20] = TCP_OPT_SACK, sack[21] = 9; /* not 2 + 8n */
    assert_int_equal(tcp_parse(sack, 32, &h), WIRE_EOPTION);
}

static void test_checksum(void **state)
{
    (void)state;
    uint8_t b[40 + 5];
    memcpy(b, linux_syn, sizeof(linux_syn));
    memcpy(b + 40, "hello", 5);
    tcp_set_checksum(b, sizeof(b), 0x0a000001, 0x0a000002);
    assert_true(tcp_checksum_ok(b, sizeof(b), 0x0a000001, 0x0a000002));
    assert_false(tcp_checksum_ok(b, sizeof(b), 0x0a000001, 0x0a000003));
    b[44] ^= 0x10;
    assert_false(tcp_checksum_ok(b, sizeof(b), 0x0a000001, 0x0a000002));
}

static void test_seq_compare_wraps(void **state)
{
    (void)state;
    assert_true(seq_lt(0xfffffff0u, 0x10));
    assert_true(seq_gt(0x10, 0xfffffff0u));
    assert_true(seq_le(5, 5) && seq_ge(5, 5));
    assert_int_equal(seq_max(0xffffffffu, 1), 1);
    assert_int_equal(seq_min(0xffffffffu, 1), 0xffffffffu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_linux_syn),
        cmocka_unit_test(test_emit_parse_roundtrip),
        cmocka_unit_test(test_parse_aligned_timestamps),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_seq_compare_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
