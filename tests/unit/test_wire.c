/* Wire parsers and emitters of the link and network layers, on byte arrays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unic/fault.h"
#include "unic/wire/arp.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/eth.h"
#include "unic/wire/icmp.h"
#include "unic/wire/ip4.h"
#include "unic/wire/wire.h"

/* An IPv4 header from a real capture (fuzz/captures: ping 10.77.0.1 -> 10.77.0.2). */
static const uint8_t captured_ip4[20] = {0x45, 0x00, 0x00, 0x54, 0x12, 0xee, 0x40,
                                         0x00, 0x40, 0x01, 0x13, 0x1f, 0x0a, 0x4d,
                                         0x00, 0x01, 0x0a, 0x4d, 0x00, 0x02};

static void test_checksum_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
    const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(csum_fold(csum_partial(data, sizeof(data), 0)), (uint16_t)~0xddf2);
    const uint8_t odd[] = {0x01, 0x02, 0x03};
    assert_int_equal(csum_fold(csum_partial(odd, 3, 0)), (uint16_t) ~(0x0102 + 0x0300));
}

static void test_ip4_parses_captured_header(void **state)
{
    (void)state;
    uint8_t pkt[84] = {0};
    memcpy(pkt, captured_ip4, 20);
    assert_int_equal(ip_checksum(pkt, 20), 0); /* Linux's checksum verifies */
    struct ip4_hdr h;
    assert_int_equal(ip4_parse(pkt, sizeof(pkt), &h), WIRE_OK);
    assert_int_equal(h.hdr_len, 20);
    assert_int_equal(h.total_len, 84);
    assert_true(h.df);
    assert_false(h.mf);
    assert_int_equal(h.ttl, 64);
    assert_int_equal(h.proto, IP4_PROTO_ICMP);
    assert_int_equal(h.src, 0x0a4d0001);
    assert_int_equal(h.dst, 0x0a4d0002);
}

static void test_ip4_rejects_every_truncation(void **state)
{
    (void)state;
    uint8_t pkt[40] = {0};
    struct ip4_hdr h = {.total_len = 40, .ttl = 1, .proto = 17, .src = 1, .dst = 2};
    assert_int_equal(ip4_emit(pkt, sizeof(pkt), &h), 20);
    for (size_t n = 0; n < 40; n++)
        assert_int_equal(ip4_parse(pkt, n, &h), WIRE_ETRUNCATED);
    assert_int_equal(ip4_parse(pkt, 40, &h), WIRE_OK);
}

static void test_ip4_rejects_bad_fields(void **state)
{
    (void)state;
    uint8_t pkt[40] = {0};
    struct ip4_hdr h = {.total_len = 40, .ttl = 1, .proto = 17, .src = 1, .dst = 2};
    ip4_emit(pkt, sizeof(pkt), &h);
    uint8_t bad[40];
    memcpy(bad, pkt, 40);
    bad[8] ^= 1; /* TTL changed: checksum no longer verifies */
    assert_int_equal(ip4_parse(bad, 40, &h), WIRE_ECHECKSUM);
    memcpy(bad, pkt, 40);
    bad[0] = 0x44; /* IHL 4 */
    assert_int_equal(ip4_parse(bad, 40, &h), WIRE_ELENGTH);
    memcpy(bad, pkt, 40);
    bad[3] = 10; /* total length below the header */
    assert_int_equal(ip4_parse(bad, 40, &h), WIRE_ELENGTH);
    memcpy(bad, pkt, 40);
    bad[0] = 0x65;
    assert_int_equal(ip4_parse(bad, 40, &h), WIRE_EVERSION);
}

static void test_ip4_fragment_fields_round_trip(void **state)
{
    (void)state;
    uint8_t pkt[20];
    struct ip4_hdr h = {.total_len = 20,
                        .id = 0xbeef,
                        .mf = true,
                        .frag_offset = 1480,
                        .ttl = 9,
                        .proto = 1,
                        .src = 0x01020304,
                        .dst = 0x05060708};
    ip4_emit(pkt, sizeof(pkt), &h);
    struct ip4_hdr back;
    assert_int_equal(ip4_parse(pkt, 20, &back), WIRE_OK);
    assert_int_equal(back.id, 0xbeef);
    assert_true(back.mf);
    assert_false(back.df);
    assert_int_equal(back.frag_offset, 1480);
    assert_true(ip4_is_fragment(&back));
    char buf[16];
    assert_string_equal(ip4_ntoa(back.dst, buf), "5.6.7.8");
}

static void test_arp_round_trip_and_rejects(void **state)
{
    (void)state;
    struct arp_pkt a = {.op = ARP_OP_REPLY,
                        .sha = {2, 0, 0, 0, 0, 1},
                        .spa = 0x0a000001,
                        .tha = {2, 0, 0, 0, 0, 2},
                        .tpa = 0x0a000002};
    uint8_t p[ARP_PKT_LEN], small[10];
    assert_int_equal(arp_emit(small, sizeof(small), &a), WIRE_ENOSPACE);
    assert_int_equal(arp_emit(p, sizeof(p), &a), ARP_PKT_LEN);
    struct arp_pkt b;
    assert_int_equal(arp_parse(p, sizeof(p), &b), WIRE_OK);
    assert_int_equal(b.op, ARP_OP_REPLY);
    assert_int_equal(b.spa, 0x0a000001);
    assert_memory_equal(b.tha, a.tha, 6);
    assert_int_equal(arp_parse(p, ARP_PKT_LEN - 1, &b), WIRE_ETRUNCATED);
    p[5] = 16; /* protocol address length 16: not IPv4 */
    assert_int_equal(arp_parse(p, sizeof(p), &b), WIRE_EVERSION);
}

static void test_eth_and_icmp(void **state)
{
    (void)state;
    uint8_t f[ETH_HDR_LEN];
    struct eth_hdr e = {.dst = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
                        .src = {2, 0, 0, 0, 0, 5},
                        .type = ETH_TYPE_ARP};
    assert_int_equal(eth_emit(f, sizeof(f), &e), ETH_HDR_LEN);
    struct eth_hdr back;
    assert_int_equal(eth_parse(f, 13, &back), WIRE_ETRUNCATED);
    assert_int_equal(eth_parse(f, 14, &back), WIRE_OK);
    assert_int_equal(back.type, ETH_TYPE_ARP);
    assert_true(eth_is_multicast(back.dst));
    uint8_t msg[16] = {0};
    struct icmp_hdr ih = {.type = ICMP_ECHO_REQUEST, .rest = 0x00010002};
    memset(msg + 8, 0xab, 8);
    assert_int_equal(icmp_emit(msg, sizeof(msg), &ih, 8), ICMP_HDR_LEN);
    struct icmp_hdr got;
    assert_int_equal(icmp_parse(msg, sizeof(msg), &got), WIRE_OK);
    assert_int_equal(got.rest, 0x00010002);
    msg[15] ^= 1;
    assert_int_equal(icmp_parse(msg, sizeof(msg), &got), WIRE_ECHECKSUM);
    assert_int_equal(icmp_parse(msg, 7, &got), WIRE_ETRUNCATED);
}

/* The fault injector: reproducible from its seed, and each fault does what it says. */
static int delivered;
static uint8_t last_first_byte;
static void count_delivery(void *ctx, struct netbuf *nb)
{
    (void)ctx;
    delivered++;
    last_first_byte = nb->data[0];
    netbuf_free(nb);
}

static int run_faults(struct fault_config cfg, int frames, struct netbuf_pool *pool)
{
    struct timer_queue tq;
    struct fault_injector fi;
    timer_queue_init(&tq, 0);
    fault_init(&fi, &cfg, pool, &tq);
    fault_set_output(&fi, FAULT_TX, count_delivery, NULL);
    delivered = 0;
    for (int i = 0; i < frames; i++) {
        struct netbuf *nb = netbuf_alloc(pool);
        memset(netbuf_put(nb, 64), (uint8_t)i, 64);
        fault_process(&fi, FAULT_TX, nb);
    }
    timer_queue_run(&tq, 10 * NSEC_PER_MSEC); /* release a held frame */
    fault_destroy(&fi);
    return delivered;
}

static void test_fault_injector(void **state)
{
    (void)state;
    struct netbuf_pool pool;
    assert_int_equal(netbuf_pool_init(&pool, 64, 0), 0);
    struct fault_config none = {.seeded = true, .seed = 1};
    assert_int_equal(run_faults(none, 1000, &pool), 1000);
    struct fault_config loss = {.loss_ppb = FAULT_PPB(0.1), .seeded = true, .seed = 42};
    int a = run_faults(loss, 10000, &pool), b = run_faults(loss, 10000, &pool);
    assert_int_equal(a, b); /* same seed, same losses */
    assert_true(a > 8800 && a < 9200);
    struct fault_config dup = {.duplicate_ppb = FAULT_PPB(0.5), .seeded = true, .seed = 3};
    int d = run_faults(dup, 1000, &pool);
    assert_true(d > 1400 && d < 1600);
    struct fault_config reorder = {.reorder_ppb = FAULT_PPB_ONE, .seeded = true, .seed = 3};
    assert_int_equal(run_faults(reorder, 3, &pool), 3); /* held frames all come out */
    assert_int_equal(pool.in_use, 0);
    netbuf_pool_destroy(&pool);
}

/* --ce: an ECN-capable IPv4 or IPv6 packet becomes CE (IPv4 header checksum still right);
 * Not-ECT, non-IP and already-CE frames pass as they are. */
static struct netbuf *ce_frame;
static void keep_delivery(void *ctx, struct netbuf *nb)
{
    (void)ctx;
    ce_frame = nb;
}

static uint8_t ce_through(struct fault_injector *fi, struct netbuf_pool *pool, uint16_t type,
                          uint8_t ver_ihl, uint8_t second)
{
    struct netbuf *nb = netbuf_alloc(pool);
    uint8_t *f = memset(netbuf_put(nb, 14 + 40), 0, 14 + 40), *ip = f + 14;
    wr16(f + 12, type);
    ip[0] = ver_ihl, ip[1] = second;
    if (type == ETH_TYPE_IP4)
        wr16(ip + 10, ip_checksum(ip, 20));
    fault_process(fi, FAULT_TX, nb);
    assert_non_null(ce_frame);
    if (type == ETH_TYPE_IP4)
        assert_int_equal(ip_checksum(ce_frame->data + 14, 20), 0);
    uint8_t out = ce_frame->data[15];
    netbuf_free(ce_frame);
    ce_frame = NULL;
    return out;
}

static void test_fault_ce_marks(void **state)
{
    (void)state;
    struct netbuf_pool pool;
    assert_int_equal(netbuf_pool_init(&pool, 8, 0), 0);
    struct timer_queue tq;
    timer_queue_init(&tq, 0);
    struct fault_injector fi;
    struct fault_config cfg = {.ce_ppb = FAULT_PPB_ONE, .seeded = true, .seed = 1};
    fault_init(&fi, &cfg, &pool, &tq);
    fault_set_output(&fi, FAULT_TX, keep_delivery, NULL);
    assert_int_equal(ce_through(&fi, &pool, ETH_TYPE_IP4, 0x45, 0xb8 | 2), 0xb8 | 3); /* ECT(0) */
    assert_int_equal(ce_through(&fi, &pool, ETH_TYPE_IP4, 0x45, 1), 3);               /* ECT(1) */
    assert_int_equal(ce_through(&fi, &pool, ETH_TYPE_IP4, 0x45, 0xb8), 0xb8);         /* Not-ECT */
    assert_int_equal(ce_through(&fi, &pool, ETH_TYPE_IP6, 0x60, 0x20), 0x30); /* IPv6 ECT(0) */
    assert_int_equal(ce_through(&fi, &pool, ETH_TYPE_IP6, 0x60, 0x05), 0x05); /* Not-ECT */
    assert_int_equal(ce_through(&fi, &pool, ETH_TYPE_ARP, 0x45, 0x02), 0x02); /* not IP */
    assert_int_equal(fi.path[FAULT_TX].stats.ce_marked, 3);
    fault_destroy(&fi);
    assert_int_equal(pool.in_use, 0);
    netbuf_pool_destroy(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_rfc1071_example),
        cmocka_unit_test(test_ip4_parses_captured_header),
        cmocka_unit_test(test_ip4_rejects_every_truncation),
        cmocka_unit_test(test_ip4_rejects_bad_fields),
        cmocka_unit_test(test_ip4_fragment_fields_round_trip),
        cmocka_unit_test(test_arp_round_trip_and_rejects),
        cmocka_unit_test(test_eth_and_icmp),
        cmocka_unit_test(test_fault_injector),
        cmocka_unit_test(test_fault_ce_marks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
