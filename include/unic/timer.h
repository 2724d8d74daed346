/*
 * One-shot timers in a queue ordered by deadline (an intrusive pairing heap: arming and
 * cancelling never allocate, so they cannot fail). Timers with equal deadlines fire in the
 * order they were armed.
 *
 * A timer_queue also carries the clock the network stack reads: `now`, in monotonic
 * nanoseconds. The event loop sets it from plat_clock_monotonic() before running timers and
 * delivering frames; unit tests set it by hand (a virtual clock).
 */
#ifndef UNIC_TIMER_H
#define UNIC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TIMER_NEVER UINT64_MAX
#define NSEC_PER_USEC 1000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull

struct timer;
typedef void (*timer_fn)(struct timer *t);

/* A service embeds one per timeout it needs; the fields are the queue's (read t->arg only). */
struct timer {
    uint64_t deadline;
    uint64_t seq; /* tie-break: arming order */
    timer_fn fn;
    void *arg;                            /* for the owner: fn may read t->arg */
    struct timer *child, *sibling, *prev; /* pairing heap links; prev: parent or left sibling */
    bool armed;
};

struct timer_queue {
    struct timer *root;
    uint64_t now;
    uint64_t next_seq;
    uint64_t fired;
};

/* For the OS (the event loop) and the tests: a service uses the queue of unic_timers(). */
void timer_queue_init(struct timer_queue *tq, uint64_t now);

/* Prepare (t) to call (fn) with (arg); the timer starts disarmed. */
void timer_init(struct timer *t, timer_fn fn, void *arg);

/* Arm (t) to fire at (deadline) (monotonic ns). Re-arming an armed timer moves it. */
void timer_arm(struct timer_queue *tq, struct timer *t, uint64_t deadline);

/* Arm (t) to fire (delay_ns) after tq->now. */
void timer_arm_in(struct timer_queue *tq, struct timer *t, uint64_t delay_ns);

/* Disarm (t); harmless when it is not armed. */
void timer_cancel(struct timer_queue *tq, struct timer *t);

static inline bool timer_armed(const struct timer *t)
{
    return t->armed;
}

/* For the OS and the tests, as timer_queue_init: deadline of the earliest armed timer, or
 * TIMER_NEVER. */
uint64_t timer_queue_next(const struct timer_queue *tq);

/* For the OS and the tests: set tq->now = (now) and fire every timer whose deadline <= now,
 * earliest first. A timer a callback arms for a time <= now fires in the next call, not this
 * one: a timer that keeps re-arming itself for now cannot hold the event loop, whose next
 * plat_wait() then only polls (and a timer armed in the past may let other due timers wait for
 * that call too). Returns the number fired. */
unsigned timer_queue_run(struct timer_queue *tq, uint64_t now);
/* Set tq->now = (now) (never backwards) without firing anything: the clock the stack reads
 * while the OS hands it what arrived before the timers due meanwhile run. */
void timer_queue_set_now(struct timer_queue *tq, uint64_t now);

#endif
