/*
 * Two network stacks in one process joined by a virtual wire, with a virtual clock: the
 * fixture of the unit tests. Stack A is 10.0.0.1/24 (MAC 02:00:00:00:00:01), stack B is
 * 10.0.0.2/24 (MAC 02:00:00:00:00:02), unless the options say otherwise.
 *
 * Frames sent by one side wait on the wire for `latency_ns` and are delivered by harness_run(),
 * never from inside the sender (no recursion). Each direction has a fault injector (loss,
 * duplication, reordering, corruption; seeded) and an optional `tap` callback that sees every
 * frame and may modify it or drop it.
 *
 * A side with tso_max set has a TSO-capable link: its stack may send TCP super-packets
 * (netbuf tso_mss), and the link cuts each one into wire segments as Linux's GSO does (see
 * platform.h, struct plat_net_tso) after checking its partial checksum; the faults and the
 * tap then act on the wire segments, so the peer only ever sees normal segments.
 */
#ifndef UNIC_TEST_HARNESS_H
#define UNIC_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/fault.h"
#include "unic/inet_internal.h"

enum harness_side { SIDE_A = 0, SIDE_B = 1 };

struct harness;
/* Return false to drop the frame. (from) is the sending side. */
typedef bool (*harness_tap_fn)(struct harness *h, enum harness_side from, struct netbuf *nb);
/* Return true to make the link refuse the frame with an error (-ENOBUFS), as a NIC whose ring
 * is full or a TAP whose write fails: the sender sees the failure, unlike a tap drop. */
typedef bool (*harness_refuse_fn)(struct harness *h, enum harness_side from,
                                  const struct netbuf *nb);

struct harness_opts {
    uint32_t addr_a, addr_b;      /* 0: defaults; host order */
    uint8_t prefix_len;           /* 0: 24 */
    bool unconfigured_b;          /* B starts without an address (DHCP tests) */
    uint16_t mtu;                 /* 0: 1500 */
    uint64_t latency_ns;          /* 0: 100 us */
    struct fault_config fault[2]; /* per sending side */
    size_t pool_buffers;          /* 0: 4096 */
    uint32_t tso_max[2];          /* per sending side: 0, or inet tso_max (TSO link) */
};

struct harness_frame {
    struct netbuf *nb;
    uint64_t due;
    enum harness_side to;
    struct harness_frame *next;
};

struct harness {
    struct timer_queue timers;
    struct netbuf_pool pool;
    struct inet stack[2];
    struct fault_injector fault[2];
    uint64_t latency_ns;
    struct harness_frame *wire_head, *wire_tail;
    uint64_t frames_sent[2];
    uint64_t frames_delivered[2];
    uint64_t tso_frames[2];      /* super-packets cut by the link, per sending side  */
    uint64_t tso_segments[2];    /* wire segments they gave                          */
    uint64_t tso_payload_max[2]; /* the largest super-packet's payload bytes         */
    uint64_t tso_bad[2];         /* super-packets dropped: bad partial checksum, segment
                                  * longer than the MTU, no buffer for a segment        */
    harness_tap_fn tap;
    harness_refuse_fn refuse; /* asked first, before faults and the tap   */
    uint64_t refused[2];      /* frames the link refused, per sending side */
    void *user;
};

void harness_init(struct harness *h, const struct harness_opts *opts);

/* Tear down both stacks; returns the number of pool buffers still in use (0 = no leak). */
size_t harness_destroy(struct harness *h);

/* Deliver frames and fire timers, advancing the virtual clock, for (duration_ns). */
void harness_run(struct harness *h, uint64_t duration_ns);

/* Run until (done)(arg) returns true or (max_ns) passes; returns done's final value. */
bool harness_run_until(struct harness *h, bool (*done)(void *arg), void *arg, uint64_t max_ns);

/* Put raw bytes on the wire towards (to), as if a third host had sent them. */
void harness_inject(struct harness *h, enum harness_side to, const void *frame, size_t len);

/* Frames in flight on the wire. */
unsigned harness_in_flight(const struct harness *h);

static inline struct inet *harness_a(struct harness *h)
{
    return &h->stack[SIDE_A];
}

static inline struct inet *harness_b(struct harness *h)
{
    return &h->stack[SIDE_B];
}

#endif
