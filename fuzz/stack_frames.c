/*
 * Stateful libFuzzer harness: the input is a sequence of frames (2-byte length + bytes, plus a
 * 1-byte clock step) fed into stack B of the two-stack harness while A pings it. Afterwards the
 * invariants must hold: bounded ARP queues and reassembly memory, every buffer returned to the
 * pool once the stacks are torn down, and B still answers a ping.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "unic/arp.h"
#include "unic/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replies;
static void on_reply(struct inet *inet, uint32_t src, uint16_t id, uint16_t seq, size_t len,
                     void *arg)
{
    (void)inet, (void)src, (void)id, (void)seq, (void)len, (void)arg;
    replies++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct harness h;
    static const struct harness_opts opts = {.pool_buffers = 256};
    harness_init(&h, &opts);
    harness_a(&h)->icmp.on_echo_reply = on_reply;
    replies = 0;
    size_t at = 0;
    while (at + 3 <= size) {
        size_t len = (size_t)(data[at] << 8 | data[at + 1]) % 2048;
        uint8_t step = data[at + 2];
        at += 3;
        if (len > size - at)
            len = size - at;
        harness_inject(&h, SIDE_B, data + at, len);
        at += len;
        harness_run(&h, (uint64_t)step * NSEC_PER_MSEC * 100);
        struct inet *b = harness_b(&h);
        if (b->arp.queued_total > ARP_QUEUE_TOTAL || b->ip4.reass.bytes > IP4_REASS_MAX_BYTES)
            abort();
    }
    /* Whatever came before, B must still be reachable (state not corrupted). ARP has no
     * authentication, so first let any poisoned cache entry expire. */
    harness_run(&h, ARP_ENTRY_TTL_NS + NSEC_PER_SEC);
    icmp_send_echo(harness_a(&h), 0x0a000002, 1, 1, NULL, 64);
    harness_run(&h, 5 * NSEC_PER_SEC);
    if (replies < 1)
        abort();
    if (harness_destroy(&h) != 0)
        abort(); /* a leaked buffer */
    return 0;
}
