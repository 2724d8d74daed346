/* The event loop (src/os/loop.c) under a receive flood, run through unic_main() on the fake
 * platform's NIC that never runs dry: the platform's shutdown request (a signal on hosted)
 * still stops the service within a bounded number of frames and a bounded time, and once the
 * service called unic_shutdown() no further frame reaches the stack. */
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
#define FLOOD_FRAMES 20000
/* What the loop promises (loop.c): it asks the platform at least every 4 full batches of 128
 * frames, and at least once per batch when 10 ms have passed since it last asked. */
#define CONSULT_FRAMES (4 * 128)

static const uint8_t our_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static struct udp_sock *sock;
static char console[16384];
static uint64_t got;
static uint64_t shutdown_at_datagram; /* 0: the service never calls unic_shutdown */

static void on_datagram(struct udp_sock *s, const struct udp_meta *meta, const uint8_t *data,
                        size_t len)
{
    (void)meta, (void)data, (void)len;
    got++;
    if (got == shutdown_at_datagram) {
        udp_close(s);
        sock = NULL;
        unic_shutdown(0);
    }
}

int service_start(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sock = udp_bind(unic_inet(), PORT, on_datagram, NULL, NULL);
    assert_non_null(sock);
    return 0;
}

/* One small datagram from the peer to our port, the frame of the whole flood. */
static size_t flood_frame(uint8_t *f)
{
    const size_t payload = 18, l4 = UDP_HDR_LEN + payload;
    memcpy(f, our_mac, 6);
    memcpy(f + 6, (const uint8_t[]){0x02, 0, 0, 0, 0, 0x09, 0x08, 0x00}, 8);
    memset(f + 14 + 20 + UDP_HDR_LEN, 'x', payload);
    struct udp_hdr u = {.sport = 5000, .dport = PORT};
    assert_int_equal(udp_emit(f + 34, l4, &u, PEER_ADDR, OUR_ADDR, payload), UDP_HDR_LEN);
    struct ip4_hdr ip = {.total_len = (uint16_t)(20 + l4),
                         .ttl = 64,
                         .proto = IP4_PROTO_UDP,
                         .src = PEER_ADDR,
                         .dst = OUR_ADDR};
    assert_int_equal(ip4_emit(f + 14, 20, &ip), 20);
    return 34 + l4;
}

/* Flood the loop with FLOOD_FRAMES datagrams, each taking (ns_per_frame) of the clock; the
 * platform's shutdown request after (signal_after) of them (0: none). Returns the exit status. */
static int run_flood(uint64_t ns_per_frame, uint64_t signal_after)
{
    uint8_t f[128];
    fake_net_enable(our_mac);
    fake_net_rx_flood(f, flood_frame(f), FLOOD_FRAMES, ns_per_frame);
    fake_shutdown_after_rx(signal_after);
    got = 0;
    struct unic_config cfg = {.have_ip = true, .ip = OUR_ADDR, .prefix_len = 24, .verbosity = -1};
    return loop_run_captured(&cfg, console, sizeof(console));
}

/* Before: the loop never asked the platform while batches came back full, so all 20000 frames
 * went up and the request was seen only when the flood ended (iterations=157 waits=1). */
static void test_signal_under_flood_stops_the_loop(void **state)
{
    (void)state;
    shutdown_at_datagram = 0;
    assert_int_equal(run_flood(1000, 5000), 0);
    assert_true(fake_shutdown_requested_at() > 0);
    assert_true(got >= 5000);
    assert_true(got - 5000 <= CONSULT_FRAMES);
    assert_true(fake_net_rx_flood_left() >= FLOOD_FRAMES - 5000 - CONSULT_FRAMES);
    assert_true(fake_wait_polls() >= 5000 / CONSULT_FRAMES);
    assert_true(loop_console_stat(console, "loop", "polls") >= 5000 / CONSULT_FRAMES);
}

/* A service slow on each frame (200 us: a batch of 128 takes 25.6 ms): the platform is asked
 * after every batch once 10 ms have passed, not only every 4 batches (100 ms). The request
 * comes early in the fifth batch, whose end is the next chance to see it. */
static void test_signal_under_slow_flood_is_seen_after_one_batch(void **state)
{
    (void)state;
    shutdown_at_datagram = 0;
    const uint64_t per_frame = 200 * NSEC_PER_USEC;
    assert_int_equal(run_flood(per_frame, 4 * 128 + 8), 0);
    uint64_t seen_after = plat_clock_monotonic() - fake_shutdown_requested_at();
    assert_true(seen_after <= 128 * per_frame);
    assert_true(got <= 5 * 128);
}

/* Before: the rest of the batch still went up after the service closed its socket and called
 * unic_shutdown() (rx_frames=1024 for a shutdown at 1000, 24 datagrams to a closed port). */
static void test_no_frame_after_unic_shutdown(void **state)
{
    (void)state;
    shutdown_at_datagram = 1000;
    assert_int_equal(run_flood(1000, 0), 0);
    assert_int_equal(got, 1000);
    assert_int_equal(loop_console_stat(console, "loop", "rx_frames"), 1000);
    assert_int_equal(loop_console_stat(console, "udp", "rx_no_port"), 0);
    assert_int_equal(fake_net_rx_flood_left(), FLOOD_FRAMES - 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_under_flood_stops_the_loop),
        cmocka_unit_test(test_signal_under_slow_flood_is_seen_after_one_batch),
        cmocka_unit_test(test_no_frame_after_unic_shutdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
