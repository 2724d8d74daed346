/* TCP segmentation offload through the event loop (src/os/loop.c), run with unic_main() on
 * the fake platform's NIC: the stack gets the NIC's tx_tso_max unless a fault is injected (the
 * faults are drawn per wire frame), a super-packet reaches plat_net_send with the description
 * of its headers and checksum (struct plat_net_tso), and a NIC without TSO refuses it
 * (counted as tx_too_long). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_platform.h"
#include "loop_runner.h"
#include "unic.h"
#include "unic/inet_internal.h"
#include "unic/platform.h"
#include "unic/wire/bytes.h"

#define RUN_NS (20 * NSEC_PER_MSEC)
#define TSO_MSS 1448
#define TCP_OPTS_LEN 12 /* NOP, NOP, timestamps */
#define L4_OFFSET 34    /* Ethernet 14 + IPv4 20 */
#define HDRS_LEN (L4_OFFSET + 20 + TCP_OPTS_LEN)
#define PAYLOAD_LEN (3 * TSO_MSS + 100)

static struct timer stop_timer;
static char console[16384];
static uint32_t seen_tso_max; /* the stack's tso_max when the service started */
static int send_result;

static void on_stop(struct timer *t)
{
    (void)t;
    unic_shutdown(0);
}

/* A TCP/IPv4 super-packet of PAYLOAD_LEN bytes, as TCP and ip4 hand it to the link. */
static struct netbuf *build_super_packet(struct inet *inet)
{
    struct netbuf *nb = netbuf_alloc_size(inet->pool, HDRS_LEN + PAYLOAD_LEN);
    assert_non_null(nb);
    uint8_t *f = netbuf_put(nb, HDRS_LEN + PAYLOAD_LEN);
    memset(f, 0, HDRS_LEN + PAYLOAD_LEN);
    wr16(f + 12, 0x0800);
    f[14] = 0x45;
    wr16(f + 16, (uint16_t)(HDRS_LEN - 14 + PAYLOAD_LEN));
    f[14 + 9] = 6;
    f[L4_OFFSET + 12] = (uint8_t)(((20 + TCP_OPTS_LEN) / 4) << 4);
    nb->tso_mss = TSO_MSS;
    return nb;
}

int service_start(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct inet *inet = unic_inet();
    seen_tso_max = inet->tso_max;
    send_result = inet->link_output(inet->link_ctx, build_super_packet(inet));
    timer_init(&stop_timer, on_stop, NULL);
    timer_arm_in(unic_timers(), &stop_timer, RUN_NS);
    return 0;
}

static int run_loop(uint32_t nic_tso_max, double loss)
{
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    fake_net_enable(mac);
    fake_net_tx_tso_max(nic_tso_max);
    struct unic_config cfg = {
        .have_ip = true, .ip = 0x0a000001u, .prefix_len = 24, .verbosity = -1};
    cfg.fault.loss_ppb = FAULT_PPB(loss);
    cfg.fault.seeded = true;
    cfg.fault.seed = 1;
    return loop_run_captured(&cfg, console, sizeof(console));
}

/* A counter of the "stats loop:" line printed at exit. */
static long long loop_stat(const char *name)
{
    return loop_console_stat(console, "loop", name);
}

/* The one frame sent with a TSO description, or NULL. */
static const struct fake_frame *sent_super_packet(void)
{
    const struct fake_frame *found = NULL;
    for (unsigned i = 0; i < fake_net_sent_count(); i++)
        if (fake_net_sent(i)->tso) {
            assert_null(found);
            found = fake_net_sent(i);
        }
    return found;
}

static void test_super_packet_described_to_the_nic(void **state)
{
    (void)state;
    assert_int_equal(run_loop(65535, 0), 0);
    assert_int_equal(seen_tso_max, 65535);
    assert_int_equal(send_result, 0);
    const struct fake_frame *f = sent_super_packet();
    assert_non_null(f);
    assert_int_equal(f->len, HDRS_LEN + PAYLOAD_LEN);
    assert_int_equal(f->tso_meta.gso_size, TSO_MSS);
    assert_int_equal(f->tso_meta.csum_start, L4_OFFSET);
    assert_int_equal(f->tso_meta.csum_offset, 16);
    assert_int_equal(f->tso_meta.hdr_len, HDRS_LEN);
    assert_int_equal(loop_stat("tx_tso_frames"), 1);
    assert_int_equal(loop_stat("tx_too_long"), 0);
}

/* A NIC without TSO (0), or with a limit within the MTU: the stack gets no TSO, and a
 * super-packet handed to the NIC anyway is refused and counted. */
static void test_nic_without_tso(void **state)
{
    (void)state;
    assert_int_equal(run_loop(0, 0), 0);
    assert_int_equal(seen_tso_max, 0);
    assert_null(sent_super_packet());
    assert_int_equal(loop_stat("tx_too_long"), 1); /* the fake NIC refused it: -EINVAL */
    assert_int_equal(loop_stat("tx_tso_frames"), 0);
    assert_int_equal(run_loop(1000, 0), 0);
    assert_int_equal(seen_tso_max, 0);
}

/* Faults act on wire frames: with any, TCP must send wire-sized segments. */
static void test_faults_turn_tso_off(void **state)
{
    (void)state;
    assert_int_equal(run_loop(65535, 0.01), 0);
    assert_int_equal(seen_tso_max, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_super_packet_described_to_the_nic),
        cmocka_unit_test(test_nic_without_tso),
        cmocka_unit_test(test_faults_turn_tso_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
