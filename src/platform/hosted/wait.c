/*
 * plat_wait() on libuv: a uv_poll_t on each TAP descriptor, a uv_timer_t for the deadline and a
 * uv_signal_t for SIGINT and SIGTERM (shutdown) and SIGUSR1 (print the counters: reported once
 * as PLAT_WAIT_STATS), all on one private loop that runs only inside plat_wait()
 * with UV_RUN_ONCE, so an idle service sleeps in epoll_wait and uses no CPU.
 *
 * The poll handles stay armed between calls: libuv's epoll is level-triggered and its callbacks
 * run only inside uv_run(), so a TAP the core has not drained yet simply reports itself again
 * at the next plat_wait() (no frame is missed, nothing runs behind the core's back, and no
 * epoll_ctl is spent per frame). A replay NIC is always ready until its capture is exhausted.
 *
 * After a send found the TAP full (-EAGAIN), its poll also watches for writability, once: the
 * wake-up reports the NIC ready, so the core retries its transmit backlog, and the poll goes
 * back to readable only (level-triggered writability would otherwise wake every call).
 *
 * Before it sleeps, the heap may give back what glibc keeps free (heap.c).
 */
#include <signal.h>
#include <string.h>

#include <uv.h>

#include "hosted.h"

#define NS_PER_MS 1000000ull

static uv_loop_t wait_loop;
static uv_timer_t wait_timer;
static uv_signal_t wait_sigint, wait_sigterm, wait_sigusr1;
static uv_poll_t wait_polls[PLAT_MAX_NICS];
static bool wait_polling[PLAT_MAX_NICS];
static bool wait_writable[PLAT_MAX_NICS]; /* also watching for room to send */
static uint64_t wait_ready;               /* bits set by the callbacks of the current plat_wait() */
static bool wait_shutdown;                /* SIGINT/SIGTERM seen: every later call reports it    */
static bool wait_stats;                   /* SIGUSR1 seen: the next call reports it, once        */

static void wait_on_ready(uv_poll_t *handle, int status, int events)
{
    unsigned nic = (unsigned)(uintptr_t)handle->data;
    /* On a poll error the bit is set too: the read that follows reports the device error. */
    if (status < 0) {
        uv_poll_stop(handle);
        wait_polling[nic] = false;
        wait_writable[nic] = false;
    } else if ((events & UV_WRITABLE) && wait_writable[nic]) {
        wait_writable[nic] = false;
        uv_poll_start(handle, UV_READABLE, wait_on_ready);
    }
    wait_ready |= 1ull << nic;
}

void wait_watch_writable(unsigned nic)
{
    if (nic >= PLAT_MAX_NICS || !wait_polling[nic] || wait_writable[nic])
        return;
    if (uv_poll_start(&wait_polls[nic], UV_READABLE | UV_WRITABLE, wait_on_ready) == 0)
        wait_writable[nic] = true;
}

/* Nothing to record: wait_sleep() looks at the clock when uv_run() returns. */
static void wait_on_timer(uv_timer_t *handle)
{
    (void)handle;
}

static void wait_on_signal(uv_signal_t *handle, int signum)
{
    (void)handle;
    if (signum == SIGUSR1)
        wait_stats = true;
    else
        wait_shutdown = true;
}

static int wait_uv_fail(char *err, size_t errlen, const char *what, int r)
{
    return hosted_fail(err, errlen, "libuv: %s: %s", what, uv_strerror(r));
}

static int wait_start_polls(char *err, size_t errlen)
{
    for (unsigned i = 0; i < plat_net_count(); i++) {
        struct hosted_nic *nic = nic_get(i);
        if (nic->kind != HOSTED_NIC_TAP)
            continue;
        int r = uv_poll_init(&wait_loop, &wait_polls[i], nic->fd);
        if (r < 0)
            return wait_uv_fail(err, errlen, "uv_poll_init", r);
        wait_polls[i].data = (void *)(uintptr_t)i;
        r = uv_poll_start(&wait_polls[i], UV_READABLE, wait_on_ready);
        if (r < 0)
            return wait_uv_fail(err, errlen, "uv_poll_start", r);
        wait_polling[i] = true;
    }
    return 0;
}

int wait_init(char *err, size_t errlen)
{
    int r = uv_loop_init(&wait_loop);
    if (r < 0)
        return wait_uv_fail(err, errlen, "uv_loop_init", r);
    if ((r = uv_timer_init(&wait_loop, &wait_timer)) < 0 ||
        (r = uv_signal_init(&wait_loop, &wait_sigint)) < 0 ||
        (r = uv_signal_init(&wait_loop, &wait_sigterm)) < 0 ||
        (r = uv_signal_init(&wait_loop, &wait_sigusr1)) < 0)
        return wait_uv_fail(err, errlen, "handle init", r);
    if ((r = uv_signal_start(&wait_sigint, wait_on_signal, SIGINT)) < 0 ||
        (r = uv_signal_start(&wait_sigterm, wait_on_signal, SIGTERM)) < 0 ||
        (r = uv_signal_start(&wait_sigusr1, wait_on_signal, SIGUSR1)) < 0)
        return wait_uv_fail(err, errlen, "uv_signal_start", r);
    return wait_start_polls(err, errlen);
}

/* Bits of replay NICs that still have frames; shutdown once every replay is exhausted. */
static uint64_t wait_replay_bits(bool *all_exhausted)
{
    uint64_t bits = 0;
    bool any_replay = false, any_left = false;
    for (unsigned i = 0; i < plat_net_count(); i++) {
        struct hosted_nic *nic = nic_get(i);
        if (nic->kind != HOSTED_NIC_REPLAY)
            continue;
        any_replay = true;
        if (!nic->exhausted) {
            bits |= 1ull << i;
            any_left = true;
        }
    }
    *all_exhausted = any_replay && !any_left;
    return bits;
}

/* Sleep in uv_run() until a NIC is readable, a signal came or (deadline_ns) passed. libuv's
 * timers count whole milliseconds from a cached clock, so the timer is rounded up and re-armed
 * when it fired early: waking before the deadline would make the core spin on a timer that is
 * not due yet. A deadline already past still polls once without blocking: a core that is
 * always behind its timers, or polls under a flood, must still see signals and the TAPs. */
static void wait_sleep(uint64_t deadline_ns)
{
    for (bool slept = false;; slept = true) {
        if (deadline_ns != UINT64_MAX) {
            uint64_t now = plat_clock_monotonic();
            if (now >= deadline_ns) {
                if (!slept)
                    uv_run(&wait_loop, UV_RUN_NOWAIT);
                return;
            }
            uv_update_time(&wait_loop);
            uv_timer_start(&wait_timer, wait_on_timer,
                           (deadline_ns - now + NS_PER_MS - 1) / NS_PER_MS, 0);
        }
        uv_run(&wait_loop, UV_RUN_ONCE);
        uv_timer_stop(&wait_timer);
        if (wait_ready || wait_shutdown || wait_stats)
            return;
    }
}

uint64_t plat_wait(uint64_t deadline_ns)
{
    sandbox_enter(); /* the first call: init is over, no frame has been read yet */
    wait_ready = 0;
    bool replay_done;
    uint64_t replay = wait_replay_bits(&replay_done);
    if (replay_done || nic_any_failed())
        wait_shutdown = true;
    capture_flush();
    nic_flush_all(); /* answers queued in this iteration go out before the sleep */
    if (!wait_shutdown && !replay)
        wait_sleep(heap_trim_before_sleep(deadline_ns));
    else if (!wait_shutdown)
        uv_run(&wait_loop, UV_RUN_NOWAIT); /* still notice signals while replaying */
    uint64_t ready = wait_ready | replay;
    if (wait_shutdown || nic_any_failed())
        ready |= PLAT_WAIT_SHUTDOWN;
    if (wait_stats)
        ready |= PLAT_WAIT_STATS;
    wait_stats = false;
    return ready;
}
