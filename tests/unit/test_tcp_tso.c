/* TCP segmentation offload over the virtual wire: a side whose link is TSO-capable sends
 * super-packets, the harness link cuts them into wire segments as Linux's GSO does (after
 * checking the partial checksum, see harness.c), and the peer sees only normal segments. Bulk
 * transfers are checked byte for byte, clean and with loss, reordering and duplication on the
 * segmented wire, with and without SACK, across sequence wraparound, into a small window. */
#include "test_tcp_util.h"

#define TSO_MAX 65535
#define WIRE_FRAME_MAX 1514

struct xfer {
    struct bulk b;
    size_t wire_frame_max[2]; /* the longest frame each side put on the wire */
    uint64_t ip_frames[2];    /* IPv4 frames each side put on the wire */
    uint64_t id_gaps[2];      /* ... whose ID was not the one after the previous frame's */
    uint16_t last_id[2];
};

struct xfer_cfg {
    uint64_t up, down; /* bytes client (B) -> server (A), server -> client */
    double loss, reorder, dup;
    bool no_sack, tso_b_off;
    uint32_t isn_a, isn_b; /* 0: random */
    uint32_t rcv_buf;      /* 0: the default */
};

/* Every wire frame, after the TSO link cut it and the faults acted: its length (none exceeds
 * the MTU) and its IPv4 ID. */
static bool measure_wire(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct xfer *x = h->user;
    if (nb->len > x->wire_frame_max[from])
        x->wire_frame_max[from] = nb->len;
    if (nb->len >= 34 && rd16(nb->data + 12) == 0x0800) {
        uint16_t id = rd16(nb->data + 18);
        if (x->ip_frames[from]++ && id != (uint16_t)(x->last_id[from] + 1))
            x->id_gaps[from]++;
        x->last_id[from] = id;
    }
    assert_int_equal(nb->tso_mss, 0);
    return true;
}

static void configure(struct inet *inet, const struct xfer_cfg *cfg)
{
    struct tcp_params p;
    tcp_default_params(&p);
    p.sack = !cfg->no_sack;
    if (cfg->rcv_buf)
        p.rcv_buf = cfg->rcv_buf;
    assert_int_equal(tcp_configure(inet, &p), 0);
}

static struct xfer *run_xfer(const struct xfer_cfg *cfg)
{
    struct harness_opts o = {.tso_max = {TSO_MAX, cfg->tso_b_off ? 0 : TSO_MAX}};
    for (int s = 0; s < 2; s++)
        o.fault[s] = (struct fault_config){.loss_ppb = FAULT_PPB(cfg->loss),
                                           .reorder_ppb = FAULT_PPB(cfg->reorder),
                                           .duplicate_ppb = FAULT_PPB(cfg->dup),
                                           .seeded = true,
                                           .seed = 4321 + (uint64_t)s};
    struct xfer *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->b.h = harness_new(&o);
    x->b.h->user = x;
    x->b.h->tap = measure_wire;
    configure(harness_a(x->b.h), cfg);
    configure(harness_b(x->b.h), cfg);
    if (cfg->isn_a)
        tcp_test_force_isn(harness_a(x->b.h), cfg->isn_a);
    if (cfg->isn_b)
        tcp_test_force_isn(harness_b(x->b.h), cfg->isn_b);
    bulk_start(&x->b, cfg->up, cfg->down, 16, 17);
    bool ok = harness_run_until(x->b.h, bulk_done, &x->b, 600 * NSEC_PER_SEC);
    if (!ok || getenv("TCP_DEBUG")) {
        print_message(
            "cli tx %lu rx %lu; srv tx %lu rx %lu; tso A %lu/%lu bad %lu, B %lu/%lu\n",
            (unsigned long)x->b.cli.tx_done, (unsigned long)x->b.cli.rx_done,
            (unsigned long)x->b.srv.apps[0].tx_done, (unsigned long)x->b.srv.apps[0].rx_done,
            (unsigned long)x->b.h->tso_frames[SIDE_A], (unsigned long)x->b.h->tso_segments[SIDE_A],
            (unsigned long)x->b.h->tso_bad[SIDE_A], (unsigned long)x->b.h->tso_frames[SIDE_B],
            (unsigned long)x->b.h->tso_segments[SIDE_B]);
        inet_print_stats(harness_a(x->b.h), 0);
        inet_print_stats(harness_b(x->b.h), 0);
    }
    assert_true(ok);
    bulk_check(&x->b, cfg->up, cfg->down);
    for (int side = 0; side < 2; side++) {
        assert_int_equal(x->b.h->tso_bad[side], 0); /* every partial checksum completed right */
        assert_true(x->wire_frame_max[side] <= WIRE_FRAME_MAX);
    }
    return x;
}

static void finish(struct xfer *x)
{
    bulk_finish(&x->b);
    free(x);
}

/* (side) sent most of its bulk data in super-packets of (min_avg) segments on average at
 * least, none past 64 KB. The peer acknowledges every second segment it sees on the wire, and
 * each ACK lets the sender out again: under loss the average is near two. */
static void assert_used_tso(struct xfer *x, enum harness_side side, uint64_t bytes,
                            unsigned min_avg)
{
    struct harness *h = x->b.h;
    uint64_t frames = h->tso_frames[side], segs = h->tso_segments[side];
    assert_int_equal(tcp_stat(&h->stack[side], "tx_tso_frames"), (int64_t)frames);
    assert_true(frames > 0);
    assert_true(segs >= min_avg * frames);
    assert_true(segs * 1448 >= bytes / 2);                      /* most data went that way    */
    assert_true(h->tso_payload_max[side] <= TSO_MAX - 20 - 20); /* IPv4 + TCP headers      */
    assert_true(h->tso_payload_max[side] > 8 * 1448);
}

static void test_tso_bulk_clean(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {.up = 8 << 20, .down = 8 << 20};
    struct xfer *x = run_xfer(&cfg);
    assert_used_tso(x, SIDE_A, cfg.down, 4);
    assert_used_tso(x, SIDE_B, cfg.up, 4);
    for (int s = 0; s < 2; s++) {
        assert_int_equal(tcp_stat(&x->b.h->stack[s], "tx_retransmits"), 0);
        /* A super-packet uses one IPv4 ID per segment the link cuts (Linux's GSO numbers
         * them on): the IDs on the wire run on without a gap or a repeat. */
        assert_true(x->ip_frames[s] > 1000);
        assert_int_equal(x->id_gaps[s], 0);
    }
    /* The peer saw wire segments only: as many as the link cut, plus its own bare frames. */
    assert_true(x->wire_frame_max[SIDE_A] == WIRE_FRAME_MAX);
    finish(x);
}

/* Loss, reordering and duplication of the wire segments: SACK recovery (retransmissions one
 * MSS each) over data that went out in super-packets. */
static void test_tso_lossy_sack(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {
        .up = 4 << 20, .down = 4 << 20, .loss = 0.02, .reorder = 0.02, .dup = 0.01};
    struct xfer *x = run_xfer(&cfg);
    assert_used_tso(x, SIDE_A, cfg.down, 2);
    assert_used_tso(x, SIDE_B, cfg.up, 2);
    assert_true(tcp_stat(harness_a(x->b.h), "tx_retransmits") > 0);
    assert_true(tcp_stat(harness_b(x->b.h), "tx_retransmits") > 0);
    finish(x);
}

static void test_tso_lossy_no_sack(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {.up = 2 << 20, .down = 2 << 20, .loss = 0.01, .no_sack = true};
    struct xfer *x = run_xfer(&cfg);
    assert_used_tso(x, SIDE_A, cfg.down, 2);
    assert_true(tcp_stat(harness_a(x->b.h), "tx_retransmits") > 0);
    finish(x);
}

/* Only A's link segments: B sends wire-sized segments, A super-packets, both arrive whole. */
static void test_tso_one_side(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {.up = 4 << 20, .down = 4 << 20, .tso_b_off = true};
    struct xfer *x = run_xfer(&cfg);
    assert_used_tso(x, SIDE_A, cfg.down, 2);
    assert_int_equal(x->b.h->tso_frames[SIDE_B], 0);
    assert_int_equal(tcp_stat(harness_b(x->b.h), "tx_tso_frames"), 0);
    finish(x);
}

/* A super-packet never goes past the peer's window: with a 16 KiB receive buffer none carries
 * more than 16 KiB, and the sender still uses them. */
static void test_tso_small_window(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {.down = 2 << 20, .rcv_buf = 16384};
    struct xfer *x = run_xfer(&cfg);
    assert_true(x->b.h->tso_frames[SIDE_A] > 0);
    assert_true(x->b.h->tso_payload_max[SIDE_A] <= 16384);
    finish(x);
}

/* Sequence numbers wrap inside super-packets; the link adds each segment's offset mod 2^32. */
static void test_tso_wraparound(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {
        .up = 2 << 20, .down = 2 << 20, .isn_a = 0xffff0000u, .isn_b = 0xfffff000u, .loss = 0.005};
    struct xfer *x = run_xfer(&cfg);
    assert_used_tso(x, SIDE_A, cfg.down, 2);
    assert_used_tso(x, SIDE_B, cfg.up, 2);
    finish(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tso_bulk_clean),    cmocka_unit_test(test_tso_lossy_sack),
        cmocka_unit_test(test_tso_lossy_no_sack), cmocka_unit_test(test_tso_one_side),
        cmocka_unit_test(test_tso_small_window),  cmocka_unit_test(test_tso_wraparound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
