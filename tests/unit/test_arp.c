/* ARP over the virtual wire: resolution both ways, queueing, retries, expiry, bounds. */
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
#include "unic/arp.h"
#include "unic/icmp.h"
#include "unic/wire/arp.h"

static int replies;
static bool replied[256]; /* by sequence number */
static void count_reply(struct inet *inet, uint32_t src, uint16_t id, uint16_t seq, size_t len,
                        void *arg)
{
    (void)inet, (void)src, (void)id, (void)len, (void)arg;
    replies++;
    replied[seq % 256] = true;
}

static int setup(void **state)
{
    struct harness *h = malloc(sizeof(*h));
    harness_init(h, NULL);
    harness_a(h)->icmp.on_echo_reply = count_reply;
    replies = 0;
    memset(replied, 0, sizeof(replied));
    harness_run(h, NSEC_PER_MSEC); /* let the gratuitous ARPs cross */
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

static int announcements;
static uint64_t announced_at[4];
static bool count_announcements(struct harness *h, enum harness_side from, struct netbuf *nb);

/* RFC 5227 2.3 (MUST): ANNOUNCE_NUM (2) announcements, ANNOUNCE_INTERVAL (2 s) apart. */
static void test_gratuitous_arp_sent_at_start(void **state)
{
    struct harness *h = *state;
    assert_int_equal(inet_stat(harness_a(h), "arp.tx_gratuitous"), 1);
    assert_int_equal(inet_stat(harness_b(h), "arp.tx_gratuitous"), 1);
    h->tap = count_announcements;
    announcements = 0;
    inet_set_addr(harness_b(h), 0x0a000002, 24, 0); /* as DHCP binds after probing */
    harness_run(h, 5 * NSEC_PER_SEC);
    h->tap = NULL;
    assert_int_equal(announcements, 2);
    assert_int_equal(announced_at[1] - announced_at[0], 2 * NSEC_PER_SEC);
    /* the start's second one gave way to the new address's two */
    assert_int_equal(inet_stat(harness_b(h), "arp.tx_gratuitous"), 1 + 2);
    uint8_t mac[6];
    /* A gratuitous ARP for another address creates no entry (RFC 826: only merge). */
    assert_false(arp_lookup(harness_b(h), 0x0a000001, mac));
}

static void test_resolves_both_ways(void **state)
{
    struct harness *h = *state;
    uint8_t mac[6];
    assert_int_equal(icmp_send_echo(harness_a(h), 0x0a000002, 1, 1, NULL, 32), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 1);
    assert_true(arp_lookup(harness_a(h), 0x0a000002, mac));
    assert_int_equal(mac[5], 2);
    assert_true(arp_lookup(harness_b(h), 0x0a000001, mac)); /* learned from the request */
    assert_int_equal(mac[5], 1);
    assert_int_equal(inet_stat(harness_a(h), "arp.tx_requests"), 1);
    assert_int_equal(inet_stat(harness_b(h), "arp.tx_replies"), 1);
}

static void test_queued_packets_flush_on_reply(void **state)
{
    struct harness *h = *state;
    for (int i = 0; i < 5; i++)
        icmp_send_echo(harness_a(h), 0x0a000002, 1, (uint16_t)i, NULL, 16);
    assert_int_equal(inet_stat(harness_a(h), "arp.tx_requests"), 1); /* one request for all */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 5);
    assert_int_equal(harness_a(h)->arp.queued_total, 0);
}

static void test_queue_is_bounded(void **state)
{
    struct harness *h = *state;
    for (int i = 0; i < ARP_QUEUE_PER_ENTRY + 5; i++)
        icmp_send_echo(harness_a(h), 0x0a000002, 1, (uint16_t)i, NULL, 16);
    assert_int_equal(inet_stat(harness_a(h), "arp.queue_full"), 5);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, ARP_QUEUE_PER_ENTRY);
}

/* RFC 1122 2.3.2.2: of a burst larger than the queue, the latest packets are the ones kept
 * (each one queued is accepted: its sender is told nothing failed). */
static void test_queue_keeps_the_latest(void **state)
{
    struct harness *h = *state;
    for (int i = 0; i < ARP_QUEUE_PER_ENTRY + 5; i++)
        assert_int_equal(icmp_send_echo(harness_a(h), 0x0a000002, 1, (uint16_t)i, NULL, 16), 0);
    assert_int_equal(inet_stat(harness_a(h), "arp.queue_full"), 5);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, ARP_QUEUE_PER_ENTRY);
    for (int i = 0; i < ARP_QUEUE_PER_ENTRY + 5; i++)
        assert_int_equal(replied[i], i >= 5);
}

/* With every queue together at its bound, a new destination still keeps its latest packet. */
static void test_each_destination_keeps_one(void **state)
{
    struct harness *h = *state;
    struct inet *a = harness_a(h);
    unsigned dests = ARP_QUEUE_TOTAL / ARP_QUEUE_PER_ENTRY;
    for (unsigned d = 0; d < dests; d++) /* 10.0.0.100...: nobody answers */
        for (int i = 0; i < ARP_QUEUE_PER_ENTRY; i++)
            icmp_send_echo(a, 0x0a000064 + d, 1, (uint16_t)i, NULL, 16);
    assert_int_equal(a->arp.queued_total, ARP_QUEUE_TOTAL);
    assert_int_equal(inet_stat(a, "arp.queue_full"), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(icmp_send_echo(a, 0x0a000002, 1, (uint16_t)i, NULL, 16), 0);
    assert_int_equal(inet_stat(a, "arp.queue_full"), 2); /* one kept: the latest */
    assert_int_equal(a->arp.queued_total, ARP_QUEUE_TOTAL + 1);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 1);
    assert_true(replied[2]);
    harness_run(h, 10 * NSEC_PER_SEC); /* the others give up */
    assert_int_equal(a->arp.queued_total, 0);
}

/* Every entry pending for addresses nobody answers (a SYN flood from spoofed neighbours gets
 * SYN-ACKs): a real neighbour still gets an entry, the oldest pending one giving way. Before,
 * its packets were dropped until the flood's entries gave up (test_tcp_rst test_syn_flood). */
static void test_pending_cache_makes_room(void **state)
{
    struct harness *h = *state;
    struct inet *a = harness_a(h);
    for (uint32_t d = 0; d < ARP_CACHE_SIZE; d++) { /* 10.0.0.100...: nobody answers */
        icmp_send_echo(a, 0x0a000064 + d, 1, (uint16_t)d, NULL, 16);
        harness_run(h, NSEC_PER_USEC);
    }
    assert_int_equal(icmp_send_echo(a, 0x0a000002, 1, 200, NULL, 16), 0);
    assert_int_equal(inet_stat(a, "arp.evicted_pending"), 1);
    assert_int_equal(inet_stat(a, "arp.queue_full"), 0);
    assert_int_equal(inet_stat(a, "arp.queue_dropped"), 1); /* the oldest one's packet */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 1);
    assert_true(replied[200]);
    uint8_t mac[6];
    assert_false(arp_lookup(a, 0x0a000064, mac));
    harness_run(h, 10 * NSEC_PER_SEC); /* the others give up */
    assert_int_equal(a->arp.queued_total, 0);
}

/* RFC 1122 2.3.2.1 (MUST): no ARP flooding, at most a request a second per address. With the
 * cache all pending, each new destination evicts the oldest: 65 destinations nobody answers,
 * sent to twice in a row, made 130 requests within a millisecond (each eviction a fresh
 * entry and an immediate request). Now the second round waits for its second; a packet to
 * each still goes, its entry's timer asking again once a second has passed. */
static void test_eviction_does_not_flood_requests(void **state)
{
    struct harness *h = *state;
    struct inet *a = harness_a(h);
    for (int round = 0; round < 2; round++)
        for (uint32_t d = 0; d <= ARP_CACHE_SIZE; d++) {
            icmp_send_echo(a, 0x0a000064 + d, 1, (uint16_t)d, NULL, 16);
            harness_run(h, NSEC_PER_USEC);
        }
    assert_int_equal(inet_stat(a, "arp.tx_requests"), ARP_CACHE_SIZE + 1);
    assert_true(inet_stat(a, "arp.tx_limited") > 0);
    /* A real neighbour is not held back by it. */
    assert_int_equal(icmp_send_echo(a, 0x0a000002, 1, 200, NULL, 16), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_true(replied[200]);
    /* The others give up, a request a second each: the first round's 65, then each entry of
     * the second round its ARP_MAX_TRIES (none had asked yet) but the one B's made way for,
     * and B's. */
    harness_run(h, 10 * NSEC_PER_SEC);
    assert_int_equal(inet_stat(a, "arp.tx_requests"),
                     ARP_CACHE_SIZE + 1 + (ARP_CACHE_SIZE - 1) * ARP_MAX_TRIES + 1);
    assert_int_equal(a->arp.queued_total, 0);
}

static void test_unanswered_request_retries_then_drops(void **state)
{
    struct harness *h = *state;
    icmp_send_echo(harness_a(h), 0x0a000063, 1, 1, NULL, 16); /* 10.0.0.99: nobody */
    icmp_send_echo(harness_a(h), 0x0a000063, 1, 2, NULL, 16);
    harness_run(h, 10 * NSEC_PER_SEC);
    assert_int_equal(inet_stat(harness_a(h), "arp.tx_requests"), ARP_MAX_TRIES);
    assert_int_equal(inet_stat(harness_a(h), "arp.unresolved"), 1);
    assert_int_equal(inet_stat(harness_a(h), "arp.queue_dropped"), 2);
    assert_int_equal(harness_a(h)->arp.queued_total, 0);
    assert_false(timer_armed(&harness_a(h)->arp.timer)); /* nothing left: no wake-ups */
}

static void test_entries_expire(void **state)
{
    struct harness *h = *state;
    uint8_t mac[6];
    harness_run(h, 3 * NSEC_PER_SEC); /* B's second announcement would refresh A's entry */
    icmp_send_echo(harness_a(h), 0x0a000002, 1, 1, NULL, 16);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_true(arp_lookup(harness_a(h), 0x0a000002, mac));
    harness_run(h, ARP_ENTRY_TTL_NS);
    assert_false(arp_lookup(harness_a(h), 0x0a000002, mac));
    assert_int_equal(inet_stat(harness_a(h), "arp.expired"), 1);
    icmp_send_echo(harness_a(h), 0x0a000002, 1, 2, NULL, 16); /* resolves again */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 2);
}

static size_t arp_frame(uint8_t *f, uint16_t op, uint32_t spa, uint32_t tpa)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    size_t n = frame_eth(f, bcast, 0x0806);
    struct arp_pkt a = {.op = op, .sha = {THIRD_MAC}, .spa = spa, .tpa = tpa};
    return n + (size_t)arp_emit(f + n, 28, &a);
}

/* A sender address no host can have (a broadcast, a group, loopback, 0/8 but 0.0.0.0 of a
 * probe): such a request for B taught B a cache entry and got a reply. Now neither. */
static void test_impossible_sender_ignored(void **state)
{
    struct harness *h = *state;
    const uint32_t senders[] = {0x0a0000ff, 0xffffffff, 0xe0000001, 0x7f000001, 0x00000009};
    uint8_t f[64] = {0}, mac[6];
    for (size_t i = 0; i < sizeof(senders) / sizeof(senders[0]); i++) {
        harness_inject(h, SIDE_B, f, arp_frame(f, ARP_OP_REQUEST, senders[i], 0x0a000002));
        harness_run(h, NSEC_PER_MSEC);
        assert_false(arp_lookup(harness_b(h), senders[i], mac));
    }
    assert_int_equal(inet_stat(harness_b(h), "arp.tx_replies"), 0);
    assert_int_equal(inet_stat(harness_b(h), "arp.rx_bad_sender"), 5);
    /* A probe (sender 0.0.0.0) for B's address is still answered: that is how it conflicts. */
    harness_inject(h, SIDE_B, f, arp_frame(f, ARP_OP_REQUEST, 0, 0x0a000002));
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "arp.tx_replies"), 1);
}

static void test_answers_only_for_own_address(void **state)
{
    struct harness *h = *state;
    uint8_t f[64] = {0};
    int64_t not_for_us = inet_stat(harness_b(h), "arp.rx_not_for_us");
    size_t n = arp_frame(f, ARP_OP_REQUEST, THIRD_IP, 0x0a000077);
    harness_inject(h, SIDE_B, f, n);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "arp.tx_replies"), 0);
    assert_int_equal(inet_stat(harness_b(h), "arp.rx_not_for_us"), not_for_us + 1);
    n = arp_frame(f, ARP_OP_REQUEST, THIRD_IP, 0x0a000002);
    harness_inject(h, SIDE_B, f, n);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "arp.tx_replies"), 1);
    uint8_t mac[6];
    assert_true(arp_lookup(harness_b(h), THIRD_IP, mac));
    assert_int_equal(mac[5], 9);
}

static void test_malformed_arp_counted(void **state)
{
    struct harness *h = *state;
    uint8_t f[64] = {0};
    size_t n = arp_frame(f, ARP_OP_REQUEST, THIRD_IP, 0x0a000002);
    harness_inject(h, SIDE_B, f, 14 + 20); /* truncated */
    f[15] = 6;                             /* hardware type 6 */
    harness_inject(h, SIDE_B, f, n);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_b(h), "arp.rx_malformed"), 2);
    assert_int_equal(inet_stat(harness_b(h), "arp.tx_replies"), 0);
}

static void test_full_cache_evicts_oldest(void **state)
{
    struct harness *h = *state;
    uint8_t f[64] = {0};
    for (uint32_t i = 0; i < ARP_CACHE_SIZE + 3; i++) {
        size_t n = arp_frame(f, ARP_OP_REQUEST, 0x0a000100 + i, 0x0a000002);
        harness_inject(h, SIDE_B, f, n);
        harness_run(h, NSEC_PER_MSEC);
    }
    assert_int_equal(inet_stat(harness_b(h), "arp.evicted"), 3);
    uint8_t mac[6];
    assert_false(arp_lookup(harness_b(h), 0x0a000100, mac));
    assert_true(arp_lookup(harness_b(h), 0x0a000100 + ARP_CACHE_SIZE + 2, mac));
}

/* RFC 5227 2.1.1 conflict detection for a probed address (B probes while unconfigured, as
 * DHCP does before it binds). */
static void test_probe_detects_conflicts(void **state)
{
    struct harness *h = *state;
    struct inet *b = harness_b(h);
    uint8_t f[64] = {0};
    inet_set_addr(b, 0, 0, 0);
    assert_int_equal(arp_probe_send(b), -EINVAL); /* nothing is being probed */
    arp_probe_start(b, 0x0a000077);
    assert_int_equal(arp_probe_send(b), 0);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(inet_stat(b, "arp.tx_probes"), 1);
    /* Nobody has 10.0.0.77; other hosts' traffic for other addresses is no conflict. */
    harness_inject(h, SIDE_B, f, arp_frame(f, ARP_OP_REQUEST, THIRD_IP, 0x0a000078));
    harness_inject(h, SIDE_B, f, arp_frame(f, ARP_OP_REQUEST, 0, 0x0a000078));
    harness_run(h, NSEC_PER_MSEC);
    assert_false(arp_probe_conflict(b));
    /* Another host probing for the same address is a conflict. */
    harness_inject(h, SIDE_B, f, arp_frame(f, ARP_OP_REQUEST, 0, 0x0a000077));
    harness_run(h, NSEC_PER_MSEC);
    assert_true(arp_probe_conflict(b));
    arp_probe_stop(b);
    assert_false(arp_probe_conflict(b));
    /* A holds 10.0.0.1 and answers the probe (its reply's sender is the address). */
    arp_probe_start(b, 0x0a000001);
    assert_int_equal(arp_probe_send(b), 0);
    harness_run(h, NSEC_PER_MSEC);
    assert_true(arp_probe_conflict(b));
    /* So does any packet from the address, a gratuitous ARP included. */
    arp_probe_start(b, THIRD_IP);
    assert_false(arp_probe_conflict(b));
    harness_inject(h, SIDE_B, f, arp_frame(f, ARP_OP_REQUEST, THIRD_IP, THIRD_IP));
    harness_run(h, NSEC_PER_MSEC);
    assert_true(arp_probe_conflict(b));
    assert_int_equal(inet_stat(b, "arp.probe_conflicts"), 3);
    arp_probe_stop(b);
}

/* B's ARP announcements (request, sender = target = its address, from its MAC) on the wire. */
static bool count_announcements(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct arp_pkt a;
    if (from == SIDE_B && nb->len >= 14 + 28 && nb->data[12] == 0x08 && nb->data[13] == 0x06 &&
        arp_parse(nb->data + 14, nb->len - 14, &a) == 0 && a.op == ARP_OP_REQUEST &&
        a.spa == 0x0a000002 && a.tpa == 0x0a000002 && !memcmp(a.sha, harness_b(h)->mac, 6)) {
        if (announcements < 4)
            announced_at[announcements] = h->timers.now;
        announcements++;
    }
    return true;
}

/* RFC 5227 2.4: another host claims B's address (a gratuitous ARP from another MAC). B defends
 * with one announcement, at most once per DEFEND_INTERVAL (10 s), counts every conflict, and
 * keeps the address (2.4 (c)). Before: a warning only, 0 announcements, nothing counted. */
static void test_conflict_defended_once_per_interval(void **state)
{
    struct harness *h = *state;
    struct inet *b = harness_b(h);
    uint8_t f[64] = {0};
    uint8_t mac[6];
    harness_run(h, 3 * NSEC_PER_SEC); /* past the start's two announcements */
    h->tap = count_announcements;
    announcements = 0;
    harness_inject(h, SIDE_B, f, arp_frame(f, ARP_OP_REQUEST, 0x0a000002, 0x0a000002));
    harness_run(h, 2 * NSEC_PER_SEC);
    assert_int_equal(announcements, 1);
    assert_int_equal(inet_stat(b, "arp.conflicts"), 1);
    assert_int_equal(inet_stat(b, "arp.tx_defends"), 1);
    assert_false(arp_lookup(b, 0x0a000002, mac)); /* the claim taught B nothing */
    /* A reply claiming it 2 s later: counted, not defended again within the interval. */
    harness_inject(h, SIDE_B, f, arp_frame(f, ARP_OP_REPLY, 0x0a000002, 0x0a000001));
    harness_run(h, 2 * NSEC_PER_SEC);
    assert_int_equal(announcements, 1);
    assert_int_equal(inet_stat(b, "arp.conflicts"), 2);
    assert_int_equal(inet_stat(b, "arp.defend_suppressed"), 1);
    assert_int_equal(b->addr, 0x0a000002u); /* the address is kept */
    assert_int_equal(icmp_send_echo(harness_a(h), 0x0a000002, 1, 1, NULL, 8), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(replies, 1);
    /* Past DEFEND_INTERVAL since the defence: the next conflict is defended again. */
    harness_run(h, 6 * NSEC_PER_SEC);
    harness_inject(h, SIDE_B, f, arp_frame(f, ARP_OP_REQUEST, 0x0a000002, 0x0a000002));
    harness_run(h, NSEC_PER_SEC);
    assert_int_equal(announcements, 2);
    assert_int_equal(inet_stat(b, "arp.tx_defends"), 2);
    assert_int_equal(inet_stat(b, "arp.conflicts"), 3);
    h->tap = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gratuitous_arp_sent_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolves_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_impossible_sender_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queued_packets_flush_on_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_keeps_the_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_destination_keeps_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_request_retries_then_drops, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_entries_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answers_only_for_own_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_arp_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_cache_evicts_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_cache_makes_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction_does_not_flood_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_detects_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_defended_once_per_interval, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
