/* The event loop's transmit backlog (src/os/loop.c), run through unic_main() on the fake
 * platform's NIC: frames the device refuses with -EAGAIN wait in order and go out once it takes
 * frames again, later frames queue behind them, the backlog is bounded, and its counters are
 * printed at exit. */
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
#include "unic/platform.h"
#include "unic/udp.h"

#define LOOP_TX_BACKLOG 128 /* the bound in src/os/loop.c */
#define ETH_TYPE_OFFSET 12
#define UDP_PAYLOAD_OFFSET 42 /* Ethernet 14 + IPv4 20 + UDP 8 */
#define RUN_NS (50 * NSEC_PER_MSEC)

/* What service_start() does in the current test. */
static struct scenario {
    unsigned datagrams;     /* sent at start, to the broadcast address, payload = index */
    uint64_t full_for_ns;   /* the device refuses frames for this long from the start */
    unsigned late_datagram; /* 1: one more datagram while frames are still backlogged */
} scenario;

static struct timer stop_timer, late_timer;
static struct udp_sock *sock;
static char console[16384];

static void send_datagram(uint16_t index)
{
    uint8_t payload[2] = {(uint8_t)(index >> 8), (uint8_t)index};
    assert_int_equal(udp_sendto(sock, unic_addr_ip4(0xffffffffu), 9, payload, sizeof(payload)), 0);
}

static void on_stop(struct timer *t)
{
    (void)t;
    udp_close(sock);
    unic_shutdown(0);
}

static void on_late(struct timer *t)
{
    (void)t;
    send_datagram((uint16_t)scenario.datagrams);
}

int service_start(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sock = udp_bind(unic_inet(), 0, NULL, NULL, NULL);
    assert_non_null(sock);
    for (unsigned i = 0; i < scenario.datagrams; i++)
        send_datagram((uint16_t)i);
    timer_init(&stop_timer, on_stop, NULL);
    timer_arm_in(unic_timers(), &stop_timer, RUN_NS);
    timer_init(&late_timer, on_late, NULL);
    if (scenario.late_datagram)
        timer_arm_in(unic_timers(), &late_timer, scenario.full_for_ns / 2);
    return 0;
}

/* Run the loop on a fresh fake NIC (10.0.0.1/24, quiet: IPv4 only, no MLD reports or DAD
 * probes among the frames counted) and return its exit status. */
static int run_loop(void)
{
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    fake_net_enable(mac);
    fake_net_tx_full_until(plat_clock_monotonic() + scenario.full_for_ns);
    struct unic_config cfg = {
        .have_ip = true, .ip = 0x0a000001u, .prefix_len = 24, .no_ip6 = true, .verbosity = -1};
    return loop_run_captured(&cfg, console, sizeof(console));
}

/* A counter of the "stats loop:" line printed at exit. */
static long long loop_stat(const char *name)
{
    return loop_console_stat(console, "loop", name);
}

static uint16_t frame_type(unsigned i)
{
    const struct fake_frame *f = fake_net_sent(i);
    assert_non_null(f);
    return (uint16_t)(f->data[ETH_TYPE_OFFSET] << 8 | f->data[ETH_TYPE_OFFSET + 1]);
}

static unsigned frame_index(unsigned i)
{
    const struct fake_frame *f = fake_net_sent(i);
    assert_non_null(f);
    assert_int_equal(frame_type(i), 0x0800);
    assert_true(f->len >= UDP_PAYLOAD_OFFSET + 2);
    return (unsigned)(f->data[UDP_PAYLOAD_OFFSET] << 8 | f->data[UDP_PAYLOAD_OFFSET + 1]);
}

/* The gratuitous ARP first, then datagrams first..first+count-1 in order. */
static void assert_sent_in_order(unsigned count)
{
    assert_int_equal(fake_net_sent_count(), 1 + count);
    assert_int_equal(frame_type(0), 0x0806);
    for (unsigned i = 0; i < count; i++)
        assert_int_equal(frame_index(1 + i), i);
}

static void test_free_device_needs_no_backlog(void **state)
{
    (void)state;
    scenario = (struct scenario){.datagrams = 5};
    assert_int_equal(run_loop(), 0);
    assert_sent_in_order(5);
    assert_int_equal(fake_net_refused(), 0);
    assert_int_equal(loop_stat("tx_frames"), 6);
    assert_int_equal(loop_stat("tx_backlogged"), 0);
}

static void test_refused_frames_wait_and_keep_their_order(void **state)
{
    (void)state;
    scenario = (struct scenario){.datagrams = 20, .full_for_ns = 10 * NSEC_PER_MSEC};
    assert_int_equal(run_loop(), 0);
    assert_true(fake_net_refused() >= 21); /* every frame met a full device at first */
    assert_sent_in_order(20);
    assert_int_equal(loop_stat("tx_frames"), 21);
    assert_int_equal(loop_stat("tx_backlogged"), 21);
    assert_int_equal(loop_stat("tx_backlog_peak"), 21);
    assert_int_equal(loop_stat("tx_backlog_drops"), 0);
    assert_int_equal(loop_stat("tx_errors"), 0);
}

static void test_new_frames_go_behind_the_backlog(void **state)
{
    (void)state;
    scenario =
        (struct scenario){.datagrams = 3, .full_for_ns = 10 * NSEC_PER_MSEC, .late_datagram = 1};
    assert_int_equal(run_loop(), 0);
    assert_sent_in_order(4); /* the late one (index 3) after the three that waited */
    assert_int_equal(loop_stat("tx_backlogged"), 5);
}

static void test_backlog_is_bounded(void **state)
{
    (void)state;
    scenario = (struct scenario){.datagrams = 200, .full_for_ns = 10 * NSEC_PER_MSEC};
    assert_int_equal(run_loop(), 0);
    assert_sent_in_order(LOOP_TX_BACKLOG - 1); /* ARP + the oldest datagrams; the newest dropped */
    assert_int_equal(loop_stat("tx_backlogged"), LOOP_TX_BACKLOG);
    assert_int_equal(loop_stat("tx_backlog_peak"), LOOP_TX_BACKLOG);
    assert_int_equal(loop_stat("tx_backlog_drops"), 201 - LOOP_TX_BACKLOG);
    assert_int_equal(loop_stat("tx_frames"), LOOP_TX_BACKLOG);
}

static void test_frames_never_taken_are_counted_at_exit(void **state)
{
    (void)state;
    scenario = (struct scenario){.datagrams = 4, .full_for_ns = 10 * RUN_NS};
    assert_int_equal(run_loop(), 0);
    assert_int_equal(fake_net_sent_count(), 0);
    assert_int_equal(loop_stat("tx_backlogged"), 5);
    assert_int_equal(loop_stat("tx_backlog_drops"), 5);
    assert_non_null(strstr(console, "in_use=0 ")); /* the discarded frames went back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_device_needs_no_backlog),
        cmocka_unit_test(test_refused_frames_wait_and_keep_their_order),
        cmocka_unit_test(test_new_frames_go_behind_the_backlog),
        cmocka_unit_test(test_backlog_is_bounded),
        cmocka_unit_test(test_frames_never_taken_are_counted_at_exit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
