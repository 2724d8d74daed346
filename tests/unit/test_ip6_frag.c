/* IPv6 fragments and extension headers over the virtual wire: reassembly both ways, RFC 5722
 * overlaps, RFC 6946 atomic fragments, timeout with time exceeded, the fragment bound, and
 * hop-by-hop / destination options / routing / unknown next header handling (RFC 8200 4). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ip6_test.h"

static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x02};
static int replies;
static size_t reply_len;

static void count_reply(struct inet *inet, struct unic_addr src, uint16_t id, uint16_t seq,
                        size_t len, void *arg)
{
    (void)inet, (void)src, (void)id, (void)seq, (void)arg;
    reply_len = len;
    replies++;
}

static int setup(void **state)
{
    struct harness *h = malloc(sizeof(*h));
    harness_init(h, NULL);
    harness_a(h)->ip6.icmp6.on_echo_reply = count_reply;
    replies = 0;
    assert_true(ip6_test_up(h, true));
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    struct harness *h = *state;
    assert_int_equal(harness_destroy(h), 0); /* no buffer leaked */
    free(h);
    return 0;
}

/* The third host fd00::9 (its neighbour entry learnt first, so B's answers go out). */
static struct unic_addr third(struct harness *h)
{
    struct unic_addr t = ip6_test_addr("fd00::9");
    nd6_learn(harness_b(h), t, (uint8_t[6]){THIRD_MAC}, false);
    return t;
}

/* An echo request of (len) payload bytes from the third host to B, whole, in (buf): its
 * ICMPv6 part (8 + len bytes) is returned, its checksum set. */
static size_t echo_body(uint8_t *buf, struct unic_addr src, size_t len)
{
    size_t n = frame_icmp6_echo(buf, 7, 1, len);
    frame_icmp6_sum(buf, n, src, ip6_test_addr("fd00::2"));
    return n;
}

/* A fragment of (body) [off, off+len) with identification (id), injected into B. */
static void inject_frag(struct harness *h, struct unic_addr src, const uint8_t *body, size_t off,
                        size_t len, bool more, uint32_t id)
{
    uint8_t f[1600];
    size_t n = frame_ip6(f, mac_b, src, ip6_test_addr("fd00::2"), 44, (uint16_t)(8 + len), 64);
    struct ip6_frag_hdr fh = {.next_header = 58, .offset = (uint16_t)off, .more = more, .id = id};
    ip6_frag_emit(f + n, 8, &fh);
    memcpy(f + n + 8, body + off, len);
    harness_inject(h, SIDE_B, f, n + 8 + len);
}

static void test_large_ping_fragments_both_ways(void **state)
{
    struct harness *h = *state;
    assert_int_equal(icmp6_send_echo(harness_a(h), ip6_test_addr("fd00::2"), 1, 1, 8000), 0);
    harness_run(h, 20 * NSEC_PER_MSEC);
    assert_int_equal(replies, 1);
    assert_int_equal(reply_len, 8000);
    assert_int_equal(inet_stat(harness_a(h), "ip6.tx_fragments"), 6); /* 8008 / 1448 */
    assert_int_equal(inet_stat(harness_b(h), "reass6.reassembled"), 1);
    assert_int_equal(inet_stat(harness_a(h), "reass6.reassembled"), 1);
}

/* The largest IPv6 packet there is: a 65535-byte payload (an echo of 65527 bytes), 46
 * fragments each way, reassembled whole on both sides. */
static void test_largest_packet_reassembles(void **state)
{
    struct harness *h = *state;
    assert_int_equal(icmp6_send_echo(harness_a(h), ip6_test_addr("fd00::2"), 1, 1, 65527), 0);
    harness_run(h, 50 * NSEC_PER_MSEC);
    assert_int_equal(replies, 1);
    assert_int_equal(reply_len, 65527);
    assert_int_equal(inet_stat(harness_b(h), "reass6.no_buffer"), 0);
    /* One byte more, and lengths whose sum with the header wraps (issue 17 A): refused. */
    const size_t too_big[] = {65528, SIZE_MAX - ICMP6_HDR_LEN + 1, SIZE_MAX - 1, SIZE_MAX};
    for (size_t i = 0; i < sizeof(too_big) / sizeof(too_big[0]); i++)
        assert_int_equal(icmp6_send_echo(harness_a(h), ip6_test_addr("fd00::2"), 1,
                                         (uint16_t)(2 + i), too_big[i]),
                         -EMSGSIZE);
    assert_int_equal(harness_in_flight(h), 0);
}

static void test_out_of_order_fragments_reassemble(void **state)
{
    struct harness *h = *state;
    struct unic_addr src = third(h);
    uint8_t body[2000];
    size_t n = echo_body(body, src, 2000 - 8);
    inject_frag(h, src, body, 1000, n - 1000, false, 5);
    inject_frag(h, src, body, 0, 1000, true, 5);
    inject_frag(h, src, body, 0, 1000, true, 5); /* an exact duplicate is dropped alone */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass6.reassembled"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_echo_replies"), 1);
}

static void test_overlap_drops_the_whole_packet(void **state)
{
    struct harness *h = *state;
    struct unic_addr src = third(h);
    uint8_t body[64];
    size_t n = echo_body(body, src, 40);
    inject_frag(h, src, body, 0, 24, true, 6);
    inject_frag(h, src, body, 16, 16, true, 6);      /* overlaps [16, 24) */
    inject_frag(h, src, body, 32, n - 32, false, 6); /* would complete it: dropped too */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass6.overlap"), 1);
    assert_int_equal(inet_stat(harness_b(h), "reass6.dropped_late"), 1);
    assert_int_equal(inet_stat(harness_b(h), "reass6.reassembled"), 0);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_echo_replies"), 0);
    /* No time exceeded for a packet dropped as an overlap (RFC 5722). */
    harness_run(h, 61 * NSEC_PER_SEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_time_exceeded"), 0);
    assert_int_equal(harness_b(h)->ip6.reass.bytes, 0);
}

static void test_timeout_sends_time_exceeded(void **state)
{
    struct harness *h = *state;
    struct unic_addr src = third(h);
    uint8_t body[64];
    echo_body(body, src, 40);
    inject_frag(h, src, body, 0, 24, true, 7); /* the rest never comes */
    harness_run(h, 59 * NSEC_PER_SEC);
    assert_int_equal(inet_stat(harness_b(h), "reass6.timeout"), 0);
    harness_run(h, 2 * NSEC_PER_SEC);
    assert_int_equal(inet_stat(harness_b(h), "reass6.timeout"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_time_exceeded"), 1);
    assert_int_equal(harness_b(h)->ip6.reass.bytes, 0);
}

static void test_too_many_fragments(void **state)
{
    struct harness *h = *state;
    struct unic_addr src = third(h);
    uint8_t body[8 * (IP6_REASS_MAX_FRAGS + 2)];
    memset(body, 0, sizeof(body));
    for (int i = 0; i <= IP6_REASS_MAX_FRAGS; i++)
        inject_frag(h, src, body, (size_t)i * 8, 8, true, 8);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass6.too_many_frags"), 1);
    assert_int_equal(harness_b(h)->ip6.reass.bytes, 0);
    /* Too many packets in progress: the oldest is evicted. */
    for (uint32_t id = 100; id < 100 + IP6_REASS_MAX_PACKETS + 1; id++)
        inject_frag(h, src, body, 0, 8, true, id);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass6.too_many_packets"), 2); /* + the dead */
}

static void test_atomic_fragment_is_delivered(void **state)
{
    struct harness *h = *state;
    struct unic_addr src = third(h);
    uint8_t body[64];
    size_t n = echo_body(body, src, 16);
    inject_frag(h, src, body, 0, n, false, 9);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "ip6.rx_atomic_fragments"), 1);
    assert_int_equal(inet_stat(harness_b(h), "reass6.fragments"), 0);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_echo_replies"), 1);
}

static void test_bad_fragment_length_is_a_parameter_problem(void **state)
{
    struct harness *h = *state;
    struct unic_addr src = third(h);
    uint8_t body[64];
    echo_body(body, src, 40);
    inject_frag(h, src, body, 0, 20, true, 10); /* M set, length not a multiple of 8 */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_param_problem"), 1);
    /* RFC 7112: a first fragment holding a destination options header and no upper-layer
     * header is refused (parameter problem code 3). */
    uint8_t f[128];
    size_t n = frame_ip6(f, mac_b, src, ip6_test_addr("fd00::2"), 44, 16, 64);
    struct ip6_frag_hdr fh = {.next_header = 60, .offset = 0, .more = true, .id = 11};
    ip6_frag_emit(f + n, 8, &fh);
    const uint8_t dstopts[8] = {58, 0, 1, 4, 0, 0, 0, 0};
    memcpy(f + n + 8, dstopts, 8);
    harness_inject(h, SIDE_B, f, n + 16);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_param_problem"), 2);
    assert_int_equal(inet_stat(harness_b(h), "reass6.fragments"), 0);
}

/* An echo request from the third host behind one extension header (nh, bytes hdr[len]). */
static void inject_with_ext(struct harness *h, uint8_t nh, const uint8_t *hdr, size_t len,
                            const char *dst_text)
{
    struct unic_addr src = third(h), dst = ip6_test_addr(dst_text);
    uint8_t f[256];
    uint8_t echo[24];
    size_t e = frame_icmp6_echo(echo, 7, 2, 16);
    frame_icmp6_sum(echo, e, src, dst);
    const uint8_t mc[6] = {0x33, 0x33, 0, 0, 0, 1};
    size_t n =
        frame_ip6(f, dst.bytes[0] == 0xff ? mc : mac_b, src, dst, nh, (uint16_t)(len + e), 64);
    memcpy(f + n, hdr, len);
    memcpy(f + n + len, echo, e);
    harness_inject(h, SIDE_B, f, n + len + e);
    harness_run(h, 10 * NSEC_PER_MSEC);
}

static void test_destination_options(void **state)
{
    struct harness *h = *state;
    /* PadN and an unknown option of action 00 (skip): answered. */
    const uint8_t skip[16] = {58, 1, 1, 2, 0, 0, 0x1e, 4, 0, 0, 0, 0, 1, 2, 0, 0};
    inject_with_ext(h, 60, skip, sizeof(skip), "fd00::2");
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_echo_replies"), 1);
    /* Action 01: dropped silently. */
    const uint8_t drop[8] = {58, 0, 0x5e, 4, 0, 0, 0, 0};
    inject_with_ext(h, 60, drop, sizeof(drop), "fd00::2");
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_echo_replies"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_param_problem"), 0);
    /* Action 10: parameter problem code 2, even to a multicast destination. */
    const uint8_t pp[8] = {58, 0, 0x9e, 4, 0, 0, 0, 0};
    inject_with_ext(h, 60, pp, sizeof(pp), "ff02::1");
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_param_problem"), 1);
    /* Action 11: parameter problem only to unicast. */
    const uint8_t pp_uni[8] = {58, 0, 0xde, 4, 0, 0, 0, 0};
    inject_with_ext(h, 60, pp_uni, sizeof(pp_uni), "ff02::1");
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_param_problem"), 1);
    inject_with_ext(h, 60, pp_uni, sizeof(pp_uni), "fd00::2");
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_param_problem"), 2);
    assert_int_equal(inet_stat(harness_b(h), "ip6.rx_unknown_option"), 4);
    /* An option running past its header: dropped, counted. */
    const uint8_t bad[8] = {58, 0, 1, 9, 0, 0, 0, 0};
    inject_with_ext(h, 60, bad, sizeof(bad), "fd00::2");
    assert_int_equal(inet_stat(harness_b(h), "ip6.rx_bad_ext"), 1);
}

static void test_hop_by_hop_and_routing(void **state)
{
    struct harness *h = *state;
    /* Hop-by-hop with Router Alert, first: fine. */
    const uint8_t hbh[8] = {58, 0, 5, 2, 0, 0, 1, 0};
    inject_with_ext(h, 0, hbh, sizeof(hbh), "fd00::2");
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_echo_replies"), 1);
    /* Routing header with segments left 0: ignored; with segments left: parameter problem. */
    uint8_t rh[24] = {58, 2, 4, 0};
    inject_with_ext(h, 43, rh, sizeof(rh), "fd00::2");
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_echo_replies"), 2);
    rh[3] = 1;
    inject_with_ext(h, 43, rh, sizeof(rh), "fd00::2");
    assert_int_equal(inet_stat(harness_b(h), "ip6.rx_routing_header"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_param_problem"), 1);
    /* Hop-by-hop after a destination options header: parameter problem (code 1). */
    const uint8_t dst_then_hbh[16] = {0, 0, 1, 4, 0, 0, 0, 0, 58, 0, 1, 4, 0, 0, 0, 0};
    inject_with_ext(h, 60, dst_then_hbh, sizeof(dst_then_hbh), "fd00::2");
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_param_problem"), 2);
    /* No next header: dropped quietly. */
    const uint8_t none[8] = {59, 0, 1, 4, 0, 0, 0, 0};
    inject_with_ext(h, 60, none, sizeof(none), "fd00::2");
    assert_int_equal(inet_stat(harness_b(h), "ip6.rx_no_next_header"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_echo_replies"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_large_ping_fragments_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_largest_packet_reassembles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_fragments_reassemble, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlap_drops_the_whole_packet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_sends_time_exceeded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_fragments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_fragment_is_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_fragment_length_is_a_parameter_problem, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_destination_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hop_by_hop_and_routing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
