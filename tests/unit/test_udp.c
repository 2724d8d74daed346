/* UDP: wire parse/emit, send/receive both ways over the virtual wire, closed ports, checksums,
 * ephemeral ports, broadcast, zero-copy send, fragmented datagrams, no leaks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frames.h"
#include "harness.h"
#include "unic/udp.h"
#include "unic/wire/ip4.h"
#include "unic/wire/udp.h"
#include "unic/wire/wire.h"

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u
#define MAC_B 0x02, 0, 0, 0, 0, 0x02

/* What a receive callback saw. */
struct rx_log {
    unsigned count;
    struct udp_meta meta;
    uint8_t data[8192];
    size_t len;
    bool close_self;
};

static void on_recv(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                    size_t len)
{
    struct rx_log *log = udp_sock_user(sock);
    log->count++;
    log->meta = *meta;
    log->len = len;
    memcpy(log->data, data, len < sizeof(log->data) ? len : sizeof(log->data));
    if (log->close_self)
        udp_close(sock);
}

static int setup(void **state)
{
    struct harness *h = malloc(sizeof(*h));
    harness_init(h, NULL);
    harness_run(h, NSEC_PER_MSEC); /* gratuitous ARPs */
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

/* ---- wire ---- */

static void test_wire_known_vector(void **state)
{
    (void)state;
    uint8_t p[UDP_HDR_LEN + 5];
    memcpy(p + UDP_HDR_LEN, "hello", 5);
    struct udp_hdr h = {.sport = 1234, .dport = 53};
    assert_int_equal(udp_emit(p, sizeof(p), &h, ADDR_A, ADDR_B, 5), UDP_HDR_LEN);
    /* Checksum computed independently (Python, RFC 1071) for this datagram. */
    assert_int_equal(rd16(p + 6), 0xa2f8);
    assert_int_equal(rd16(p + 4), 13);
    struct udp_hdr out;
    assert_int_equal(udp_parse(p, sizeof(p), ADDR_A, ADDR_B, &out), WIRE_OK);
    assert_int_equal(out.sport, 1234);
    assert_int_equal(out.dport, 53);
    assert_int_equal(out.len, 13);
    /* The pseudo header is covered: another destination does not verify. */
    assert_int_equal(udp_parse(p, sizeof(p), ADDR_A, ADDR_B + 1, &out), WIRE_ECHECKSUM);
    p[UDP_HDR_LEN] ^= 1;
    assert_int_equal(udp_parse(p, sizeof(p), ADDR_A, ADDR_B, &out), WIRE_ECHECKSUM);
    wr16(p + 6, 0); /* no checksum: accepted whatever the payload */
    assert_int_equal(udp_parse(p, sizeof(p), ADDR_A, ADDR_B, &out), WIRE_OK);
}

static void test_wire_lengths(void **state)
{
    (void)state;
    uint8_t p[32] = {0};
    struct udp_hdr out;
    assert_int_equal(udp_parse(p, 7, 0, 0, &out), WIRE_ETRUNCATED);
    wr16(p + 4, 7);
    assert_int_equal(udp_parse(p, 32, 0, 0, &out), WIRE_ELENGTH);
    wr16(p + 4, 33);
    assert_int_equal(udp_parse(p, 32, 0, 0, &out), WIRE_ETRUNCATED);
    wr16(p + 4, 8); /* shorter than the buffer: the rest is link padding */
    assert_int_equal(udp_parse(p, 32, 0, 0, &out), WIRE_OK);
    struct udp_hdr h = {.sport = 1, .dport = 2};
    assert_int_equal(udp_emit(p, 8 + 24, &h, 0, 0, 25), WIRE_ENOSPACE);
    assert_int_equal(udp_emit(p, sizeof(p), &h, 0, 0, 65528), WIRE_ELENGTH);
}

/* A payload whose checksum sums to 0 must go out as 0xffff, never as 0 ("none"). */
static void test_wire_zero_sum_sent_as_ffff(void **state)
{
    (void)state;
    uint8_t p[UDP_HDR_LEN + 2];
    struct udp_hdr h = {.sport = 1, .dport = 2};
    bool found = false;
    for (uint32_t v = 0; v <= 0xffff && !found; v++) {
        wr16(p + UDP_HDR_LEN, (uint16_t)v);
        udp_emit(p, sizeof(p), &h, ADDR_A, ADDR_B, 2);
        assert_int_not_equal(rd16(p + 6), 0);
        found = rd16(p + 6) == 0xffff;
    }
    assert_true(found);
    struct udp_hdr out;
    assert_int_equal(udp_parse(p, sizeof(p), ADDR_A, ADDR_B, &out), WIRE_OK);
}

/* ---- over the wire ---- */

static void test_send_receive_both_ways(void **state)
{
    struct harness *h = *state;
    struct rx_log la = {0}, lb = {0};
    int err;
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, &la, &err);
    struct udp_sock *sb = udp_bind(harness_b(h), 7001, on_recv, &lb, &err);
    assert_non_null(sa);
    assert_non_null(sb);
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "ping", 4), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 1);
    assert_int_equal(lb.len, 4);
    assert_memory_equal(lb.data, "ping", 4);
    assert_true(unic_addr_equal(lb.meta.src, unic_addr_ip4(ADDR_A)));
    assert_true(unic_addr_equal(lb.meta.dst, unic_addr_ip4(ADDR_B)));
    assert_int_equal(lb.meta.sport, 7000);
    assert_int_equal(lb.meta.dport, 7001);
    assert_int_equal(udp_sendto(sb, lb.meta.src, lb.meta.sport, "pong!", 5), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(la.count, 1);
    assert_memory_equal(la.data, "pong!", 5);
    assert_int_equal(la.meta.sport, 7001);
    assert_int_equal(udp_stat(harness_b(h), "rx_delivered"), 1);
    assert_int_equal(udp_stat(harness_a(h), "tx"), 1);
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "", 0),
                     0); /* empty datagrams are valid */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 2);
    assert_int_equal(lb.len, 0);
    udp_close(sa);
    udp_close(sb);
    assert_int_equal(udp_sock_count(harness_a(h)), 0);
}

static void test_closed_port_sends_unreachable(void **state)
{
    struct harness *h = *state;
    struct rx_log la = {0}, lb = {0};
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, &la, NULL);
    struct udp_sock *sb = udp_bind(harness_b(h), 7001, on_recv, &lb, NULL);
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 9999, "x", 1), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 0);
    assert_int_equal(udp_stat(harness_b(h), "rx_no_port"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), 1);
    assert_int_equal(inet_stat(harness_a(h), "icmp.rx_unreachable"), 1);
    /* Closing a port makes it unreachable too. */
    udp_close(sb);
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "x", 1), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 0);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), 2);
    udp_close(sa);
}

static int error_seen, error_err;
static uint16_t error_port;
static struct unic_addr error_peer;
static void on_error(struct udp_sock *sock, struct unic_addr peer, uint16_t peer_port, int err)
{
    (void)sock;
    error_seen++;
    error_err = err;
    error_peer = peer;
    error_port = peer_port;
}

/* RFC 1122 4.1.3.3 (MUST): the port unreachable B answers reaches the socket on A that sent
 * the datagram, with the peer and the error; a socket that did not ask has it counted. */
/* RFC 1122 4.1.3.6 (MUST) and 3.2.1.3: a datagram's source is one of our addresses. Another
 * host's is refused; a broadcast or multicast one (the meta->dst of a datagram that came to
 * a group, which udp.h says to answer from) becomes our unicast address. */
static void test_source_is_ours(void **state)
{
    struct harness *h = *state;
    struct rx_log lb = {0};
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, &(struct rx_log){0}, NULL);
    assert_non_null(udp_bind(harness_b(h), 7001, on_recv, &lb, NULL));
    struct unic_addr b = unic_addr_ip4(ADDR_B);
    assert_int_equal(udp_sendto_from(sa, unic_addr_ip4(0x0a000063), b, 7001, "x", 1),
                     -EADDRNOTAVAIL);
    assert_int_equal(udp_stat(harness_a(h), "tx_bad_source"), 1);
    const uint32_t groups[] = {0xffffffffu, 0x0a0000ffu, 0xe0000001u};
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        assert_int_equal(udp_sendto_from(sa, unic_addr_ip4(groups[i]), b, 7001, "x", 1), 0);
        harness_run(h, NSEC_PER_MSEC);
        assert_int_equal(lb.count, i + 1);
        assert_true(unic_addr_equal(lb.meta.src, unic_addr_ip4(ADDR_A)));
    }
    assert_int_equal(udp_sendto_from(sa, unic_addr_ip4(ADDR_A), b, 7001, "x", 1), 0);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(lb.count, 4);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_bad_source"), 0);
}

/* RFC 1112 level 1 (RFC 1122 3.3.7): a datagram to an IPv4 group goes on the link to the
 * group's MAC (01:00:5e + the low 23 bits), TTL 1 by default, never to the gateway (it went
 * to the gateway's MAC as if unicast). */
static uint8_t group_frame[64];
static bool keep_group_frame(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    if (from == SIDE_A && nb->len >= 14 + 20 && nb->data[0] == 0x01)
        memcpy(group_frame, nb->data, sizeof(group_frame));
    return true;
}

static void test_multicast_to_the_group_mac(void **state)
{
    struct harness *h = *state;
    inet_set_addr(harness_a(h), ADDR_A, 24, ADDR_B); /* B is A's gateway */
    harness_run(h, 3 * NSEC_PER_SEC);
    struct udp_sock *sa = udp_bind(harness_a(h), 5353, on_recv, &(struct rx_log){0}, NULL);
    memset(group_frame, 0, sizeof(group_frame));
    h->tap = keep_group_frame;
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(0xe00000fbu), 5353, "q", 1), 0);
    harness_run(h, NSEC_PER_MSEC);
    h->tap = NULL;
    const uint8_t mac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
    assert_memory_equal(group_frame, mac, 6);
    const uint8_t *ip = group_frame + 14;
    assert_int_equal(rd32(ip + 16), 0xe00000fbu);
    assert_int_equal(rd32(ip + 12), ADDR_A);
    assert_int_equal(ip[8], 1);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_not_for_us"), 0);
}

/* RFC 1122 4.1.4 (MUST): the application can set TTL and TOS; they had no API. */
static bool keep_a_frame(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    if (from == SIDE_A && nb->len >= 14 + 20 && rd16(nb->data + 12) == 0x0800)
        memcpy(group_frame, nb->data, sizeof(group_frame));
    return true;
}

static void test_ttl_and_dscp_settable(void **state)
{
    struct harness *h = *state;
    struct rx_log lb = {0};
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, &(struct rx_log){0}, NULL);
    assert_non_null(udp_bind(harness_b(h), 7001, on_recv, &lb, NULL));
    h->tap = keep_a_frame;
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "x", 1), 0);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(group_frame[14 + 8], 64);
    assert_int_equal(group_frame[14 + 1], 0);
    udp_set_ttl(sa, 7);
    udp_set_dscp(sa, 46); /* EF */
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "y", 1), 0);
    harness_run(h, NSEC_PER_MSEC);
    h->tap = NULL;
    assert_int_equal(group_frame[14 + 8], 7);
    assert_int_equal(group_frame[14 + 1], 46 << 2);
    assert_int_equal(lb.count, 2);
}

static void test_icmp_error_reaches_the_socket(void **state)
{
    struct harness *h = *state;
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, &(struct rx_log){0}, NULL);
    udp_bind(harness_b(h), 7001, on_recv, &(struct rx_log){0}, NULL); /* attach UDP on B */
    error_seen = 0;
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 9999, "x", 1), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(error_seen, 0);
    assert_int_equal(udp_stat(harness_a(h), "rx_icmp_unclaimed"), 1);
    udp_set_on_error(sa, on_error);
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 9998, "x", 1), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(error_seen, 1);
    assert_int_equal(error_err, -ECONNREFUSED);
    assert_true(unic_addr_equal(error_peer, unic_addr_ip4(ADDR_B)));
    assert_int_equal(error_port, 9998);
    assert_int_equal(udp_stat(harness_a(h), "rx_icmp_errors"), 2);
    assert_int_equal(inet_stat(harness_a(h), "icmp.errors_to_transport"), 2);
}

static void test_broadcast_to_closed_port_is_silent(void **state)
{
    struct harness *h = *state;
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, &(struct rx_log){0}, NULL);
    udp_bind(harness_b(h), 7001, on_recv, &(struct rx_log){0}, NULL); /* attach UDP on B */
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(0xffffffffu), 9999, "x", 1), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(udp_stat(harness_b(h), "rx_no_port"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), 0);
    /* the sockets are freed by harness_destroy (the UDP module's destroy) */
}

/* A UDP datagram (no checksum) from (src) to B's closed port 9999, in a frame to (dst_mac). */
static void inject_udp_to_b(struct harness *h, const uint8_t dst_mac[6], uint32_t src)
{
    uint8_t f[64] = {0};
    size_t n = frame_eth(f, dst_mac, 0x0800);
    n += frame_ip4(f + n, src, ADDR_B, IP4_PROTO_UDP, 20 + 8 + 1, 1, 0, 0);
    wr16(f + n, 7000);
    wr16(f + n + 2, 9999);
    wr16(f + n + 4, 8 + 1);
    wr16(f + n + 6, 0); /* no checksum (RFC 768) */
    f[n + 8] = 'x';
    harness_inject(h, SIDE_B, f, n + 9);
    harness_run(h, NSEC_PER_MSEC);
}

/* The same datagram to the closed port in two fragments, each in a broadcast frame: it was
 * answered (reassembly made a new buffer without the mark; test_ip4 checks the mark now).
 * A unicast datagram in broadcast frames is now dropped before reassembly (RFC 1122 3.3.6). */
static void test_fragmented_broadcast_is_silent(void **state)
{
    struct harness *h = *state;
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    udp_bind(harness_b(h), 7001, on_recv, &(struct rx_log){0}, NULL); /* attach UDP on B */
    for (int part = 0; part < 2; part++) {
        uint8_t f[64] = {0};
        size_t n = frame_eth(f, bcast, 0x0800);
        n += frame_ip4(f + n, THIRD_IP, ADDR_B, IP4_PROTO_UDP, 20 + 16, 0x4242,
                       (uint16_t)(part * 16), part == 0);
        if (part == 0) {
            wr16(f + n, 7000);
            wr16(f + n + 2, 9999);
            wr16(f + n + 4, 8 + 24);
            wr16(f + n + 6, 0); /* no checksum */
        }
        harness_inject(h, SIDE_B, f, n + 16);
        harness_run(h, NSEC_PER_MSEC);
    }
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_l2_broadcast"), 2);
    assert_int_equal(inet_stat(harness_b(h), "reass.reassembled"), 0);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), 0);
}

/* RFC 1122 3.2.2 (MUST NOT): no port unreachable for a datagram that came as a link-layer
 * broadcast (to our unicast IP address), nor for one whose source is no single host
 * (loopback, "this network", class E); a unicast frame from a host gets one. */
static void test_unreachable_only_to_a_host(void **state)
{
    struct harness *h = *state;
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    udp_bind(harness_b(h), 7001, on_recv, &(struct rx_log){0}, NULL); /* attach UDP on B */
    inject_udp_to_b(h, bcast, THIRD_IP);
    inject_udp_to_b(h, mcast, THIRD_IP);
    inject_udp_to_b(h, harness_b(h)->mac, 0x7f000001u);
    inject_udp_to_b(h, harness_b(h)->mac, 0x00000009u);
    inject_udp_to_b(h, harness_b(h)->mac, 0xf0000009u);
    /* The multicast MAC is not one of B's groups, IP drops the unicast datagram in a broadcast
     * frame (RFC 1122 3.3.6) and the loopback and 0/8 sources. */
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_l2_broadcast"), 1);
    assert_int_equal(udp_stat(harness_b(h), "rx_no_port"), 1);
    assert_int_equal(inet_stat(harness_b(h), "ip4.rx_bad_source"), 2);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), 0);
    assert_int_equal(inet_stat(harness_b(h), "icmp.not_answered"), 1);
    inject_udp_to_b(h, harness_b(h)->mac, THIRD_IP);
    assert_int_equal(udp_stat(harness_b(h), "rx_no_port"), 2);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), 1);
}

/* The tap rewrites the UDP checksum field of frames A sends. */
static int tap_checksum_mode; /* 0: leave, 1: corrupt, 2: zero */
static bool tap_checksum(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    size_t off = 14 + 20 + 6;
    if (from == SIDE_A && nb->len > off + 2 && nb->data[14 + 9] == IP4_PROTO_UDP) {
        if (tap_checksum_mode == 1)
            nb->data[off] ^= 0x5a;
        else if (tap_checksum_mode == 2)
            wr16(nb->data + off, 0);
    }
    return true;
}

static void test_bad_checksum_dropped_and_counted(void **state)
{
    struct harness *h = *state;
    struct rx_log lb = {0};
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, &(struct rx_log){0}, NULL);
    udp_bind(harness_b(h), 7001, on_recv, &lb, NULL);
    h->tap = tap_checksum;
    tap_checksum_mode = 1;
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "data", 4), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 0);
    assert_int_equal(udp_stat(harness_b(h), "rx_bad_checksum"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), 0);
    tap_checksum_mode = 2;
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "data", 4), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 1);
    assert_memory_equal(lb.data, "data", 4);
    assert_int_equal(udp_stat(harness_b(h), "rx_zero_checksum"), 1);
    assert_int_equal(udp_stat(harness_b(h), "rx_bad_checksum"), 1);
    h->tap = NULL;
}

/* A frame from a third host with a UDP length field that lies. */
static void inject_udp(struct harness *h, uint16_t udp_len_field, size_t payload)
{
    static const uint8_t mac_b[6] = {MAC_B};
    uint8_t f[128] = {0};
    size_t n = frame_eth(f, mac_b, 0x0800);
    n += frame_ip4(f + n, THIRD_IP, ADDR_B, IP4_PROTO_UDP, (uint16_t)(20 + 8 + payload), 1, 0, 0);
    wr16(f + n, 5555);
    wr16(f + n + 2, 7001);
    wr16(f + n + 4, udp_len_field);
    wr16(f + n + 6, 0);
    harness_inject(h, SIDE_B, f, n + 8 + payload);
}

static void test_bad_lengths_dropped_and_counted(void **state)
{
    struct harness *h = *state;
    struct rx_log lb = {0};
    udp_bind(harness_b(h), 7001, on_recv, &lb, NULL);
    inject_udp(h, 8 + 10 + 1, 10); /* claims one byte more than IP carries */
    inject_udp(h, 7, 10);          /* shorter than its own header */
    inject_udp(h, 8 + 4, 10);      /* shorter than IP's payload: valid, 4 bytes */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(udp_stat(harness_b(h), "rx_truncated"), 1);
    assert_int_equal(udp_stat(harness_b(h), "rx_bad_length"), 1);
    assert_int_equal(lb.count, 1);
    assert_int_equal(lb.len, 4);
    assert_int_equal(udp_stat(harness_b(h), "rx"), 3);
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void test_ephemeral_ports_random_and_unique(void **state)
{
    struct harness *h = *state;
    enum { N = 2000 };
    static struct udp_sock *socks[N];
    static uint16_t ports[N];
    unsigned ascending = 0;
    for (int i = 0; i < N; i++) {
        socks[i] = udp_bind(harness_a(h), 0, on_recv, NULL, NULL);
        assert_non_null(socks[i]);
        ports[i] = udp_sock_port(socks[i]);
        assert_true(ports[i] >= 49152);
        if (i && ports[i] == ports[i - 1] + 1)
            ascending++;
    }
    /* Sequential allocation would make nearly every step +1; random almost none. */
    assert_true(ascending < N / 20);
    uint16_t sorted[N];
    memcpy(sorted, ports, sizeof(sorted));
    qsort(sorted, N, sizeof(sorted[0]), cmp_u16);
    for (int i = 1; i < N; i++)
        assert_int_not_equal(sorted[i], sorted[i - 1]);
    /* Spread over the range: each quarter gets a fair share (expected N/4 = 500). */
    unsigned quarter[4] = {0};
    for (int i = 0; i < N; i++)
        quarter[(ports[i] - 49152) / 4096]++;
    for (int q = 0; q < 4; q++)
        assert_true(quarter[q] > 400 && quarter[q] < 600);
    assert_int_equal(udp_sock_count(harness_a(h)), N);
    for (int i = 0; i < N; i++)
        udp_close(socks[i]);
    assert_int_equal(udp_sock_count(harness_a(h)), 0);
}

static void test_bind_in_use(void **state)
{
    struct harness *h = *state;
    int err = 0;
    struct udp_sock *s1 = udp_bind(harness_a(h), 5353, on_recv, NULL, &err);
    assert_non_null(s1);
    assert_int_equal(err, 0);
    assert_null(udp_bind(harness_a(h), 5353, on_recv, NULL, &err));
    assert_int_equal(err, -EADDRINUSE);
    udp_close(s1);
    struct udp_sock *s2 = udp_bind(harness_a(h), 5353, on_recv, NULL, &err);
    assert_non_null(s2);
    udp_close(s2);
}

static void test_send_only_socket_drops_input(void **state)
{
    struct harness *h = *state;
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, &(struct rx_log){0}, NULL);
    struct udp_sock *sb = udp_bind(harness_b(h), 7002, NULL, NULL, NULL);
    assert_non_null(sb);
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7002, "x", 1), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(udp_stat(harness_b(h), "rx_unread"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp.tx_unreachable"), 0); /* the port is open */
    udp_close(sa);
    udp_close(sb);
}

static void test_zero_copy_send(void **state)
{
    struct harness *h = *state;
    struct rx_log lb = {0};
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, NULL, NULL);
    udp_bind(harness_b(h), 7001, on_recv, &lb, NULL);
    struct netbuf *nb = udp_alloc(sa, 100);
    assert_non_null(nb);
    uint8_t *p = netbuf_put(nb, 100);
    for (int i = 0; i < 100; i++)
        p[i] = (uint8_t)(i * 3);
    assert_int_equal(udp_send_buf(sa, unic_addr_ip4(ADDR_B), 7001, nb), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 1);
    assert_int_equal(lb.len, 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(lb.data[i], (uint8_t)(i * 3));
    udp_close(sa);
}

/* udp_alloc and udp_sendto at every size boundary: a pool buffer, the border to a large one,
 * the largest datagram; one byte more and sizes whose headroom sum wraps get NULL / -EMSGSIZE,
 * counted. Every buffer handed out is written in full (ASan checks its room). */
static void test_alloc_and_send_size_boundaries(void **state)
{
    struct harness *h = *state;
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, NULL, NULL, NULL);
    const size_t served[] = {0, 1, NETBUF_POOL_BUF_SIZE - NETBUF_HEADROOM,
                             NETBUF_POOL_BUF_SIZE - NETBUF_HEADROOM + 1, UDP_MAX_PAYLOAD};
    for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
        struct netbuf *nb = udp_alloc(sa, served[i]);
        assert_non_null(nb);
        assert_true(netbuf_tailroom(nb) >= served[i]);
        assert_true(netbuf_headroom(nb) >= 14 + IP4_HDR_LEN + UDP_HDR_LEN);
        memset(netbuf_put(nb, served[i]), 0x5a, served[i]);
        netbuf_free(nb);
    }
    const size_t refused[] = {UDP_MAX_PAYLOAD + 1, NETBUF_MAX_SIZE, SIZE_MAX - NETBUF_HEADROOM + 1,
                              SIZE_MAX};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_null(udp_alloc(sa, refused[i]));
        assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "", refused[i]), -EMSGSIZE);
    }
    assert_int_equal(udp_stat(harness_a(h), "tx_too_big"), 8);
    static uint8_t big[UDP_MAX_PAYLOAD];
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, big, 1),
                     0); /* B's MAC, for the 45 fragments */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, big, UDP_MAX_PAYLOAD), 0);
    harness_run(h, 50 * NSEC_PER_MSEC);
    udp_close(sa);
}

static void test_large_datagram_fragmented_and_reassembled(void **state)
{
    struct harness *h = *state;
    struct rx_log lb = {0};
    static uint8_t big[6000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i ^ (i >> 8));
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, NULL, NULL);
    udp_bind(harness_b(h), 7001, on_recv, &lb, NULL);
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, big, sizeof(big)), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 1);
    assert_int_equal(lb.len, sizeof(big));
    assert_memory_equal(lb.data, big, sizeof(big));
    assert_true(inet_stat(harness_a(h), "ip4.tx_fragments") >= 5);
    static uint8_t huge[UDP_MAX_PAYLOAD + 1];
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, huge, sizeof(huge)), -EMSGSIZE);
    assert_int_equal(udp_stat(harness_a(h), "tx_too_big"), 1);
}

static void test_broadcast_receive(void **state)
{
    struct harness *h = *state;
    struct rx_log lb = {0};
    struct udp_sock *sa = udp_bind(harness_a(h), 67, on_recv, NULL, NULL);
    udp_bind(harness_b(h), 68, on_recv, &lb, NULL);
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(0xffffffffu), 68, "limited", 7), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 1);
    assert_true(unic_addr_equal(lb.meta.dst, unic_addr_ip4(0xffffffffu)));
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(0x0a0000ffu), 68, "subnet", 6), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 2);
    assert_true(unic_addr_equal(lb.meta.dst, unic_addr_ip4(0x0a0000ffu)));
}

/* Before an address is set (DHCP), B still gets broadcasts and can send from 0.0.0.0. */
static void test_unconfigured_broadcast_both_ways(void **state)
{
    (void)state;
    struct harness hh;
    struct harness_opts o = {.unconfigured_b = true};
    harness_init(&hh, &o);
    struct rx_log la = {0}, lb = {0};
    struct udp_sock *sa = udp_bind(harness_a(&hh), 67, on_recv, &la, NULL);
    struct udp_sock *sb = udp_bind(harness_b(&hh), 68, on_recv, &lb, NULL);
    assert_int_equal(
        udp_sendto_from(sb, unic_addr_ip4(0), unic_addr_ip4(0xffffffffu), 67, "discover", 8), 0);
    harness_run(&hh, 10 * NSEC_PER_MSEC);
    assert_int_equal(la.count, 1);
    assert_true(unic_addr_equal(la.meta.src, unic_addr_ip4(0)));
    assert_true(unic_addr_equal(la.meta.dst, unic_addr_ip4(0xffffffffu)));
    assert_int_equal(udp_sendto(sa, unic_addr_ip4(0xffffffffu), 68, "offer", 5), 0);
    harness_run(&hh, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 1);
    assert_memory_equal(lb.data, "offer", 5);
    assert_int_equal(harness_destroy(&hh), 0);
}

static void test_close_inside_callback(void **state)
{
    struct harness *h = *state;
    struct rx_log lb = {.close_self = true};
    struct udp_sock *sa = udp_bind(harness_a(h), 7000, on_recv, NULL, NULL);
    udp_bind(harness_b(h), 7001, on_recv, &lb, NULL);
    udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "1", 1);
    udp_sendto(sa, unic_addr_ip4(ADDR_B), 7001, "2", 1);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 1); /* the second found the port closed */
    assert_int_equal(udp_sock_count(harness_b(h)), 0);
    assert_int_equal(udp_stat(harness_b(h), "rx_no_port"), 1);
}

static void test_send_without_route_fails(void **state)
{
    (void)state;
    struct harness hh;
    struct harness_opts o = {.unconfigured_b = true};
    harness_init(&hh, &o);
    struct udp_sock *sb = udp_bind(harness_b(&hh), 0, on_recv, NULL, NULL);
    assert_int_equal(udp_sendto(sb, unic_addr_ip4(0x08080808u), 53, "q", 1), -EHOSTUNREACH);
    assert_int_equal(udp_stat(harness_b(&hh), "tx_errors"), 1);
    assert_int_equal(udp_sendto(sb, unic_addr_ip4(0), 53, "q", 1), -EINVAL);
    assert_int_equal(udp_sendto(sb, unic_addr_ip4(ADDR_A), 0, "q", 1), -EINVAL);
    assert_int_equal(harness_destroy(&hh), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_known_vector),
        cmocka_unit_test(test_wire_lengths),
        cmocka_unit_test(test_wire_zero_sum_sent_as_ffff),
        cmocka_unit_test_setup_teardown(test_send_receive_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_port_sends_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_to_closed_port_is_silent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_only_to_a_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragmented_broadcast_is_silent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_is_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multicast_to_the_group_mac, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ttl_and_dscp_settable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icmp_error_reaches_the_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_checksum_dropped_and_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lengths_dropped_and_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ephemeral_ports_random_and_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_only_socket_drops_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_copy_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_and_send_size_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_datagram_fragmented_and_reassembled, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_receive, setup, teardown),
        cmocka_unit_test(test_unconfigured_broadcast_both_ways),
        cmocka_unit_test_setup_teardown(test_close_inside_callback, setup, teardown),
        cmocka_unit_test(test_send_without_route_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
