/* Controls of the deterministic test platform (tests/unit/fake_platform.c). */
#ifndef UNIC_TEST_FAKE_PLATFORM_H
#define UNIC_TEST_FAKE_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unic/platform.h"

void fake_clock_set(uint64_t now); /* never goes back */
void fake_random_seed(uint64_t seed);
void fake_console_quiet(int quiet);
/* The next plat_wait() returns PLAT_WAIT_STATS (as hosted does after SIGUSR1), once. */
void fake_stats_request(void);

/* Keep what is written to the console (NUL-terminated, truncated to (cap)) in (buf); NULL stops. */
void fake_console_capture(char *buf, size_t cap);

/* A fake NIC 0 for tests that run the event loop (unic_main); without it there is no NIC.
 * Sent frames are logged (the first FAKE_FRAME_KEEP bytes of at most FAKE_FRAMES_MAX frames);
 * frames are received only when a test pushes them (fake_net_rx_push). */
#define FAKE_FRAMES_MAX 512
#define FAKE_FRAME_KEEP 128
struct fake_frame {
    size_t len;
    uint8_t data[FAKE_FRAME_KEEP];
    bool tso; /* sent as a TCP super-packet, described by (tso_meta) */
    struct plat_net_tso tso_meta;
};
void fake_net_enable(const uint8_t mac[6]); /* also clears the log and the full state */
void fake_net_disable(void);
/* plat_net_send returns -EAGAIN while the clock is before (t); plat_wait honours the platform
 * contract: after a refusal it returns the NIC's bit at (t) if that comes before its deadline. */
void fake_net_tx_full_until(uint64_t t);
unsigned fake_net_sent_count(void);
const struct fake_frame *fake_net_sent(unsigned i);
uint64_t fake_net_refused(void); /* sends answered -EAGAIN */

/* Frames plat_net_recv delivers, in order, each once (copied; at most FAKE_RX_MAX queued).
 * A frame pushed with (error) < 0 is consumed and reported as that -errno (a NIC that found it
 * malformed: -EBADMSG); one longer than the receiver's room as -EMSGSIZE. plat_wait returns
 * the NIC's bit at once while frames are queued. Returns 0, or -1 when the queue is full. */
#define FAKE_RX_MAX 8
int fake_net_rx_push(const void *frame, size_t len, int error);
/* As fake_net_rx_push, delivered with plat_net_rx.flags (PLAT_NET_RX_*). */
int fake_net_rx_push_flags(const void *frame, size_t len, int error, uint32_t flags);
/* Frames delivered into the receiver's large buffer (plat_net_rx.in_large) since enable. */
uint64_t fake_net_rx_in_large(void);
/* A NIC that never runs dry: once the queued frames are read, plat_net_recv delivers (frame)
 * again and again, (count) times in all (a bound, so a loop that never lets go still ends), and
 * each delivery advances the clock by (ns_per_frame), the time a service spends on a frame.
 * plat_wait reports the NIC at once while any are left. fake_net_enable clears it. */
void fake_net_rx_flood(const void *frame, size_t len, uint64_t count, uint64_t ns_per_frame);
uint64_t fake_net_rx_flood_left(void);
/* The platform's own shutdown request (hosted: SIGINT/SIGTERM) arrives once (frames) flood
 * frames were delivered (0: never); every plat_wait reports it from then on, a poll (past
 * deadline) included. fake_shutdown_requested_at() is the clock then (0 before). */
void fake_shutdown_after_rx(uint64_t frames);
/* The next plat_wait that reports received frames returns (late_ns) later (the clock moves):
 * a process the host did not run while the frames waited. */
void fake_wait_late(uint64_t late_ns);
uint64_t fake_shutdown_requested_at(void);
/* plat_wait calls since fake_net_enable, and those of them with a deadline already past. */
uint64_t fake_wait_calls(void);
uint64_t fake_wait_polls(void);

/* plat_net_info's rx_max_frame (0 by default: wire-sized frames). */
void fake_net_rx_max_frame(uint32_t max);
/* plat_net_info's tx_tso_max (0 after fake_net_enable: no TSO, super-packets -EINVAL). */
void fake_net_tx_tso_max(uint32_t max);

#endif
