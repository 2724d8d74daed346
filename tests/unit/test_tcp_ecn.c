/* ECN (RFC 3168 6.1) on the two-stack wire, with a tap that reads the IP ECN field and the
 * TCP flags of every frame and can mark data Congestion Experienced as an AQM router would:
 * negotiation (an ECN-setup SYN, a SYN-ACK that agrees, or not when either side is off),
 * ECT(0) on new data only, ECE echoed from the first CE until the sender's CWR, one reduction
 * per window without a loss, retransmissions and a SYN sent again without ECN. */
#include "../../src/net/tcp_internal.h"
#include "test_tcp_util.h"

#define ECT0 2
#define CE 3

struct ecn_watch {
    unsigned syn_flags, synack_flags; /* ECE / CWR of the first SYN and SYN-ACK */
    unsigned syns;
    unsigned data[2], data_ect[2]; /* data frames by side, and those marked ECT(0) */
    unsigned acks_ect;             /* pure ACKs marked ECT: must stay 0 */
    unsigned marked;               /* data frames from B the tap marked CE */
    unsigned mark_every;           /* 0: none */
    unsigned a_acks, a_ece_acks;   /* A's segments to B, and those with ECE */
    unsigned b_cwr;                /* B's segments with CWR */
    bool drop_first_syn;
    uint32_t lost_seq; /* a data segment of B dropped once (0: none); its resend's ECN: */
    int lost_resend_ecn;
};
static struct ecn_watch w;

static void set_ecn(uint8_t *ip, uint8_t ecn)
{
    ip[1] = (uint8_t)((ip[1] & ~3) | ecn);
    wr16(ip + 10, 0);
    wr16(ip + 10, ip_checksum(ip, (size_t)(ip[0] & 15) * 4));
}

static bool tap(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    struct seen s;
    if (!parse_seen(nb, &s))
        return true;
    uint8_t *ip = nb->data + 14, ecn = ip[1] & 3, f = s.h.flags;
    if (f & TCP_SYN) {
        if (!(f & TCP_ACK) && w.syns++ == 0) {
            w.syn_flags = f & (TCP_ECE | TCP_CWR);
            if (w.drop_first_syn)
                return false;
        } else if ((f & TCP_ACK) && !w.synack_flags) {
            w.synack_flags = (f & (TCP_ECE | TCP_CWR)) | 0x100;
        }
        assert_int_equal(ecn, 0); /* 6.1.1: SYNs are not ECT */
        return true;
    }
    if (from == SIDE_A) {
        w.a_acks++;
        w.a_ece_acks += (f & TCP_ECE) != 0;
    } else if (f & TCP_CWR) {
        w.b_cwr++;
    }
    if (!s.len) {
        w.acks_ect += ecn != 0;
        return true;
    }
    if (from == SIDE_B && w.lost_seq && s.h.seq == w.lost_seq) {
        if (w.lost_resend_ecn < 0) {
            w.lost_resend_ecn = 0x100; /* the first time: lost */
            return false;
        }
        w.lost_resend_ecn = ecn;
        return true;
    }
    w.data[from]++;
    w.data_ect[from] += ecn == ECT0;
    /* Two consecutive frames of a window: one congestion event, one reduction. */
    if (from == SIDE_B && w.mark_every && w.data[from] % w.mark_every <= 1 && ecn == ECT0) {
        set_ecn(ip, CE);
        w.marked++;
    }
    return true;
}

static void configure(struct inet *inet, uint8_t ecn)
{
    struct tcp_params p;
    tcp_default_params(&p);
    p.ecn = ecn;
    assert_int_equal(tcp_configure(inet, &p), 0);
}

/* B (the client) sends (up) bytes, A (down) bytes; returns the finished transfer. */
static void transfer(uint8_t ecn_a, uint8_t ecn_b, uint64_t up, uint64_t down, struct bulk *b)
{
    b->h = harness_new(NULL);
    configure(harness_a(b->h), ecn_a);
    configure(harness_b(b->h), ecn_b);
    b->h->tap = tap;
    bulk_start(b, up, down, 7, 8);
    assert_true(harness_run_until(b->h, bulk_done, b, 60 * NSEC_PER_SEC));
    bulk_check(b, up, down);
}

static int64_t stat_of(struct bulk *b, enum harness_side side, const char *name)
{
    return tcp_stat(side == SIDE_A ? harness_a(b->h) : harness_b(b->h), name);
}

/* Both sides agree; every new data segment either way is ECT(0), no pure ACK is. */
static void test_ecn_negotiated(void **state)
{
    (void)state;
    w = (struct ecn_watch){0};
    struct bulk b = {0};
    transfer(TCP_ECN_PASSIVE, TCP_ECN_ON, 300000, 200000, &b);
    assert_int_equal(w.syn_flags, TCP_ECE | TCP_CWR);
    assert_int_equal(w.synack_flags, TCP_ECE | 0x100);
    assert_int_equal(stat_of(&b, SIDE_A, "ecn_conns"), 1);
    assert_int_equal(stat_of(&b, SIDE_B, "ecn_conns"), 1);
    for (int s = 0; s < 2; s++) {
        assert_true(w.data[s] > 100);
        assert_int_equal(w.data_ect[s], w.data[s]);
    }
    assert_int_equal(w.acks_ect, 0);
    assert_int_equal(w.a_ece_acks, 0);
    assert_int_equal(stat_of(&b, SIDE_B, "ecn_reductions"), 0);
    bulk_finish(&b);
}

/* Not agreed when the server is off, nor asked when the client is passive: no marks. */
static void test_ecn_off(void **state)
{
    (void)state;
    const uint8_t modes[2][2] = {{TCP_ECN_OFF, TCP_ECN_ON}, {TCP_ECN_ON, TCP_ECN_PASSIVE}};
    for (int i = 0; i < 2; i++) {
        w = (struct ecn_watch){0};
        struct bulk b = {0};
        transfer(modes[i][0], modes[i][1], 100000, 100000, &b);
        assert_int_equal(w.syn_flags, i == 0 ? TCP_ECE | TCP_CWR : 0);
        assert_int_equal(w.synack_flags, 0x100);
        assert_int_equal(w.data_ect[0] + w.data_ect[1], 0);
        assert_int_equal(stat_of(&b, SIDE_A, "ecn_conns") + stat_of(&b, SIDE_B, "ecn_conns"), 0);
        bulk_finish(&b);
    }
}

/* The 40th and 41st of every 40 data frames from B arrive CE: A echoes ECE and stops at B's
 * CWR; B reduces without a retransmission, once per pair (once per window of data). */
static void test_ecn_ce_echoed_and_reduced(void **state)
{
    (void)state;
    w = (struct ecn_watch){.mark_every = 40};
    struct bulk b = {0};
    transfer(TCP_ECN_PASSIVE, TCP_ECN_ON, 2000000, 0, &b);
    assert_true(w.marked >= 10);
    assert_int_equal(stat_of(&b, SIDE_A, "rx_ecn_ce"), w.marked);
    int64_t reductions = stat_of(&b, SIDE_B, "ecn_reductions");
    assert_true(reductions >= w.marked / 4 &&
                reductions <= (w.marked + 1) / 2); /* frame 1: alone */
    assert_int_equal(w.b_cwr, reductions);
    assert_true(w.a_ece_acks > 0);
    assert_true(w.a_ece_acks < w.a_acks / 2); /* it stopped at each CWR */
    assert_int_equal(stat_of(&b, SIDE_B, "tx_retransmits"), 0);
    bulk_finish(&b);
}

/* A data segment lost once goes again without ECT (6.1.5); a SYN lost once goes again
 * without ECE and CWR, and the connection then does without ECN. */
static void test_ecn_not_on_retransmissions(void **state)
{
    (void)state;
    w = (struct ecn_watch){.lost_seq = 1, .lost_resend_ecn = -1};
    struct bulk b = {0};
    b.h = harness_new(NULL);
    configure(harness_b(b.h), TCP_ECN_ON);
    b.h->tap = tap;
    bulk_start(&b, 200000, 0, 7, 8);
    w.lost_seq = b.cli.conn->iss + 1 + 20 * 1448; /* the 21st segment (timestamps: MSS 1448) */
    assert_true(harness_run_until(b.h, bulk_done, &b, 60 * NSEC_PER_SEC));
    bulk_check(&b, 200000, 0);
    assert_int_equal(w.lost_resend_ecn, 0);
    assert_true(w.data_ect[SIDE_B] > 100);
    bulk_finish(&b);

    w = (struct ecn_watch){.drop_first_syn = true};
    struct bulk c = {0};
    transfer(TCP_ECN_PASSIVE, TCP_ECN_ON, 50000, 0, &c);
    assert_int_equal(w.syns, 2);
    assert_int_equal(w.synack_flags, 0x100);
    assert_int_equal(w.data_ect[SIDE_B], 0);
    bulk_finish(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecn_negotiated),
        cmocka_unit_test(test_ecn_off),
        cmocka_unit_test(test_ecn_ce_echoed_and_reduced),
        cmocka_unit_test(test_ecn_not_on_retransmissions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
