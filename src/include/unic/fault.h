/*
 * Fault injection around a NIC, in both directions, seeded and reproducible (as smoltcp's
 * FaultInjector): loss, duplication, reordering (a frame is held back and released after the
 * next one, or after FAULT_REORDER_HOLD_NS if none comes), corruption (one bit flipped), and
 * ECN marks (an ECN-capable IP packet made Congestion Experienced, as an AQM router does). It is
 * platform-neutral, so the same options work on hosted and kvm. Used by the event loop, and by
 * unit tests on their virtual wire.
 */
#ifndef UNIC_FAULT_H
#define UNIC_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/config.h"
#include "unic/netbuf.h"
#include "unic/stats.h"
#include "unic/timer.h"

#define FAULT_REORDER_HOLD_NS (2 * NSEC_PER_MSEC)

/* Where a frame goes after the injector: takes ownership of (nb). */
typedef void (*fault_deliver_fn)(void *ctx, struct netbuf *nb);

#define FAULT_STATS(X)                                                                             \
    X(passed) X(lost) X(duplicated) X(reordered) X(corrupted) X(ce_marked) X(no_buffer)
struct fault_stats {
    FAULT_STATS(STATS_FIELD)
};

struct fault_injector;

struct fault_path {
    struct fault_injector *owner;
    fault_deliver_fn deliver;
    void *ctx;
    struct netbuf *held;
    struct timer release;
    struct fault_stats stats;
};

enum fault_direction { FAULT_TX = 0, FAULT_RX = 1 };

struct fault_injector {
    struct fault_config cfg;
    uint64_t rng; /* xorshift64* state: reproducible from cfg.seed, not for security */
    bool active;
    struct netbuf_pool *pool;
    struct timer_queue *timers;
    struct fault_path path[2];
};

void fault_init(struct fault_injector *fi, const struct fault_config *cfg, struct netbuf_pool *pool,
                struct timer_queue *timers);

/* Set where frames of direction (dir) go once through. */
void fault_set_output(struct fault_injector *fi, enum fault_direction dir, fault_deliver_fn fn,
                      void *ctx);

/* Pass (nb) through the faults of (dir); takes ownership. */
void fault_process(struct fault_injector *fi, enum fault_direction dir, struct netbuf *nb);

/* Release held frames and cancel timers. */
void fault_destroy(struct fault_injector *fi);

void fault_print_stats(const struct fault_injector *fi);

#endif
