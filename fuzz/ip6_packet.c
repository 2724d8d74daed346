/*
 * libFuzzer harness for IPv6 and its extension headers: the wire parsers on an exact-size copy
 * (no out-of-bounds read; a parsed header re-emits to the same fields), then the packet fed to
 * stack B of the two-stack harness (IPv6 up, fd00::2) as a frame to its MAC, twice with a clock
 * step between (fragments meet), then an hour later (reassembly and NUD timers run). The
 * invariants: reassembly memory and the neighbour queue stay in their bounds, every buffer is
 * back in the pool after teardown.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ip6_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_wire(const uint8_t *p, size_t size)
{
    struct ip6_hdr h, back;
    if (ip6_parse(p, size, &h) == 0) {
        uint8_t out[40];
        if ((size_t)h.payload_len + 40 > size || ip6_emit(out, sizeof(out), &h) != 40)
            abort();
        if (ip6_parse_quoted(out, sizeof(out), &back) != 0 || memcmp(back.src, h.src, 16) ||
            memcmp(back.dst, h.dst, 16) || back.next_header != h.next_header ||
            back.flow_label != h.flow_label || back.traffic_class != h.traffic_class)
            abort();
    }
    /* Walk what follows as a chain of option headers. */
    size_t off = size >= 40 ? 40 : 0;
    for (int n = 0; n < 8 && off < size; n++) {
        uint8_t next;
        size_t len;
        if (ip6_ext_parse(p + off, size - off, &next, &len) < 0)
            break;
        if (len > size - off)
            abort();
        struct ip6_opt_unknown u = {0};
        size_t start = 2;
        while (ip6_opts_walk(p + off, len, start, &u) == 1) {
            if (u.next <= start || u.next > len)
                abort();
            start = u.next;
        }
        off += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact-size copy: ASan sees overreads */
    memcpy(copy, data, size);
    fuzz_wire(copy, size);
    free(copy);
    if (size > 1600)
        return 0;

    static struct harness h;
    static const struct harness_opts opts = {.pool_buffers = 256};
    harness_init(&h, &opts);
    if (!ip6_test_up(&h, true))
        abort();
    uint8_t frame[1614];
    static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x02};
    size_t n = frame_eth(frame, mac_b, 0x86dd);
    memcpy(frame + n, data, size);
    for (int i = 0; i < 2; i++) {
        harness_inject(&h, SIDE_B, frame, n + size);
        harness_run(&h, 50 * NSEC_PER_MSEC);
    }
    struct inet *b = harness_b(&h);
    if (b->ip6.reass.bytes > IP6_REASS_MAX_BYTES || b->ip6.nd.queued_total > ND6_QUEUE_TOTAL)
        abort();
    harness_run(&h, 3600 * NSEC_PER_SEC);
    if (b->ip6.reass.bytes != 0)
        abort(); /* everything expired */
    if (harness_destroy(&h) != 0)
        abort(); /* a leaked buffer */
    return 0;
}
