/* UDP over IPv6 on the two-stack wire (A fd00::1, B fd00::2): both ways, one port for both
 * families, the IPv6 pseudo-header checksum checked (a bad or a zero one dropped and counted),
 * ICMPv6 port unreachable for a closed port (never for a multicast destination), a datagram
 * larger than the MTU fragmented and reassembled, the source address of a reply, no leaks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "unic/ip6.h"
#include "unic/ip6_stack.h"
#include "unic/udp.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/eth.h"
#include "unic/wire/udp.h"

struct rx_log {
    unsigned count;
    struct udp_meta meta;
    uint8_t data[9000];
    size_t len;
};

static void on_recv(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                    size_t len)
{
    struct rx_log *log = udp_sock_user(sock);
    log->count++;
    log->meta = *meta;
    log->len = len;
    memcpy(log->data, data, len < sizeof(log->data) ? len : sizeof(log->data));
}

static struct unic_addr fd00(uint8_t last)
{
    struct unic_addr a = {{0xfd, 0}};
    a.bytes[15] = last;
    return a;
}

static int setup(void **state)
{
    struct harness *h = malloc(sizeof(*h));
    harness_init(h, NULL);
    for (int s = 0; s < 2; s++) {
        ip6_start(&h->stack[s], false);
        assert_int_equal(ip6_addr_add(&h->stack[s], fd00((uint8_t)(s + 1)), 64, IP6_ORIGIN_STATIC,
                                      TIMER_NEVER, TIMER_NEVER),
                         0);
    }
    harness_run(h, 5 * NSEC_PER_SEC); /* duplicate address detection */
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

/* B sends to A over IPv6 and A answers the source it saw; the port takes IPv4 too. */
static void test_udp6_both_ways_and_both_families(void **state)
{
    struct harness *h = *state;
    struct rx_log la = {0}, lb = {0};
    struct udp_sock *a = udp_bind(harness_a(h), 7, on_recv, &la, NULL);
    struct udp_sock *b = udp_bind(harness_b(h), 0, on_recv, &lb, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(udp_sendto(b, fd00(1), 7, "hello6", 6), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(la.count, 1);
    assert_memory_equal(la.data, "hello6", 6);
    assert_true(unic_addr_equal(la.meta.src, fd00(2)));
    assert_true(unic_addr_equal(la.meta.dst, fd00(1)));
    assert_int_equal(la.meta.sport, udp_sock_port(b));
    assert_int_equal(udp_sendto(a, la.meta.src, la.meta.sport, "back", 4), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 1);
    assert_memory_equal(lb.data, "back", 4);
    assert_true(unic_addr_equal(lb.meta.src, fd00(1)));
    assert_int_equal(udp_sendto(b, unic_addr_ip4(0x0a000001), 7, "v4", 2), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(la.count, 2);
    assert_true(unic_addr_is_ip4(la.meta.src));
    /* A zero-copy answer from the address asked at. */
    struct netbuf *nb = udp_alloc(a, 3);
    memcpy(netbuf_put(nb, 3), "zc6", 3);
    assert_int_equal(udp_send_buf_from(a, fd00(1), fd00(2), udp_sock_port(b), nb), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(lb.count, 2);
    assert_memory_equal(lb.data, "zc6", 3);
    /* Families must agree. */
    assert_int_equal(udp_sendto_from(a, unic_addr_ip4(0x0a000001), fd00(2), 9, "x", 1), -EINVAL);
    udp_close(a);
    udp_close(b);
}

/* A datagram of 4000 bytes goes in fragments and arrives whole. */
static void test_udp6_fragmented(void **state)
{
    struct harness *h = *state;
    struct rx_log la = {0};
    struct udp_sock *a = udp_bind(harness_a(h), 7, on_recv, &la, NULL);
    struct udp_sock *b = udp_bind(harness_b(h), 0, NULL, NULL, NULL);
    uint8_t big[4000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + 1);
    assert_int_equal(udp_sendto(b, fd00(1), 7, big, sizeof(big)), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(la.count, 1);
    assert_int_equal(la.len, sizeof(big));
    assert_memory_equal(la.data, big, sizeof(big));
    udp_close(a);
    udp_close(b);
}

/* udp_set_ttl / udp_set_dscp over IPv6: the hop limit and the traffic class (RFC 1122 4.1.4). */
static uint8_t last_ip6[40];
static bool keep_b_ip6(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    if (from == SIDE_B && nb->len >= 14 + 40 + 8 && rd16(nb->data + 12) == ETH_TYPE_IP6 &&
        nb->data[14 + 6] == 17)
        memcpy(last_ip6, nb->data + 14, 40);
    return true;
}

static void test_udp6_hop_limit_and_dscp(void **state)
{
    struct harness *h = *state;
    struct rx_log la = {0};
    struct udp_sock *a = udp_bind(harness_a(h), 7, on_recv, &la, NULL);
    struct udp_sock *b = udp_bind(harness_b(h), 0, NULL, NULL, NULL);
    udp_set_ttl(b, 9);
    udp_set_dscp(b, 10); /* AF11 */
    h->tap = keep_b_ip6;
    assert_int_equal(udp_sendto(b, fd00(1), 7, "x", 1), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    h->tap = NULL;
    assert_int_equal(la.count, 1);
    assert_int_equal(last_ip6[7], 9);
    assert_int_equal(((last_ip6[0] & 0x0f) << 4) | (last_ip6[1] >> 4), 10 << 2);
    udp_close(a);
    udp_close(b);
}

/* A raw UDP/IPv6 datagram from B (fd00::2) to (dst) port (dport), checksum as told. */
static const uint8_t *inject_mac; /* the frame's destination when set: a link-layer group */

static void inject_udp6(struct harness *h, struct unic_addr dst, uint16_t dport, int checksum)
{
    uint8_t f[14 + 40 + 8 + 4] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
    if (inject_mac)
        memcpy(f, inject_mac, 6);
    else if (dst.bytes[0] == 0xff) { /* multicast: 33:33 + the low 32 bits */
        f[0] = 0x33, f[1] = 0x33;
        memcpy(f + 2, dst.bytes + 12, 4);
    }
    wr16(f + 12, ETH_TYPE_IP6);
    uint8_t *ip = f + 14, *u = ip + 40;
    ip[0] = 0x60;
    wr16(ip + 4, 12);
    ip[6] = 17;
    ip[7] = 64;
    struct unic_addr src = fd00(2);
    memcpy(ip + 8, src.bytes, 16);
    memcpy(ip + 24, dst.bytes, 16);
    memcpy(u + 8, "ping", 4);
    struct udp_hdr uh = {.sport = 5555, .dport = dport};
    udp_emit_sum(u, 12, &uh, csum_pseudo_ip6(src.bytes, dst.bytes, 17, 0), 4);
    if (checksum == 0)
        wr16(u + 6, 0);
    else if (checksum < 0)
        u[6] ^= 0x10;
    harness_inject(h, SIDE_A, f, sizeof(f));
}

/* Bad and zero checksums are dropped and counted; a good one is delivered. */
static void test_udp6_checksums(void **state)
{
    struct harness *h = *state;
    struct rx_log la = {0};
    struct udp_sock *a = udp_bind(harness_a(h), 7, on_recv, &la, NULL);
    inject_udp6(h, fd00(1), 7, -1);
    inject_udp6(h, fd00(1), 7, 0); /* RFC 8200 8.1: not optional over IPv6 */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(la.count, 0);
    assert_int_equal(udp_stat(harness_a(h), "rx_bad_checksum"), 2);
    inject_udp6(h, fd00(1), 7, 1);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(la.count, 1);
    assert_memory_equal(la.data, "ping", 4);
    udp_close(a);
}

/* Counts ICMPv6 destination unreachable (port) frames A sends. */
static unsigned unreach_seen;
static bool tap_unreach(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    const uint8_t *ip = nb->data + 14;
    if (from == SIDE_A && nb->len >= 14 + 40 + 8 && rd16(nb->data + 12) == ETH_TYPE_IP6 &&
        ip[6] == 58 && ip[40] == 1 && ip[41] == 4)
        unreach_seen++;
    return true;
}

/* A closed port answers ICMPv6 port unreachable; a datagram to a multicast group does not. */
static void test_udp6_closed_port(void **state)
{
    struct harness *h = *state;
    struct udp_sock *other = udp_bind(harness_a(h), 7, NULL, NULL, NULL); /* UDP attached */
    unreach_seen = 0;
    h->tap = tap_unreach;
    inject_udp6(h, fd00(1), 4444, 1);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(udp_stat(harness_a(h), "rx_no_port"), 1);
    assert_int_equal(unreach_seen, 1);
    struct unic_addr all_nodes = {{0xff, 0x02, [15] = 1}};
    inject_udp6(h, all_nodes, 4444, 1);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(udp_stat(harness_a(h), "rx_no_port"), 2);
    assert_int_equal(unreach_seen, 1);
    assert_int_equal(inet_stat(harness_a(h), "icmp6.tx_unreachable"), 1);
    /* RFC 4443 2.4 (e.4, e.5): to our unicast address but as a link-layer broadcast or
     * multicast frame: no error either. */
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
    inject_mac = bcast;
    inject_udp6(h, fd00(1), 4444, 1);
    inject_mac = all_nodes_mac;
    inject_udp6(h, fd00(1), 4444, 1);
    inject_mac = NULL;
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(udp_stat(harness_a(h), "rx_no_port"), 4);
    assert_int_equal(unreach_seen, 1);
    assert_int_equal(inet_stat(harness_a(h), "icmp6.tx_unreachable"), 1);
    h->tap = NULL;
    udp_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_udp6_both_ways_and_both_families, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp6_fragmented, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp6_hop_limit_and_dscp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp6_checksums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp6_closed_port, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
