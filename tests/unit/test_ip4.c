/* IPv4 and ICMP over the virtual wire: ping, fragmentation both ways, reassembly (order,
 * overlap, duplicates, timeout, bounds), validation counters, routing, rate limiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <cmocka.h>

#include "frames.h"
#include "harness.h"
#include "unic/icmp.h"
#include "unic/ip4.h"
#include "unic/ip4_reass.h"
#include "unic/wire/icmp.h"
#include "unic/wire/ip4.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u

static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 2};

struct reply_log {
    int count;
    uint16_t last_seq;
    size_t last_len;
};
static struct reply_log replies;

static void log_reply(struct inet *inet, uint32_t src, uint16_t id, uint16_t seq, size_t len,
                      void *arg)
{
    (void)inet, (void)src, (void)id, (void)arg;
    replies.count++;
    replies.last_seq = seq;
    replies.last_len = len;
}

/* Frames B sends towards the third host (which has no stack), captured here. */
static int third_host_frames;
static uint8_t third_host_last[128]; /* the start of the last one */
static bool capture_from_b(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    if (from == SIDE_B && nb->len >= 14 && nb->data[5] == 0x09) {
        third_host_frames++;
        memset(third_host_last, 0, sizeof(third_host_last));
        memcpy(third_host_last, nb->data, nb->len < 128 ? nb->len : 128);
    }
    return true;
}

static struct harness *new_harness(const struct harness_opts *o)
{
    struct harness *h = malloc(sizeof(*h));
    harness_init(h, o);
    harness_a(h)->icmp.on_echo_reply = log_reply;
    h->tap = capture_from_b;
    replies = (struct reply_log){0};
    third_host_frames = 0;
    harness_run(h, NSEC_PER_MSEC);
    return h;
}

static int setup(void **state)
{
    *state = new_harness(NULL);
    return 0;
}

static int teardown(void **state)
{
    struct harness *h = *state;
    assert_int_equal(harness_destroy(h), 0);
    free(h);
    return 0;
}

/* Teach B the third host's MAC so its replies are sent, not queued behind ARP. */
static void introduce_third_host(struct harness *h)
{
    uint8_t f[64] = {0};
    size_t n = frame_eth(f, mac_b, 0x0806);
    const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 2,  THIRD_MAC, 10, 0, 0,
                             9, 2, 0, 0, 0, 0, 2, 10, 0,         0,  2};
    memcpy(f + n, arp, sizeof(arp));
    harness_inject(h, SIDE_B, f, n + 28);
    harness_run(h, NSEC_PER_MSEC);
}

static void test_ping_round_trip(void **state)
{
    struct harness *h = *state;
    for (uint16_t i = 0; i < 100; i++) {
        assert_int_equal(icmp_send_echo(harness_a(h), IP_B, 7, i, NULL, 56), 0);
        harness_run(h, 20 * NSEC_PER_MSEC);
    }
    assert_int_equal(replies.count, 100);
    assert_int_equal(replies.last_seq, 99);
    assert_int_equal(replies.last_len, 56);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_echo_replies"), 100);
}

static void test_ping_8000_fragments_both_ways(void **state)
{
    struct harness *h = *state;
    assert_int_equal(icmp_send_echo(harness_a(h), IP_B, 7, 1, NULL, 8000), 0);
    harness_run(h, 20 * NSEC_PER_MSEC);
    assert_int_equal(replies.count, 1);
    assert_int_equal(replies.last_len, 8000);
    assert_int_equal(inet_stat(harness_a(h), "ip4.tx_fragments"), 6); /* 8028 / 1480 */
    assert_int_equal(inet_stat(harness_b(h), "ip4.tx_fragments"), 6);
    assert_int_equal(inet_stat(harness_b(h), "reass.reassembled"), 1);
    assert_int_equal(inet_stat(harness_a(h), "reass.reassembled"), 1);
}

/* A ping of (size) bytes from A to B on a link of (mtu): one whole reply, each side sending
 * its datagram in (frags) fragments. */
static void ping_at_mtu(uint16_t mtu, size_t size, int64_t frags)
{
    struct harness_opts o = {.mtu = mtu};
    struct harness *h = new_harness(&o);
    assert_int_equal(icmp_send_echo(harness_a(h), IP_B, 7, 1, NULL, size), 0);
    harness_run(h, 20 * NSEC_PER_MSEC);
    assert_int_equal(replies.count, 1);
    assert_int_equal(replies.last_len, size);
    assert_int_equal(inet_stat(harness_a(h), "ip4.tx_fragments"), frags);
    assert_int_equal(inet_stat(harness_b(h), "ip4.tx_fragments"), frags);
    assert_int_equal(harness_destroy(h), 0);
    free(h);
}

static void test_ping_with_small_mtu(void **state)
{
    (void)state;
    ping_at_mtu(576, 3000, 6); /* 3028 / 552 */
}

/* On a jumbo link a fragment is bigger than a pool buffer (1584 bytes of room): each one came
 * from netbuf_alloc and the copy went through the NULL netbuf_put returned (a ping -s 20000
 * from anywhere on a 9000-byte link crashed the service). */
static void test_ping_fragments_on_jumbo_link(void **state)
{
    (void)state;
    ping_at_mtu(9000, 20000, 3); /* 20028 / 8976 */
}

/* An echo request of (payload) bytes from the third host, cut into fragments of (chunk). */
static size_t build_fragments(uint8_t frames[][1600], size_t *lens, size_t payload, size_t chunk,
                              uint16_t id)
{
    static uint8_t dgram[9000];
    size_t total = frame_icmp_echo(dgram, 1, 1, payload);
    size_t n = 0;
    for (size_t off = 0; off < total; off += chunk, n++) {
        size_t len = total - off < chunk ? total - off : chunk;
        size_t e = frame_eth(frames[n], mac_b, 0x0800);
        frame_ip4(frames[n] + e, THIRD_IP, IP_B, 1, (uint16_t)(20 + len), id, (uint16_t)off,
                  off + len < total);
        memcpy(frames[n] + e + 20, dgram + off, len);
        lens[n] = e + 20 + len;
    }
    return n;
}

static uint8_t frags[80][1600];
static size_t frag_lens[80];

static void test_reassembles_out_of_order(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    size_t n = build_fragments(frags, frag_lens, 4000, 1000, 0x1111);
    assert_int_equal(n, 5);
    int order[] = {3, 0, 4, 2, 1};
    for (int i = 0; i < 5; i++)
        harness_inject(h, SIDE_B, frags[order[i]], frag_lens[order[i]]);
    harness_run(h, 5 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass.reassembled"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_echo_replies"), 1);
    assert_true(third_host_frames >= 3); /* the 4008-byte reply, fragmented */
}

static void test_overlapping_fragments_drop_datagram(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    build_fragments(frags, frag_lens, 2000, 1000, 0x2222);
    harness_inject(h, SIDE_B, frags[0], frag_lens[0]);
    /* A second piece at offset 504 overlaps the first [0, 1000). */
    uint8_t bad[1600];
    size_t e = frame_eth(bad, mac_b, 0x0800);
    frame_ip4(bad + e, THIRD_IP, IP_B, 1, 20 + 1000, 0x2222, 504, 1);
    harness_inject(h, SIDE_B, bad, e + 20 + 1000);
    harness_inject(h, SIDE_B, frags[1], frag_lens[1]);
    harness_inject(h, SIDE_B, frags[2], frag_lens[2]);
    harness_run(h, 5 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass.overlap"), 1);
    assert_int_equal(inet_stat(harness_b(h), "reass.reassembled"), 0);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_echo_replies"), 0);
}

static void test_duplicate_fragment_ignored(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    size_t n = build_fragments(frags, frag_lens, 2000, 1000, 0x3333);
    harness_inject(h, SIDE_B, frags[0], frag_lens[0]);
    harness_inject(h, SIDE_B, frags[0], frag_lens[0]);
    for (size_t i = 1; i < n; i++)
        harness_inject(h, SIDE_B, frags[i], frag_lens[i]);
    harness_run(h, 5 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass.duplicate"), 1);
    assert_int_equal(inet_stat(harness_b(h), "reass.reassembled"), 1);
}

static void test_incomplete_datagram_times_out(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    build_fragments(frags, frag_lens, 3000, 1000, 0x4444);
    harness_inject(h, SIDE_B, frags[0], frag_lens[0]);
    harness_inject(h, SIDE_B, frags[2], frag_lens[2]);
    harness_run(h, NSEC_PER_MSEC);
    assert_true(harness_b(h)->ip4.reass.bytes > 0);
    harness_run(h, IP4_REASS_TIMEOUT_NS + NSEC_PER_SEC);
    assert_int_equal(inet_stat(harness_b(h), "reass.timeout"), 1);
    assert_int_equal(harness_b(h)->ip4.reass.bytes, 0);
    assert_int_equal(h->pool.in_use, 0);
    assert_false(timer_armed(&harness_b(h)->ip4.reass.timer));
    /* RFC 1122 3.3.2 (MUST): time exceeded (11, code 1) to the source, as fragment zero came;
     * it quotes that fragment: its IP header and (at least 8) bytes of the echo request. */
    assert_int_equal(third_host_frames, 1);
    const uint8_t *ip = third_host_last + 14, *icmp = ip + 20, *quote = icmp + 8;
    assert_int_equal(ip[9], IP4_PROTO_ICMP);
    assert_int_equal(rd32(ip + 16), THIRD_IP);
    assert_int_equal(icmp[0], ICMP_TIME_EXCEEDED);
    assert_int_equal(icmp[1], 1);
    assert_int_equal(rd16(ip + 2), 20 + 8 + 548); /* a quote of ICMP_QUOTE_MAX */
    assert_int_equal(rd16(quote + 4), 0x4444);
    assert_int_equal(quote[20], ICMP_ECHO_REQUEST);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_time_exceeded"), 1);
}

/* A datagram that came, even in part, as a link-layer broadcast or multicast keeps the mark
 * through reassembly (it decides whether an ICMP error may answer it, RFC 1122 3.2.2; what
 * matters for IPv6 and an unconfigured IPv4 host, which take such frames). */
static void test_reassembled_keeps_l2_group(void **state)
{
    struct harness *h = *state;
    size_t n = build_fragments(frags, frag_lens, 3000, 1000, 0x4646);
    struct netbuf *whole = NULL;
    for (size_t i = 0; i < n; i++) {
        struct netbuf *nb = netbuf_alloc(&h->pool);
        memcpy(netbuf_put(nb, frag_lens[i] - 14), frags[i] + 14, frag_lens[i] - 14);
        nb->l2_group = i == 1;
        struct ip4_hdr hdr, out;
        assert_int_equal(ip4_parse(nb->data, nb->len, &hdr), 0);
        whole = ip4_reass_input(harness_b(h), nb, &hdr, &out);
    }
    assert_non_null(whole);
    assert_true(whole->l2_group);
    netbuf_free(whole);
}

/* Without fragment zero there is nothing to quote: no error (RFC 1122 3.3.2). */
static void test_timeout_without_first_fragment_is_silent(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    build_fragments(frags, frag_lens, 3000, 1000, 0x4545);
    harness_inject(h, SIDE_B, frags[1], frag_lens[1]);
    harness_run(h, IP4_REASS_TIMEOUT_NS + NSEC_PER_SEC);
    assert_int_equal(inet_stat(harness_b(h), "reass.timeout"), 1);
    assert_int_equal(third_host_frames, 0);
}

/* Reassembly counts the buffers fragments hold, not their payload: 8 datagrams of 63 tiny
 * fragments (8 bytes each, none the first, so none completes) held 504 pool buffers of the
 * 300 while reass.bytes saw 4 KiB, and nothing else could be received or sent for 15 s. */
static void test_tiny_fragments_do_not_drain_the_pool(void **state)
{
    (void)state;
    struct harness_opts o = {.pool_buffers = 300};
    struct harness *h = new_harness(&o);
    introduce_third_host(h);
    for (uint16_t id = 1; id <= IP4_REASS_MAX_DATAGRAMS; id++) {
        for (uint16_t k = 1; k < IP4_REASS_MAX_FRAGS; k++) {
            uint8_t f[64] = {0};
            size_t e = frame_eth(f, mac_b, 0x0800);
            frame_ip4(f + e, THIRD_IP, IP_B, IP4_PROTO_UDP, 20 + 8, id, (uint16_t)(k * 8), 1);
            harness_inject(h, SIDE_B, f, e + 20 + 8);
        }
        harness_run(h, NSEC_PER_MSEC);
    }
    assert_true(inet_stat(harness_b(h), "reass.memory_limit") > 0);
    assert_true(h->pool.in_use <= 300 / 4 + 8);
    assert_int_equal(icmp_send_echo(harness_a(h), IP_B, 7, 1, NULL, 56), 0);
    harness_run(h, 20 * NSEC_PER_MSEC);
    assert_int_equal(replies.count, 1);
    harness_run(h, IP4_REASS_TIMEOUT_NS + NSEC_PER_SEC);
    assert_int_equal(h->pool.in_use, 0);
    assert_int_equal(harness_destroy(h), 0);
    free(h);
}

static void test_too_many_fragments_drop_datagram(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    size_t n = build_fragments(frags, frag_lens, 600, 8, 0x5555); /* 76 pieces */
    assert_true(n > IP4_REASS_MAX_FRAGS);
    for (size_t i = 0; i < n; i++)
        harness_inject(h, SIDE_B, frags[i], frag_lens[i]);
    harness_run(h, 5 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass.too_many_frags"), 1);
    assert_int_equal(inet_stat(harness_b(h), "reass.reassembled"), 0);
}

static void test_too_many_datagrams_evicts_oldest(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    for (uint16_t id = 0; id < IP4_REASS_MAX_DATAGRAMS + 2; id++) {
        build_fragments(frags, frag_lens, 2000, 1000, (uint16_t)(0x6000 + id));
        harness_inject(h, SIDE_B, frags[0], frag_lens[0]);
        harness_run(h, NSEC_PER_MSEC);
    }
    assert_int_equal(inet_stat(harness_b(h), "reass.too_many_datagrams"), 2);
    /* The newest one still completes. */
    build_fragments(frags, frag_lens, 2000, 1000, 0x6000 + IP4_REASS_MAX_DATAGRAMS + 1);
    harness_inject(h, SIDE_B, frags[1], frag_lens[1]);
    harness_inject(h, SIDE_B, frags[2], frag_lens[2]);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass.reassembled"), 1);
}

static void test_misaligned_middle_fragment_rejected(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    uint8_t f[1600];
    size_t e = frame_eth(f, mac_b, 0x0800);
    frame_ip4(f + e, THIRD_IP, IP_B, 1, 20 + 13, 0x7777, 0, 1); /* MF with 13 bytes */
    harness_inject(h, SIDE_B, f, e + 33);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "reass.bad_fragment"), 1);
}

/* A valid ping frame from the third host, to be damaged by each test. */
static size_t ping_frame(uint8_t *f, uint32_t dst)
{
    size_t e = frame_eth(f, mac_b, 0x0800);
    size_t icmp = frame_icmp_echo(f + e + 20, 1, 1, 32);
    frame_ip4(f + e, THIRD_IP, dst, 1, (uint16_t)(20 + icmp), 1, 0, 0);
    return e + 20 + icmp;
}

static void test_bad_ip_checksum_counted(void **state)
{
    struct harness *h = *state;
    uint8_t f[128];
    size_t n = ping_frame(f, IP_B);
    f[14 + 10] ^= 0x40;
    harness_inject(h, SIDE_B, f, n);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_bad_checksum"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.rx"), 0);
}

static void test_bad_icmp_checksum_counted(void **state)
{
    struct harness *h = *state;
    uint8_t f[128];
    size_t n = ping_frame(f, IP_B);
    f[n - 1] ^= 0xff;
    harness_inject(h, SIDE_B, f, n);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp.rx_bad_checksum"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_echo_replies"), 0);
}

/* RFC 9293 MUST-55 (RFC 6633): a source quench is counted and dropped silently: nothing is sent
 * back and nothing reaches a transport. */
static void test_source_quench_discarded(void **state)
{
    struct harness *h = *state;
    uint8_t f[128];
    size_t n = ping_frame(f, IP_B);
    uint8_t *icmp = f + 14 + 20;
    icmp[0] = 4; /* source quench; its body would quote one of our datagrams */
    wr16(icmp + 2, 0);
    wr16(icmp + 2, ip_checksum(icmp, n - 14 - 20));
    int64_t tx = inet_stat(harness_b(h), "ip4.tx");
    harness_inject(h, SIDE_B, f, n);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp.rx"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.rx_other"), 1);
    assert_int_equal(inet_stat(harness_b(h), "ip4.tx"), tx);
}

static void test_bogus_lengths_counted(void **state)
{
    struct harness *h = *state;
    uint8_t f[128];
    size_t n = ping_frame(f, IP_B);
    harness_inject(h, SIDE_B, f, 14 + 12); /* shorter than an IP header */
    uint8_t g[128];
    memcpy(g, f, n);
    frame_ip4(g + 14, THIRD_IP, IP_B, 1, 1400, 1, 0, 0); /* total length beyond the frame */
    harness_inject(h, SIDE_B, g, n);
    memcpy(g, f, n);
    g[14] = 0x43; /* header length 12 */
    harness_inject(h, SIDE_B, g, n);
    memcpy(g, f, n);
    g[14] = 0x65; /* version 6 */
    harness_inject(h, SIDE_B, g, n);
    harness_inject(h, SIDE_B, f, 10); /* runt Ethernet */
    memcpy(g, f, n);
    g[14 + 6] |= 0x80; /* the reserved flag: its own counter, not a bad length */
    wr16(g + 14 + 10, 0);
    wr16(g + 14 + 10, ip_checksum(g + 14, 20));
    harness_inject(h, SIDE_B, g, n);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_truncated"), 2);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_bad_length"), 1);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_reserved_flag"), 1);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_bad_version"), 1);
    assert_int_equal(inet_stat(harness_b(h), "eth.rx_truncated"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.rx"), 0);
}

static void test_ip_options_are_skipped(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    uint8_t f[128];
    size_t e = frame_eth(f, mac_b, 0x0800);
    size_t icmp = frame_icmp_echo(f + e + 24, 1, 1, 32);
    frame_ip4(f + e, THIRD_IP, IP_B, 1, (uint16_t)(24 + icmp), 1, 0, 0);
    f[e] = 0x46;
    memcpy(f + e + 20, (uint8_t[]){1, 1, 1, 0}, 4); /* NOP NOP NOP EOL */
    wr16(f + e + 10, 0);
    wr16(f + e + 10, ip_checksum(f + e, 24));
    harness_inject(h, SIDE_B, f, e + 24 + icmp);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_echo_replies"), 1);
    assert_int_equal(third_host_frames, 1);
}

/* A ping to B with a source route option (LSRR 131 / SSRR 137, 7 bytes, one hop) then EOL;
 * (pointer) 4 leaves the hop to go (B is only on the way), 8 says the route is done. */
static size_t routed_ping(uint8_t *f, uint8_t type, uint8_t pointer)
{
    size_t e = frame_eth(f, mac_b, 0x0800);
    size_t icmp = frame_icmp_echo(f + e + 28, 1, 1, 32);
    frame_ip4(f + e, THIRD_IP, IP_B, 1, (uint16_t)(28 + icmp), 1, 0, 0);
    f[e] = 0x47;
    memcpy(f + e + 20, (uint8_t[]){type, 7, pointer, 10, 0, 0, 77, 0}, 8);
    wr16(f + e + 10, 0);
    wr16(f + e + 10, ip_checksum(f + e, 28));
    return e + 28 + icmp;
}

/* RFC 1122 3.3.5 (SHOULD): a host that does not forward source-routed datagrams discards one
 * whose route is not finished, with Dest Unreachable code 5 (RFC 7126 4.3, 4.4: drop LSRR and
 * SSRR); it was taken as addressed to B and answered. A finished route is B's to take. */
static void test_unfinished_source_route_dropped(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    uint8_t f[160];
    harness_inject(h, SIDE_B, f, routed_ping(f, 131, 4));
    harness_inject(h, SIDE_B, f, routed_ping(f, 137, 4));
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_echo_replies"), 0);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_source_route"), 2);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), 2);
    assert_int_equal(third_host_last[14 + 20], ICMP_DEST_UNREACH);
    assert_int_equal(third_host_last[14 + 21], 5);
    harness_inject(h, SIDE_B, f, routed_ping(f, 131, 8));
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_echo_replies"), 1);
}

static void test_not_for_us_and_broadcast_ping_ignored(void **state)
{
    struct harness *h = *state;
    uint8_t f[128];
    size_t n = ping_frame(f, 0x0a000042);
    harness_inject(h, SIDE_B, f, n);
    n = ping_frame(f, 0x0a0000ff);
    harness_inject(h, SIDE_B, f, n);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_not_for_us"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.rx_echo_requests"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_echo_replies"), 0);
}

static void test_closed_udp_port_unreachable_rate_limited(void **state)
{
    struct harness *h = *state;
    introduce_third_host(h);
    uint8_t f[128];
    size_t e = frame_eth(f, mac_b, 0x0800);
    memset(f + e + 20, 0, 12);
    wr16(f + e + 20, 1234);
    wr16(f + e + 22, 9999);
    wr16(f + e + 24, 12);
    frame_ip4(f + e, THIRD_IP, IP_B, 17, 32, 1, 0, 0);
    for (int i = 0; i < 200; i++)
        harness_inject(h, SIDE_B, f, e + 32);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), ICMP_RATE_BURST);
    assert_int_equal(inet_stat(harness_b(h), "icmp.rate_limited"), 200 - ICMP_RATE_BURST);
    harness_run(h, NSEC_PER_SEC); /* tokens come back */
    harness_inject(h, SIDE_B, f, e + 32);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), ICMP_RATE_BURST + 1);
}

static void test_routes_through_gateway(void **state)
{
    struct harness *h = *state;
    inet_set_addr(harness_a(h), IP_A, 24, IP_B); /* B is A's gateway */
    icmp_send_echo(harness_a(h), 0xc0a80101, 1, 1, NULL, 16);
    harness_run(h, 5 * NSEC_PER_MSEC);
    /* The packet went to B's MAC (B is not a router, so it drops it as not for it). */
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_not_for_us"), 1);
    inet_set_addr(harness_a(h), IP_A, 24, 0);
    assert_int_equal(icmp_send_echo(harness_a(h), 0xc0a80101, 1, 1, NULL, 16), -EHOSTUNREACH);
    assert_int_equal(inet_stat(harness_a(h), "ip4.tx_no_route"), 1);
}

/* RFC 1122 3.2.1.3: {0, host} and {127, any} never leave the host. Sending to them is refused
 * (tx_bad_dst), not handed to the gateway; an echo request from 0.0.0.9 is not answered (it
 * would go to 0.0.0.9 through the gateway); one from 0.0.0.0 (a host still configuring) is
 * taken, but its answer cannot be sent. */
static void test_this_network_and_loopback_stay_in(void **state)
{
    struct harness *h = *state;
    inet_set_addr(harness_a(h), IP_A, 24, IP_B); /* B is A's gateway */
    inet_set_addr(harness_b(h), IP_B, 24, IP_A); /* and A is B's */
    const uint32_t never[] = {0x7f000001, 0x7fffffff, 0x00000009, 0x00ffffff, 0};
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        assert_int_equal(icmp_send_echo(harness_a(h), never[i], 1, 1, NULL, 16), -ENETUNREACH);
    assert_int_equal(inet_stat(harness_a(h), "ip4.tx_bad_dst"), 5);
    harness_run(h, 5 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx"), 0);

    uint8_t f[128];
    size_t n = ping_frame(f, IP_B);
    frame_ip4(f + 14, 0x00000009, IP_B, 1, (uint16_t)(n - 14), 1, 0, 0);
    harness_inject(h, SIDE_B, f, n);
    harness_run(h, 5 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_bad_source"), 1);
    frame_ip4(f + 14, 0, IP_B, 1, (uint16_t)(n - 14), 1, 0, 0);
    harness_inject(h, SIDE_B, f, n);
    harness_run(h, 5 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_echo_replies"), 0);
    assert_int_equal(inet_stat(harness_b(h), "ip4.tx_bad_dst"), 1);
    assert_int_equal(inet_stat(harness_a(h), "ip4.rx"), 0); /* nothing reached the gateway */
}

/* RFC 3021: a /31 has no subnet broadcast; both addresses are hosts. 10.0.0.0 and 10.0.0.1
 * each took the other's (or its own) address for the broadcast: no ping either way. */
static void test_point_to_point_31(void **state)
{
    (void)state;
    struct harness_opts o = {.addr_a = 0x0a000000, .addr_b = 0x0a000001, .prefix_len = 31};
    struct harness *h = new_harness(&o);
    assert_int_equal(icmp_send_echo(harness_a(h), 0x0a000001, 7, 1, NULL, 56), 0);
    harness_run(h, 20 * NSEC_PER_MSEC);
    assert_int_equal(replies.count, 1);
    assert_false(ip4_is_broadcast(harness_a(h), 0x0a000000));
    assert_false(ip4_is_broadcast(harness_a(h), 0x0a000001));
    assert_true(ip4_is_broadcast(harness_a(h), 0xffffffff));
    assert_int_equal(harness_destroy(h), 0);
    free(h);
}

static void test_pool_exhaustion_drops_without_crash(void **state)
{
    (void)state;
    struct harness_opts o = {.pool_buffers = 12};
    struct harness *h = new_harness(&o);
    icmp_send_echo(harness_a(h), IP_B, 1, 0, NULL, 8); /* resolve ARP first */
    harness_run(h, 5 * NSEC_PER_MSEC);
    for (int i = 0; i < 50; i++) /* all in flight on the wire at once: the pool runs dry */
        icmp_send_echo(harness_a(h), IP_B, 1, (uint16_t)i, NULL, 1200);
    harness_run(h, 50 * NSEC_PER_MSEC);
    assert_true(h->pool.stats.exhausted > 0);
    assert_true(replies.count > 0 && replies.count < 50);
    icmp_send_echo(harness_a(h), IP_B, 1, 99, NULL, 100); /* still works afterwards */
    harness_run(h, 50 * NSEC_PER_MSEC);
    assert_int_equal(replies.last_seq, 99);
    assert_int_equal(harness_destroy(h), 0);
    free(h);
}

/* icmp_send_echo at its size boundaries: the largest echo that fits an IPv4 datagram goes and
 * comes back; one byte more, and lengths whose header sum wraps, are refused before anything
 * is allocated or written (a wrapped sum once gave a pool buffer and a write past its end). */
static void test_echo_size_boundaries(void **state)
{
    struct harness *h = *state;
    const size_t most = 65535 - IP4_HDR_LEN - ICMP_HDR_LEN;
    const size_t too_big[] = {most + 1, SIZE_MAX - ICMP_HDR_LEN + 1, SIZE_MAX - 1, SIZE_MAX};
    for (size_t i = 0; i < sizeof(too_big) / sizeof(too_big[0]); i++)
        assert_int_equal(icmp_send_echo(harness_a(h), IP_B, 5, (uint16_t)i, NULL, too_big[i]),
                         -EMSGSIZE);
    assert_int_equal(harness_a(h)->icmp.stats.tx_too_big, 4);
    assert_int_equal(harness_in_flight(h), 0);
    assert_int_equal(icmp_send_echo(harness_a(h), IP_B, 5, 9, NULL, 0), 0);
    harness_run(h, 10 * NSEC_PER_MSEC); /* B's MAC, so the 45 fragments are not held for ARP */
    assert_int_equal(icmp_send_echo(harness_a(h), IP_B, 5, 10, NULL, most), 0);
    harness_run(h, 50 * NSEC_PER_MSEC);
    assert_int_equal(replies.last_len, most);
    assert_int_equal(replies.count, 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_ping_round_trip),
        T(test_ping_8000_fragments_both_ways),
        cmocka_unit_test(test_ping_with_small_mtu),
        cmocka_unit_test(test_ping_fragments_on_jumbo_link),
        T(test_reassembles_out_of_order),
        T(test_overlapping_fragments_drop_datagram),
        T(test_duplicate_fragment_ignored),
        T(test_incomplete_datagram_times_out),
        T(test_timeout_without_first_fragment_is_silent),
        T(test_reassembled_keeps_l2_group),
        cmocka_unit_test(test_tiny_fragments_do_not_drain_the_pool),
        T(test_too_many_fragments_drop_datagram),
        T(test_too_many_datagrams_evicts_oldest),
        T(test_misaligned_middle_fragment_rejected),
        T(test_bad_ip_checksum_counted),
        T(test_bad_icmp_checksum_counted),
        T(test_bogus_lengths_counted),
        T(test_source_quench_discarded),
        T(test_ip_options_are_skipped),
        T(test_unfinished_source_route_dropped),
        T(test_not_for_us_and_broadcast_ping_ignored),
        T(test_closed_udp_port_unreachable_rate_limited),
        T(test_routes_through_gateway),
        T(test_this_network_and_loopback_stay_in),
        cmocka_unit_test(test_pool_exhaustion_drops_without_crash),
        cmocka_unit_test(test_point_to_point_31),
        T(test_echo_size_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
