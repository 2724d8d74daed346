/*
 * A deterministic platform for unit tests and fuzz harnesses: a virtual clock the test sets
 * (fake_clock_set), reproducible "random" bytes, console on stderr (or captured), and no NICs
 * unless a test enables the fake NIC 0 (fake_net_enable), whose sends are logged and may be
 * refused with -EAGAIN for a while (fake_net_tx_full_until), and which may be flooded with
 * frames that never run dry (fake_net_rx_flood).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_platform.h"
#include "unic/platform.h"

static uint64_t fake_now = 1000000000ull; /* 1 s: keeps "time 0" special cases out of tests */
static uint64_t fake_rng = 0x853c49e6748fea9bull;
static int fake_quiet_console;
static char *fake_capture;
static size_t fake_capture_cap, fake_capture_len;

static struct {
    bool enabled;
    uint8_t mac[6];
    uint64_t tx_full_until; /* sends before this time are refused */
    uint32_t tx_tso_max;    /* plat_net_info's; fake_net_enable resets it to 0 */
    bool refused_since_wait;
    uint64_t refused;
    unsigned sent_count;
    struct fake_frame sent[FAKE_FRAMES_MAX];
} fake_nic;

static struct {
    uint32_t max_frame;
    unsigned head, count;
    uint64_t in_large; /* frames delivered into the caller's large buffer */
    struct {
        size_t len;
        int error;
        uint32_t flags;
        uint8_t data[PLAT_NET_MAX_FRAME];
    } frames[FAKE_RX_MAX];
} fake_rx;

static struct {
    uint64_t left, ns_per_frame, delivered;
    size_t len;
    uint8_t frame[PLAT_NET_MAX_FRAME];
    uint64_t shutdown_after; /* flood frames before the shutdown request; 0: none */
    uint64_t shutdown_at;    /* the clock when it came; 0: not yet                */
    uint64_t wait_calls, wait_polls;
    uint64_t late_ns; /* fake_wait_late: the next wake that reports frames comes this late */
} fake_flood;

void fake_clock_set(uint64_t now)
{
    if (now > fake_now)
        fake_now = now;
}

void fake_random_seed(uint64_t seed)
{
    fake_rng = seed ? seed : 1;
}

void fake_console_quiet(int quiet)
{
    fake_quiet_console = quiet;
}

void fake_console_capture(char *buf, size_t cap)
{
    fake_capture = cap ? buf : NULL;
    fake_capture_cap = cap;
    fake_capture_len = 0;
    if (fake_capture)
        fake_capture[0] = 0;
}

static void fake_capture_append(const char *s, size_t n)
{
    size_t room = fake_capture_cap - 1 - fake_capture_len;
    if (n > room)
        n = room;
    memcpy(fake_capture + fake_capture_len, s, n);
    fake_capture_len += n;
    fake_capture[fake_capture_len] = 0;
}

void fake_net_enable(const uint8_t mac[6])
{
    memset(&fake_nic, 0, sizeof(fake_nic));
    fake_nic.enabled = true;
    memcpy(fake_nic.mac, mac, 6);
    fake_rx.max_frame = 0;
    fake_rx.head = fake_rx.count = 0;
    fake_rx.in_large = 0;
    memset(&fake_flood, 0, sizeof(fake_flood));
}

void fake_net_rx_flood(const void *frame, size_t len, uint64_t count, uint64_t ns_per_frame)
{
    if (len > sizeof(fake_flood.frame))
        len = sizeof(fake_flood.frame);
    memcpy(fake_flood.frame, frame, len);
    fake_flood.len = len;
    fake_flood.left = count;
    fake_flood.ns_per_frame = ns_per_frame;
    fake_flood.delivered = 0;
}

uint64_t fake_net_rx_flood_left(void)
{
    return fake_flood.left;
}

void fake_wait_late(uint64_t late_ns)
{
    fake_flood.late_ns = late_ns;
}

void fake_shutdown_after_rx(uint64_t frames)
{
    fake_flood.shutdown_after = frames;
    fake_flood.shutdown_at = 0;
}

uint64_t fake_shutdown_requested_at(void)
{
    return fake_flood.shutdown_at;
}

uint64_t fake_wait_calls(void)
{
    return fake_flood.wait_calls;
}

uint64_t fake_wait_polls(void)
{
    return fake_flood.wait_polls;
}

/* The next flood frame into (buf); false when the flood is over. */
static bool fake_flood_recv(struct plat_net_rx *rx, int *r)
{
    if (!fake_flood.left)
        return false;
    fake_flood.left--;
    fake_flood.delivered++;
    fake_clock_set(fake_now + fake_flood.ns_per_frame);
    if (fake_flood.delivered == fake_flood.shutdown_after)
        fake_flood.shutdown_at = fake_now;
    *r = plat_net_rx_copy(rx, fake_flood.frame, fake_flood.len);
    return true;
}

int fake_net_rx_push(const void *frame, size_t len, int error)
{
    return fake_net_rx_push_flags(frame, len, error, 0);
}

uint64_t fake_net_rx_in_large(void)
{
    return fake_rx.in_large;
}

int fake_net_rx_push_flags(const void *frame, size_t len, int error, uint32_t flags)
{
    if (fake_rx.count == FAKE_RX_MAX || len > PLAT_NET_MAX_FRAME)
        return -1;
    unsigned i = (fake_rx.head + fake_rx.count++) % FAKE_RX_MAX;
    fake_rx.frames[i].len = len;
    fake_rx.frames[i].error = error;
    fake_rx.frames[i].flags = flags;
    memcpy(fake_rx.frames[i].data, frame, len);
    return 0;
}

void fake_net_rx_max_frame(uint32_t max)
{
    fake_rx.max_frame = max;
}

void fake_net_tx_tso_max(uint32_t max)
{
    fake_nic.tx_tso_max = max;
}

void fake_net_disable(void)
{
    fake_nic.enabled = false;
}

void fake_net_tx_full_until(uint64_t t)
{
    fake_nic.tx_full_until = t;
}

unsigned fake_net_sent_count(void)
{
    return fake_nic.sent_count;
}

const struct fake_frame *fake_net_sent(unsigned i)
{
    return i < fake_nic.sent_count ? &fake_nic.sent[i] : NULL;
}

uint64_t fake_net_refused(void)
{
    return fake_nic.refused;
}

uint64_t plat_clock_monotonic(void)
{
    return fake_now;
}

uint64_t plat_clock_wall(void)
{
    return 1700000000ull * 1000000000ull + fake_now;
}

void plat_console_write(const char *s, size_t n)
{
    if (fake_capture)
        fake_capture_append(s, n);
    if (!fake_quiet_console)
        fwrite(s, 1, n, stderr);
}

void plat_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        fake_rng ^= fake_rng << 13;
        fake_rng ^= fake_rng >> 7;
        fake_rng ^= fake_rng << 17;
        p[i] = (uint8_t)(fake_rng >> 24);
    }
}

/* The fake NICs keep no counters of their own: the tests read the stack's. */
void plat_print_stats(void) {}

const char *plat_cmdline(void)
{
    return "test";
}

_Noreturn void plat_exit(int status)
{
    fflush(stderr);
    exit(status);
}

/* Jumps the clock to the deadline, or to the moment a full NIC takes frames again if that
 * comes first. With no deadline and nothing to come, it reports a shutdown: a real platform
 * would sleep forever and the test would hang. */
static bool fake_stats_pending;

void fake_stats_request(void)
{
    fake_stats_pending = true;
}

uint64_t plat_wait(uint64_t deadline_ns)
{
    if (fake_stats_pending) {
        fake_stats_pending = false;
        return PLAT_WAIT_STATS;
    }
    fake_flood.wait_calls++;
    if (deadline_ns <= fake_now)
        fake_flood.wait_polls++;
    if (fake_flood.shutdown_at)
        return PLAT_WAIT_SHUTDOWN | (fake_nic.enabled ? 1 : 0);
    if (fake_nic.enabled && (fake_rx.count || fake_flood.left)) {
        fake_clock_set(fake_now + fake_flood.late_ns);
        fake_flood.late_ns = 0;
        return 1;
    }
    if (fake_nic.enabled && fake_nic.refused_since_wait && fake_nic.tx_full_until <= deadline_ns) {
        fake_nic.refused_since_wait = false;
        fake_clock_set(fake_nic.tx_full_until);
        return 1;
    }
    if (deadline_ns == UINT64_MAX)
        return fake_nic.enabled ? PLAT_WAIT_SHUTDOWN : 0;
    fake_clock_set(deadline_ns);
    return 0;
}

unsigned plat_net_count(void)
{
    return fake_nic.enabled ? 1 : 0;
}

int plat_net_info(unsigned nic, struct plat_net_info *out)
{
    if (!fake_nic.enabled || nic != 0)
        return -19; /* -ENODEV */
    memset(out, 0, sizeof(*out));
    memcpy(out->mac, fake_nic.mac, 6);
    out->mtu = 1500;
    out->rx_max_frame = fake_rx.max_frame;
    out->tx_tso_max = fake_nic.tx_tso_max;
    return 0;
}

int plat_net_send(unsigned nic, const void *frame, size_t len, const struct plat_net_tso *tso)
{
    if (!fake_nic.enabled || nic != 0)
        return -19;
    if (len == 0 || len > (tso ? fake_nic.tx_tso_max + 18 : 1518) || (tso && !fake_nic.tx_tso_max))
        return -22; /* -EINVAL */
    if (plat_clock_monotonic() < fake_nic.tx_full_until) {
        fake_nic.refused++;
        fake_nic.refused_since_wait = true;
        return -11; /* -EAGAIN */
    }
    if (fake_nic.sent_count < FAKE_FRAMES_MAX) {
        struct fake_frame *f = &fake_nic.sent[fake_nic.sent_count++];
        f->len = len;
        memcpy(f->data, frame, len < FAKE_FRAME_KEEP ? len : FAKE_FRAME_KEEP);
        f->tso = tso != NULL;
        if (tso)
            f->tso_meta = *tso;
    }
    return 0;
}

int plat_net_recv(unsigned nic, struct plat_net_rx *rx)
{
    if (!fake_nic.enabled || nic != 0)
        return -11; /* -EAGAIN */
    int r;
    if (fake_rx.count == 0)
        return fake_flood_recv(rx, &r) ? r : -11;
    unsigned i = fake_rx.head;
    fake_rx.head = (fake_rx.head + 1) % FAKE_RX_MAX;
    fake_rx.count--;
    if (fake_rx.frames[i].error < 0)
        return fake_rx.frames[i].error;
    r = plat_net_rx_copy(rx, fake_rx.frames[i].data, fake_rx.frames[i].len);
    if (r == 0 && rx->in_large)
        fake_rx.in_large++;
    rx->flags = fake_rx.frames[i].flags;
    return r;
}

void *plat_heap(size_t *len)
{
    *len = 0;
    return NULL;
}
