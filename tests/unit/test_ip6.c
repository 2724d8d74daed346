/* IPv6 over the virtual wire: neighbour discovery (resolution, NUD, bounded queue), duplicate
 * address detection, SLAAC from a crafted router advertisement, path MTU, ICMPv6 errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ip6_test.h"
#include "unic/dns_resolver.h"

static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x02};
static int replies;
static struct unic_addr reply_from;

static void count_reply(struct inet *inet, struct unic_addr src, uint16_t id, uint16_t seq,
                        size_t len, void *arg)
{
    (void)inet, (void)id, (void)seq, (void)len, (void)arg;
    reply_from = src;
    replies++;
}

static void on_resolved(struct inet *inet, const char *name, int status, struct unic_addr addr,
                        uint32_t ttl, void *arg)
{
    (void)inet, (void)name, (void)status, (void)addr, (void)ttl, (void)arg;
}

static int setup(void **state)
{
    struct harness *h = malloc(sizeof(*h));
    harness_init(h, NULL);
    harness_a(h)->ip6.icmp6.on_echo_reply = count_reply;
    replies = 0;
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

static void test_link_local_from_mac_and_dad(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, false));
    struct unic_addr ll;
    assert_true(ip6_link_local(harness_b(h), &ll));
    assert_true(unic_addr_equal(ll, ip6_test_addr("fe80::ff:fe00:2")));
    assert_int_equal(inet_stat(harness_b(h), "ip6.dad_ok"), 1);
    assert_int_equal(inet_stat(harness_b(h), "nd6.tx_ns"), 1);   /* one DAD probe */
    assert_true(inet_stat(harness_b(h), "mld.tx_reports") >= 1); /* solicited-node joined */
    assert_true(ip6_is_local(harness_b(h), ip6_test_addr("ff02::1:ff00:2")));
    assert_false(ip6_is_local(harness_b(h), ip6_test_addr("ff02::1:ff00:3")));
}

static void test_ping_resolves_neighbours(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, true));
    struct unic_addr b = ip6_test_addr("fd00::2");
    for (int i = 0; i < 3; i++) /* queued while resolving, sent in order once resolved */
        assert_int_equal(icmp6_send_echo(harness_a(h), b, 1, (uint16_t)i, 100), 0);
    assert_int_equal(inet_stat(harness_a(h), "nd6.tx_ns"), 2 + 1); /* two DADs + this one */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 3);
    assert_true(unic_addr_equal(reply_from, b));
    const struct nd6_entry *e = nd6_lookup(harness_a(h), b);
    assert_non_null(e);
    assert_int_equal(e->state, ND6_REACHABLE); /* solicited NA */
    assert_memory_equal(e->mac, mac_b, 6);
    e = nd6_lookup(harness_b(h), ip6_test_addr("fd00::1"));
    assert_non_null(e); /* learnt from the NS's source link-layer option */
    /* Link-local too, and the source chosen for it is link-local (RFC 6724 rule 2). */
    assert_int_equal(icmp6_send_echo(harness_a(h), ip6_test_addr("fe80::ff:fe00:2"), 1, 9, 8), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 4);
    struct unic_addr src;
    assert_int_equal(ip6_select_src(harness_a(h), ip6_test_addr("fe80::ff:fe00:2"), &src), 0);
    assert_true(unic_addr_equal(src, ip6_test_addr("fe80::ff:fe00:1")));
    assert_int_equal(ip6_select_src(harness_a(h), b, &src), 0);
    assert_true(unic_addr_equal(src, ip6_test_addr("fd00::1")));
}

static void test_nud_probes_a_stale_neighbour(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, true));
    struct unic_addr b = ip6_test_addr("fd00::2");
    icmp6_send_echo(harness_a(h), b, 1, 1, 8);
    harness_run(h, 10 * NSEC_PER_MSEC);
    harness_run(h, 50 * NSEC_PER_SEC); /* past ReachableTime (at most 45 s) */
    icmp6_send_echo(harness_a(h), b, 1, 2, 8);
    assert_int_equal(nd6_lookup(harness_a(h), b)->state, ND6_DELAY);
    harness_run(h, 6 * NSEC_PER_SEC); /* DELAY_FIRST_PROBE_TIME, then a unicast probe */
    assert_int_equal(inet_stat(harness_a(h), "nd6.to_probe"), 1);
    assert_int_equal(nd6_lookup(harness_a(h), b)->state, ND6_REACHABLE);
    assert_int_equal(replies, 2);
}

/* Every entry incomplete (solicitations nobody answers): a real neighbour still gets one, the
 * oldest incomplete entry giving way; before, its packets were dropped. */
static void test_incomplete_cache_makes_room(void **state)
{
    struct harness *h = *state;
    struct inet *a = harness_a(h);
    assert_true(ip6_test_up(h, true));
    for (int d = 0; d < ND6_CACHE_SIZE; d++) {
        struct unic_addr nobody = ip6_test_addr("fd00::1:0");
        nobody.bytes[15] = (uint8_t)d;
        icmp6_send_echo(a, nobody, 1, (uint16_t)d, 8);
        harness_run(h, NSEC_PER_USEC);
    }
    assert_int_equal(icmp6_send_echo(a, ip6_test_addr("fd00::2"), 1, 200, 8), 0);
    assert_int_equal(inet_stat(a, "nd6.evicted_incomplete"), 1);
    assert_int_equal(inet_stat(a, "nd6.queue_full"), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 1);
    assert_null(nd6_lookup(a, ip6_test_addr("fd00::1:0")));
    harness_run(h, 10 * NSEC_PER_SEC); /* the others give up */
    assert_int_equal(a->ip6.nd.queued_total, 0);
}

static void test_unresolved_queue_is_bounded(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, true));
    struct unic_addr nobody = ip6_test_addr("fd00::99");
    for (int i = 0; i < ND6_QUEUE_PER_ENTRY + 3; i++)
        icmp6_send_echo(harness_a(h), nobody, 1, (uint16_t)i, 8);
    assert_int_equal(inet_stat(harness_a(h), "nd6.queue_full"), 3);
    harness_run(h, 5 * NSEC_PER_SEC);
    assert_int_equal(inet_stat(harness_a(h), "nd6.unresolved"), 1);
    assert_int_equal(inet_stat(harness_a(h), "nd6.queue_dropped"), ND6_QUEUE_PER_ENTRY);
    assert_int_equal(harness_a(h)->ip6.nd.queued_total, 0);
    assert_null(nd6_lookup(harness_a(h), nobody));
    /* 3 multicast solicitations in all (RFC 4861 MAX_MULTICAST_SOLICIT) after the 2 DADs. */
    assert_int_equal(inet_stat(harness_a(h), "nd6.tx_ns"), 2 + 3);
    /* No address unreachable sent to ourselves. */
    assert_int_equal(inet_stat(harness_a(h), "icmp6.tx_unreachable"), 0);
}

static void test_dad_conflict_makes_address_duplicate(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, true));
    /* B claims A's address: A defends it (NA to all nodes), B never uses it. */
    struct unic_addr a = ip6_test_addr("fd00::1");
    assert_int_equal(ip6_addr_add(harness_b(h), a, 64, IP6_ORIGIN_STATIC, TIMER_NEVER, TIMER_NEVER),
                     0);
    harness_run(h, 3 * NSEC_PER_SEC);
    struct ip6_ifaddr *ia = ip6_addr_find(harness_b(h), a);
    assert_non_null(ia);
    assert_int_equal(ia->state, IP6_ADDR_DUPLICATE);
    assert_int_equal(inet_stat(harness_b(h), "ip6.dad_conflicts"), 1);
    assert_false(ip6_is_local(harness_b(h), a));
    assert_int_equal(ip6_addr_find(harness_a(h), a)->state, IP6_ADDR_PREFERRED);
    /* Re-adding a duplicate is refused. */
    assert_int_equal(ip6_addr_add(harness_b(h), a, 64, IP6_ORIGIN_STATIC, TIMER_NEVER, TIMER_NEVER),
                     -EEXIST);
}

static void test_simultaneous_dad_both_lose(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, false));
    struct unic_addr x = ip6_test_addr("fd00::77");
    for (int s = 0; s < 2; s++)
        ip6_addr_add(&h->stack[s], x, 64, IP6_ORIGIN_STATIC, TIMER_NEVER, TIMER_NEVER);
    /* Force both probes into the same instant: each sees the other's NS from ::. */
    for (int s = 0; s < 2; s++)
        ip6_addr_find(&h->stack[s], x)->dad_at = inet_now(&h->stack[s]);
    ip6_addr_timer_rearm(harness_a(h));
    ip6_addr_timer_rearm(harness_b(h));
    harness_run(h, 3 * NSEC_PER_SEC);
    assert_int_equal(ip6_addr_find(harness_a(h), x)->state, IP6_ADDR_DUPLICATE);
    assert_int_equal(ip6_addr_find(harness_b(h), x)->state, IP6_ADDR_DUPLICATE);
}

/* RFC 4862 5.4.5: the link-local address (from the MAC) is a duplicate: IPv6 stops. */
static void test_duplicate_link_local_stops_ip6(void **state)
{
    struct harness *h = *state;
    ip6_start(harness_b(h), true);
    ip6_addr_add(harness_b(h), ip6_test_addr("fd00::2"), 64, IP6_ORIGIN_STATIC, TIMER_NEVER,
                 TIMER_NEVER);
    /* Another node answers for fe80::ff:fe00:2 while B's DAD runs. */
    uint8_t f[128];
    static const uint8_t all_nodes[6] = {0x33, 0x33, 0, 0, 0, 1};
    struct unic_addr src = ip6_test_addr("fe80::9"), dst = ip6_test_addr("ff02::1");
    size_t n = frame_ip6(f, all_nodes, src, dst, 58, 32, 255);
    memset(f + n, 0, 32);
    f[n] = 136;
    f[n + 4] = 0x20; /* override */
    memcpy(f + n + 8, ip6_test_addr("fe80::ff:fe00:2").bytes, 16);
    f[n + 24] = 2, f[n + 25] = 1;
    memcpy(f + n + 26, (uint8_t[6]){THIRD_MAC}, 6);
    frame_icmp6_sum(f + n, 32, src, dst);
    harness_inject(h, SIDE_B, f, n + 32);
    harness_run(h, 3 * NSEC_PER_SEC);
    assert_int_equal(inet_stat(harness_b(h), "ip6.dad_conflicts"), 1);
    assert_false(harness_b(h)->ip6.enabled);
    assert_null(ip6_addr_find(harness_b(h), ip6_test_addr("fd00::2")));
    assert_int_equal(icmp6_send_echo(harness_b(h), ip6_test_addr("fe80::9"), 1, 1, 8),
                     -EADDRNOTAVAIL);
}

/* A router advertisement from the third host fe80::9 to all nodes: prefix fd00:1::/64 (on-link,
 * autonomous), MTU 1400, RDNSS fd00:1::53, router lifetime 1800 s. */
static size_t frame_ra_from(uint8_t *p, const char *from, bool slla, uint32_t valid,
                            uint32_t preferred)
{
    static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
    struct unic_addr src = ip6_test_addr(from), dst = ip6_test_addr("ff02::1");
    size_t body = 16 + 8 + 32 + 8 + 24;
    size_t n = frame_ip6(p, all_nodes_mac, src, dst, 58, (uint16_t)body, 255);
    uint8_t *m = p + n;
    memset(m, 0, body);
    m[0] = 134;
    m[4] = 64;         /* cur hop limit */
    wr16(m + 6, 1800); /* router lifetime */
    uint8_t *o = m + 16;
    if (slla) { /* source link-layer address */
        o[0] = 1, o[1] = 1;
        memcpy(o + 2, (uint8_t[6]){THIRD_MAC}, 6);
    } else { /* an unknown option in its place (type 200), skipped */
        o[0] = 200, o[1] = 1;
    }
    o += 8;
    o[0] = 3, o[1] = 4, o[2] = 64, o[3] = 0xc0; /* prefix information, L and A */
    wr32(o + 4, valid);
    wr32(o + 8, preferred);
    memcpy(o + 16, ip6_test_addr("fd00:1::").bytes, 16);
    o += 32;
    o[0] = 5, o[1] = 1;
    wr32(o + 4, 1400); /* MTU */
    o += 8;
    o[0] = 25, o[1] = 3;
    wr32(o + 4, 600);
    memcpy(o + 8, ip6_test_addr("fd00:1::53").bytes, 16);
    frame_icmp6_sum(m, body, src, dst);
    return n + body;
}

static size_t frame_ra(uint8_t *p, uint32_t valid, uint32_t preferred)
{
    return frame_ra_from(p, "fe80::9", true, valid, preferred);
}

/* RFC 4861 6.3.6: a router whose link-layer address is known is preferred; routers of unknown
 * reachability are taken in turn. */
static void test_default_router_selection(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, false));
    uint8_t f[200];
    struct unic_addr hop, first;
    harness_inject(h, SIDE_B, f, frame_ra_from(f, "fe80::a", false, 3600, 1800));
    harness_inject(h, SIDE_B, f, frame_ra_from(f, "fe80::b", false, 3600, 1800));
    harness_run(h, NSEC_PER_MSEC);
    assert_true(slaac_router(harness_b(h), &first));
    assert_true(slaac_router(harness_b(h), &hop));
    assert_false(unic_addr_equal(first, hop)); /* in turn */
    harness_inject(h, SIDE_B, f, frame_ra_from(f, "fe80::9", true, 3600, 1800));
    harness_run(h, NSEC_PER_MSEC);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ip6_next_hop(harness_b(h), ip6_test_addr("2001:db8::1"), &hop), 0);
        assert_true(unic_addr_equal(hop, ip6_test_addr("fe80::9")));
    }
}

/* A redirect from (from) to B: (dst) goes through (target), whose MAC is THIRD_MAC. */
static size_t frame_redirect(uint8_t *p, const char *from, const char *target, const char *dst)
{
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x02};
    struct unic_addr src = ip6_test_addr(from), to = ip6_test_addr("fe80::ff:fe00:2");
    size_t body = 40 + 8;
    size_t n = frame_ip6(p, mac, src, to, 58, (uint16_t)body, 255);
    uint8_t *m = p + n;
    memset(m, 0, body);
    m[0] = 137;
    memcpy(m + 8, ip6_test_addr(target).bytes, 16);
    memcpy(m + 24, ip6_test_addr(dst).bytes, 16);
    m[40] = 2, m[41] = 1;
    memcpy(m + 42, (uint8_t[6]){THIRD_MAC}, 6);
    frame_icmp6_sum(m, body, src, to);
    return n + body;
}

static void test_redirect_changes_the_first_hop(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, false));
    uint8_t f[200];
    struct unic_addr hop;
    harness_inject(h, SIDE_B, f, frame_ra(f, 3600, 1800)); /* router fe80::9 */
    harness_run(h, NSEC_PER_MSEC);
    /* Not from the current first hop: ignored. */
    harness_inject(h, SIDE_B, f, frame_redirect(f, "fe80::b", "fe80::a", "2001:db8::1"));
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "ip6.rx_redirect_bad"), 1);
    assert_int_equal(ip6_next_hop(harness_b(h), ip6_test_addr("2001:db8::1"), &hop), 0);
    assert_true(unic_addr_equal(hop, ip6_test_addr("fe80::9")));
    /* From the router: 2001:db8::1 via fe80::a, 2001:db8::2 on the link. */
    harness_inject(h, SIDE_B, f, frame_redirect(f, "fe80::9", "fe80::a", "2001:db8::1"));
    harness_inject(h, SIDE_B, f, frame_redirect(f, "fe80::9", "2001:db8::2", "2001:db8::2"));
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(ip6_next_hop(harness_b(h), ip6_test_addr("2001:db8::1"), &hop), 0);
    assert_true(unic_addr_equal(hop, ip6_test_addr("fe80::a")));
    assert_non_null(nd6_lookup(harness_b(h), ip6_test_addr("fe80::a")));
    assert_int_equal(ip6_next_hop(harness_b(h), ip6_test_addr("2001:db8::2"), &hop), 0);
    assert_true(unic_addr_equal(hop, ip6_test_addr("2001:db8::2")));
    harness_run(h, 11 * 60 * NSEC_PER_SEC); /* forgotten after 10 minutes */
    assert_int_equal(ip6_next_hop(harness_b(h), ip6_test_addr("2001:db8::1"), &hop), 0);
    assert_true(unic_addr_equal(hop, ip6_test_addr("fe80::9")));
}

static void test_slaac_from_router_advertisement(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, false));
    uint8_t f[200];
    harness_inject(h, SIDE_B, f, frame_ra(f, 3600, 1800));
    harness_run(h, 3 * NSEC_PER_SEC); /* DAD of the new address */
    struct unic_addr slaac = ip6_test_addr("fd00:1::ff:fe00:2");
    struct ip6_ifaddr *ia = ip6_addr_find(harness_b(h), slaac);
    assert_non_null(ia);
    assert_int_equal(ia->state, IP6_ADDR_PREFERRED);
    assert_int_equal(ia->origin, IP6_ORIGIN_SLAAC);
    assert_int_equal(harness_b(h)->ip6.link_mtu, 1400);
    struct unic_addr hop, dns[2];
    assert_int_equal(ip6_next_hop(harness_b(h), ip6_test_addr("2001:db8::1"), &hop), 0);
    assert_true(unic_addr_equal(hop, ip6_test_addr("fe80::9"))); /* the default router */
    assert_int_equal(ip6_next_hop(harness_b(h), ip6_test_addr("fd00:1::5"), &hop), 0);
    assert_true(unic_addr_equal(hop, ip6_test_addr("fd00:1::5"))); /* on-link prefix */
    assert_int_equal(slaac_dns_servers(harness_b(h), dns, 2), 1);
    assert_true(unic_addr_equal(dns[0], ip6_test_addr("fd00:1::53")));
    /* The resolver, with no IPv4 server, asks the RDNSS one (not -EDESTADDRREQ). */
    assert_int_equal(harness_b(h)->dns, 0);
    int rr = dns_resolve(harness_b(h), "example.com", on_resolved, NULL);
    assert_int_not_equal(rr, -EDESTADDRREQ);
    assert_int_equal(dns_resolver_stat(harness_b(h), "no_server"), 0);
    const struct nd6_entry *r = nd6_lookup(harness_b(h), ip6_test_addr("fe80::9"));
    assert_non_null(r);
    assert_true(r->is_router);
    /* A (not in the RA) reaches B's SLAAC address? Not on-link for A: no route. */
    assert_int_equal(icmp6_send_echo(harness_a(h), slaac, 1, 1, 8), -EHOSTUNREACH);
    /* Preferred lifetime over: deprecated; valid lifetime over: gone. */
    harness_run(h, 1800 * NSEC_PER_SEC);
    assert_int_equal(ia->state, IP6_ADDR_DEPRECATED);
    harness_run(h, 1800 * NSEC_PER_SEC);
    assert_null(ip6_addr_find(harness_b(h), slaac));
    /* The router's 1800 s are over too: no default route. */
    assert_int_equal(ip6_next_hop(harness_b(h), ip6_test_addr("2001:db8::1"), &hop), -EHOSTUNREACH);
}

static void test_slaac_short_lifetime_cut_to_two_hours(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, false));
    uint8_t f[200];
    harness_inject(h, SIDE_B, f, frame_ra(f, 0xffffffffu, 0xffffffffu));
    harness_run(h, 3 * NSEC_PER_SEC);
    struct ip6_ifaddr *ia = ip6_addr_find(harness_b(h), ip6_test_addr("fd00:1::ff:fe00:2"));
    assert_non_null(ia);
    assert_int_equal(ia->valid_until, TIMER_NEVER);
    /* RFC 4862 5.5.3 (e): a forged 10 s valid lifetime only brings it down to 2 hours. */
    harness_inject(h, SIDE_B, f, frame_ra(f, 10, 10));
    harness_run(h, NSEC_PER_MSEC);
    assert_true(ia->valid_until >= inet_now(harness_b(h)) + 7199 * NSEC_PER_SEC);
}

/* RFC 8106 5.1: each RDNSS option carries its own lifetime. After fd00:1::53 was learnt, one RA
 * withdraws it (lifetime 0) and offers fd00:1::54 (600 s) in a second option. */
static void test_rdnss_lifetime_per_option(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, false));
    uint8_t f[200];
    harness_inject(h, SIDE_B, f, frame_ra(f, 3600, 1800));
    struct unic_addr src = ip6_test_addr("fe80::9"), dst = ip6_test_addr("ff02::1");
    size_t body = 16 + 2 * 24, n = frame_ip6(f, (uint8_t[6]){0x33, 0x33, 0, 0, 0, 1}, src, dst, 58,
                                             (uint16_t)body, 255);
    uint8_t *m = f + n;
    memset(m, 0, body);
    m[0] = 134;
    for (int i = 0; i < 2; i++) {
        uint8_t *o = m + 16 + 24 * i;
        o[0] = 25, o[1] = 3;
        wr32(o + 4, i ? 600 : 0);
        memcpy(o + 8, ip6_test_addr(i ? "fd00:1::54" : "fd00:1::53").bytes, 16);
    }
    frame_icmp6_sum(m, body, src, dst);
    harness_inject(h, SIDE_B, f, n + body);
    harness_run(h, NSEC_PER_MSEC);
    struct unic_addr dns[3];
    assert_int_equal(slaac_dns_servers(harness_b(h), dns, 3), 1);
    assert_true(unic_addr_equal(dns[0], ip6_test_addr("fd00:1::54")));
}

/* Packet too big to A about a packet A sent to fd00::2, with (mtu). */
static size_t frame_ptb(uint8_t *p, uint32_t mtu)
{
    static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x01};
    struct unic_addr src = ip6_test_addr("fd00::9"), dst = ip6_test_addr("fd00::1");
    size_t body = 8 + 40 + 8;
    size_t n = frame_ip6(p, mac_a, src, dst, 58, (uint16_t)body, 64);
    uint8_t *m = p + n;
    memset(m, 0, body);
    m[0] = 2;
    wr32(m + 4, mtu);
    struct ip6_hdr q = {.payload_len = 1400, .next_header = 58, .hop_limit = 64};
    memcpy(q.src, dst.bytes, 16);
    memcpy(q.dst, ip6_test_addr("fd00::2").bytes, 16);
    ip6_emit(m + 8, 40, &q);
    frame_icmp6_sum(m, body, src, dst);
    return n + body;
}

static void test_packet_too_big_sets_path_mtu(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, true));
    struct unic_addr b = ip6_test_addr("fd00::2");
    uint8_t f[200];
    assert_int_equal(ip6_path_mtu(harness_a(h), b), 1500);
    harness_inject(h, SIDE_A, f, frame_ptb(f, 1000)); /* below 1280: ignored (RFC 8201 4) */
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(ip6_path_mtu(harness_a(h), b), 1500);
    assert_int_equal(inet_stat(harness_a(h), "ip6.pmtu_ignored"), 1);
    harness_inject(h, SIDE_A, f, frame_ptb(f, 1300));
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(ip6_path_mtu(harness_a(h), b), 1300);
    harness_inject(h, SIDE_A, f, frame_ptb(f, 1400)); /* never raises it (RFC 8201 4) */
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(ip6_path_mtu(harness_a(h), b), 1300);
    assert_int_equal(inet_stat(harness_a(h), "ip6.pmtu_ignored"), 2);
    assert_int_equal(ip6_path_mtu(harness_a(h), ip6_test_addr("fd00::3")), 1500);
    /* A 1400-byte echo to B now goes in fragments of at most 1300 bytes. */
    assert_int_equal(icmp6_send_echo(harness_a(h), b, 1, 1, 1400), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 1);
    assert_int_equal(inet_stat(harness_a(h), "ip6.tx_fragmented"), 1);
    assert_int_equal(inet_stat(harness_b(h), "ip6.rx_reassembled"), 1);
    /* A packet that must not be fragmented is refused. */
    struct netbuf *nb = netbuf_alloc(&h->pool);
    memset(netbuf_put(nb, 1300), 0, 1300);
    struct ip6_out out = {.dst = b, .proto = 17, .dont_frag = true};
    assert_int_equal(ip6_output(harness_a(h), nb, &out), -EMSGSIZE);
    /* The estimate expires (RFC 8201 4: try larger again after 10 minutes). */
    harness_run(h, 11 * 60 * NSEC_PER_SEC);
    assert_int_equal(ip6_path_mtu(harness_a(h), b), 1500);
}

static void test_port_unreachable_not_for_multicast(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, true));
    uint8_t f[200];
    struct unic_addr src = ip6_test_addr("fd00::9");
    /* UDP to B (no UDP attached): port unreachable; to ff02::1: nothing (RFC 4443 2.4 e.3). */
    const char *dsts[2] = {"fd00::2", "ff02::1"};
    for (int i = 0; i < 2; i++) {
        const uint8_t mac[6] = {0x33, 0x33, 0, 0, 0, 1};
        struct unic_addr dst = ip6_test_addr(dsts[i]);
        size_t n = frame_ip6(f, i ? mac : mac_b, src, dst, 17, 8, 64);
        memset(f + n, 0, 8);
        wr16(f + n + 4, 8);
        harness_inject(h, SIDE_B, f, n + 8);
        harness_run(h, 10 * NSEC_PER_MSEC);
    }
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_unreachable"), 1);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.not_answered"), 1);
}

static struct ip_error last_error;
static int errors_seen;
static uint16_t error_dport;
static void on_udp_error(struct inet *inet, const struct ip_error *err)
{
    (void)inet;
    last_error = *err;
    error_dport = rd16(err->l4 + 2); /* l4 is valid during the call only */
    errors_seen++;
}

/* RFC 4443 2.4 (d): an error about a UDP datagram B sent reaches B's UDP (its hook), with
 * the quoted ports; one quoting a packet B did not send does not. */
static void test_errors_reach_the_transport(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, true));
    harness_b(h)->udp_error = on_udp_error;
    errors_seen = 0;
    const char *quoted_src[2] = {"fd00::2", "fd00::5"};
    for (int i = 0; i < 2; i++) {
        uint8_t f[200];
        struct unic_addr src = ip6_test_addr("fd00::9"), dst = ip6_test_addr("fd00::2");
        size_t body = 8 + 40 + 8;
        size_t n = frame_ip6(f, mac_b, src, dst, 58, (uint16_t)body, 64);
        uint8_t *m = f + n;
        memset(m, 0, body);
        m[0] = 1, m[1] = 4; /* port unreachable */
        struct ip6_hdr q = {.payload_len = 8, .next_header = 17, .hop_limit = 64};
        memcpy(q.src, ip6_test_addr(quoted_src[i]).bytes, 16);
        memcpy(q.dst, src.bytes, 16);
        ip6_emit(m + 8, 40, &q);
        wr16(m + 48, 5353), wr16(m + 50, 53), wr16(m + 52, 8);
        frame_icmp6_sum(m, body, src, dst);
        harness_inject(h, SIDE_B, f, n + body);
        harness_run(h, NSEC_PER_MSEC);
    }
    assert_int_equal(errors_seen, 1);
    assert_int_equal(last_error.type, 1);
    assert_int_equal(last_error.code, 4);
    assert_true(unic_addr_equal(last_error.dst, ip6_test_addr("fd00::9")));
    assert_int_equal(last_error.l4_len, 8);
    assert_int_equal(error_dport, 53);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.errors_to_transport"), 1);
}

static void test_errors_are_rate_limited(void **state)
{
    struct harness *h = *state;
    assert_true(ip6_test_up(h, true));
    uint8_t f[200];
    struct unic_addr src = ip6_test_addr("fd00::9"), dst = ip6_test_addr("fd00::2");
    for (int i = 0; i < 2 * ICMP6_RATE_BURST; i++) {
        size_t n = frame_ip6(f, mac_b, src, dst, 253, 8, 64); /* unknown next header */
        memset(f + n, 0, 8);
        harness_inject(h, SIDE_B, f, n + 8);
    }
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "icmp6.tx_param_problem"), ICMP6_RATE_BURST);
    assert_true(inet_stat(harness_b(h), "icmp6.rate_limited") >= ICMP6_RATE_BURST - 1);
}

/* MLDv2 reports B sends: to ff02::16 (33:33:00:00:00:16), hop limit 1, hop-by-hop Router
 * Alert, type 143; the last one's first record type and group. */
static int mld_reports;
static uint8_t mld_last_type, mld_last_group[16];

static bool mld_tap(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    const uint8_t *p = nb->data;
    static const uint8_t all_mld_routers[6] = {0x33, 0x33, 0, 0, 0, 0x16};
    if (from != SIDE_B || nb->len < 14 + 40 + 8 + 8 + 20 || memcmp(p, all_mld_routers, 6))
        return true;
    p += 14;
    if (p[6] == 0 && p[7] == 1 && p[40] == 58 && p[42] == 5 && p[48] == 143) {
        mld_reports++;
        mld_last_type = p[48 + 8];
        memcpy(mld_last_group, p + 48 + 8 + 4, 16);
    }
    return true;
}

static void test_mld_reports_and_query(void **state)
{
    struct harness *h = *state;
    h->tap = mld_tap;
    mld_reports = 0;
    assert_true(ip6_test_up(h, true));
    /* The solicited-node group ff02::1:ff00:2 (shared by fe80::ff:fe00:2 and fd00::2) joined:
     * a change-to-exclude report, sent twice (robustness 2). */
    harness_run(h, 2 * NSEC_PER_SEC);
    assert_true(mld_reports >= 2);
    assert_int_equal(mld_last_type, MLD2_CHANGE_TO_EXCLUDE);
    assert_memory_equal(mld_last_group, ip6_test_addr("ff02::1:ff00:2").bytes, 16);
    /* A general query (max response 1000 ms) from a router: one current-state report. */
    int before = mld_reports;
    uint8_t f[128];
    static const uint8_t all_nodes[6] = {0x33, 0x33, 0, 0, 0, 1};
    struct unic_addr src = ip6_test_addr("fe80::9"), dst = ip6_test_addr("ff02::1");
    size_t n = frame_ip6(f, all_nodes, src, dst, 58, 28, 1);
    memset(f + n, 0, 28);
    f[n] = 130;
    wr16(f + n + 4, 1000);
    frame_icmp6_sum(f + n, 28, src, dst);
    harness_inject(h, SIDE_B, f, n + 28);
    harness_run(h, 1100 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "mld.rx_queries"), 1);
    assert_int_equal(mld_reports, before + 1);
    assert_int_equal(mld_last_type, MLD2_MODE_IS_EXCLUDE);
    /* Removing both addresses leaves the group: a change-to-include report. */
    ip6_addr_remove(harness_b(h), ip6_test_addr("fd00::2"));
    assert_true(mld_is_member(harness_b(h), ip6_test_addr("ff02::1:ff00:2").bytes));
    ip6_addr_remove(harness_b(h), ip6_test_addr("fe80::ff:fe00:2"));
    assert_false(mld_is_member(harness_b(h), ip6_test_addr("ff02::1:ff00:2").bytes));
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(mld_last_type, MLD2_CHANGE_TO_INCLUDE);
    h->tap = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_link_local_from_mac_and_dad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_resolves_neighbours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nud_probes_a_stale_neighbour, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_cache_makes_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unresolved_queue_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dad_conflict_makes_address_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simultaneous_dad_both_lose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_link_local_stops_ip6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slaac_from_router_advertisement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_router_selection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect_changes_the_first_hop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slaac_short_lifetime_cut_to_two_hours, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rdnss_lifetime_per_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packet_too_big_sets_path_mtu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_unreachable_not_for_multicast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_reach_the_transport, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_are_rate_limited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mld_reports_and_query, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
