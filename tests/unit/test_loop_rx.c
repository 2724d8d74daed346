/* The event loop's receive path (src/os/loop.c), run through unic_main() on the fake
 * platform's NIC: a NIC that states a large rx_max_frame (the hosted TAP with offloads) gets
 * frames of up to 64 KB up whole, small ones beside them still in pool buffers; a NIC without
 * it has its long frames dropped and counted; frames the NIC reports malformed are counted. */
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
#include "unic/wire/ip4.h"
#include "unic/wire/udp.h"

#define OUR_ADDR 0x0a000001u
#define PEER_ADDR 0x0a000009u
#define PORT 9
#define RUN_NS (50 * NSEC_PER_MSEC)
#define MAX_DATAGRAMS 8

static const uint8_t our_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static struct timer stop_timer;
static struct udp_sock *sock;
static char console[16384];
static size_t got_len[MAX_DATAGRAMS];
static unsigned got;
static uint64_t got_now, got_clock; /* the stack's clock, and the platform's, then */

static uint8_t pattern(size_t i, size_t len)
{
    return (uint8_t)(i * 31 + len);
}

static void on_datagram(struct udp_sock *s, const struct udp_meta *meta, const uint8_t *data,
                        size_t len)
{
    (void)s;
    (void)meta;
    for (size_t i = 0; i < len; i++)
        assert_int_equal(data[i], pattern(i, len));
    assert_true(got < MAX_DATAGRAMS);
    got_now = unic_timers()->now;
    got_clock = plat_clock_monotonic();
    got_len[got++] = len;
}

/* test_frames_before_due_timers: a timer due while the frames waited records what it saw. */
static struct timer idle_timer;
static bool arm_idle_timer;
static int got_at_idle = -1;

static void on_idle(struct timer *t)
{
    (void)t;
    got_at_idle = (int)got;
}

static void on_stop(struct timer *t)
{
    (void)t;
    udp_close(sock);
    unic_shutdown(0);
}

int service_start(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sock = udp_bind(unic_inet(), PORT, on_datagram, NULL, NULL);
    assert_non_null(sock);
    timer_init(&stop_timer, on_stop, NULL);
    timer_arm_in(unic_timers(), &stop_timer, RUN_NS);
    if (arm_idle_timer) {
        timer_init(&idle_timer, on_idle, NULL);
        timer_arm_in(unic_timers(), &idle_timer, 10 * NSEC_PER_MSEC);
    }
    return 0;
}

/* Queue one unfragmented datagram of (payload) bytes from the peer to us; (error) and (flags)
 * as in fake_net_rx_push_flags; (bad_csum): its UDP checksum off by one. */
static void push_datagram_ex(size_t payload, int error, uint32_t flags, bool bad_csum)
{
    static uint8_t f[PLAT_NET_MAX_FRAME];
    size_t l4 = UDP_HDR_LEN + payload;
    assert_true(14 + 20 + l4 <= sizeof(f));
    memcpy(f, our_mac, 6);
    memcpy(f + 6, (const uint8_t[]){0x02, 0, 0, 0, 0, 0x09, 0x08, 0x00}, 8);
    for (size_t i = 0; i < payload; i++)
        f[14 + 20 + UDP_HDR_LEN + i] = pattern(i, payload);
    struct udp_hdr u = {.sport = 5000, .dport = PORT};
    assert_int_equal(udp_emit(f + 34, l4, &u, PEER_ADDR, OUR_ADDR, payload), UDP_HDR_LEN);
    struct ip4_hdr ip = {.total_len = (uint16_t)(20 + l4),
                         .ttl = 64,
                         .proto = IP4_PROTO_UDP,
                         .src = PEER_ADDR,
                         .dst = OUR_ADDR,
                         .df = true};
    assert_int_equal(ip4_emit(f + 14, 20, &ip), 20);
    if (bad_csum)
        f[34 + 7] ^= 1;
    assert_int_equal(fake_net_rx_push_flags(f, 34 + l4, error, flags), 0);
}

static void push_datagram(size_t payload, int error)
{
    push_datagram_ex(payload, error, 0, false);
}

/* Run the loop on the fake NIC with the frames pushed so far; returns the exit status. */
static int run_loop(uint32_t rx_max_frame)
{
    fake_net_rx_max_frame(rx_max_frame);
    struct unic_config cfg = {.have_ip = true, .ip = OUR_ADDR, .prefix_len = 24, .verbosity = -1};
    return loop_run_captured(&cfg, console, sizeof(console));
}

static void setup(void)
{
    fake_net_enable(our_mac);
    got = 0;
    memset(got_len, 0, sizeof(got_len));
}

/* A counter of the "stats loop:" line printed at exit. */
static long long loop_stat(const char *name)
{
    return loop_console_stat(console, "loop", name);
}

static void test_large_frames_go_up_whole(void **state)
{
    (void)state;
    setup();
    push_datagram(100, 0);
    push_datagram(30000, 0);
    push_datagram(200, 0);
    push_datagram(UDP_MAX_PAYLOAD, 0); /* a 65535-byte IPv4 packet */
    push_datagram(1400, 0);
    assert_int_equal(run_loop(PLAT_NET_MAX_FRAME), 0);
    assert_int_equal(got, 5);
    assert_int_equal(got_len[0], 100);
    assert_int_equal(got_len[1], 30000);
    assert_int_equal(got_len[2], 200);
    assert_int_equal(got_len[3], UDP_MAX_PAYLOAD);
    assert_int_equal(got_len[4], 1400);
    assert_int_equal(loop_stat("rx_frames"), 5);
    assert_int_equal(loop_stat("rx_large"), 2);
    assert_int_equal(fake_net_rx_in_large(), 2); /* the small ones were read where they stay */
    assert_int_equal(loop_stat("rx_too_long"), 0);
    assert_non_null(strstr(console, "in_use=0 ")); /* every pool buffer went back */
    assert_non_null(strstr(console, "large_refused=0"));
}

static void test_wire_sized_nic_drops_long_frames(void **state)
{
    (void)state;
    setup();
    push_datagram(100, 0);
    push_datagram(3000, 0);
    push_datagram(200, 0);
    assert_int_equal(run_loop(0), 0);
    assert_int_equal(got, 2);
    assert_int_equal(got_len[0], 100);
    assert_int_equal(got_len[1], 200);
    assert_int_equal(loop_stat("rx_too_long"), 1);
    assert_int_equal(loop_stat("rx_large"), 0);
}

static void test_malformed_offload_is_counted(void **state)
{
    (void)state;
    setup();
    push_datagram(40000, -EBADMSG);
    push_datagram(100, -EBADMSG);
    push_datagram(300, 0);
    assert_int_equal(run_loop(PLAT_NET_MAX_FRAME), 0);
    assert_int_equal(got, 1);
    assert_int_equal(got_len[0], 300);
    assert_int_equal(loop_stat("rx_bad_offload"), 2);
    assert_int_equal(loop_stat("rx_errors"), 0);
    assert_int_equal(loop_stat("rx_frames"), 1);
}

/* A frame the NIC vouches for (PLAT_NET_RX_CSUM_OK: a partial checksum from the host, or one
 * the device verified) is not summed again: a wrong checksum in it goes unseen, while the same
 * frame without the flag is dropped and counted; large or small alike. */
static void test_vouched_checksum_is_not_summed(void **state)
{
    (void)state;
    setup();
    push_datagram_ex(100, 0, PLAT_NET_RX_CSUM_OK, true);
    push_datagram_ex(100, 0, 0, true);
    push_datagram_ex(20000, 0, PLAT_NET_RX_CSUM_OK, true);
    push_datagram_ex(20000, 0, 0, true);
    push_datagram_ex(300, 0, 0, false);
    assert_int_equal(run_loop(PLAT_NET_MAX_FRAME), 0);
    assert_int_equal(got, 3);
    assert_int_equal(got_len[0], 100);
    assert_int_equal(got_len[1], 20000);
    assert_int_equal(got_len[2], 300);
    assert_int_equal(loop_console_stat(console, "udp", "rx_bad_checksum"), 2);
    assert_int_equal(loop_stat("rx_frames"), 5);
}

/* The process wakes 20 ms late (the host ran something else) with a datagram waiting and a
 * timer due meanwhile: the loop takes the frames in before it runs the timer, as a kernel
 * handles packets that arrived before a timeout. Before, the timer ran first, so an idle
 * timeout aborted a connection whose request was already queued, and a retransmission timer
 * resent what the waiting ACK acknowledged (http.hosted under a loaded CI: a wrk read error). */
static void test_frames_before_due_timers(void **state)
{
    (void)state;
    setup();
    arm_idle_timer = true;
    got_at_idle = -1;
    push_datagram(100, 0);
    fake_wait_late(20 * NSEC_PER_MSEC);
    assert_int_equal(run_loop(0), 0);
    arm_idle_timer = false;
    assert_int_equal(got, 1);
    assert_int_equal(got_at_idle, 1);
    /* ... and the stack read the clock of the wake, not the one before the wait (ICMP's rate
     * limit and every RTT and timer the input arms depend on it). */
    assert_true(got_now >= 20 * NSEC_PER_MSEC);
    assert_int_equal(got_now, got_clock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_frames_go_up_whole),
        cmocka_unit_test(test_wire_sized_nic_drops_long_frames),
        cmocka_unit_test(test_malformed_offload_is_counted),
        cmocka_unit_test(test_vouched_checksum_is_not_summed),
        cmocka_unit_test(test_frames_before_due_timers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
