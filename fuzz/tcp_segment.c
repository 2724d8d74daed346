/* libFuzzer harness for the TCP header/options parser: never reads out of bounds, keeps its
 * bounds (header length, SACK block count), and what it accepts re-emits to a header that parses
 * back to the same fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unic/wire/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const struct tcp_hdr *h)
{
    uint8_t out[TCP_MAX_HDR_LEN];
    int n = tcp_emit(out, sizeof(out), h);
    if (n < TCP_HDR_LEN || n > TCP_MAX_HDR_LEN || n % 4)
        abort();
    struct tcp_hdr back;
    if (tcp_parse(out, (size_t)n, &back) != 0)
        abort();
    const struct tcp_opts *a = &h->opts, *b = &back.opts;
    if (back.sport != h->sport || back.dport != h->dport || back.seq != h->seq ||
        back.ack != h->ack || back.flags != h->flags || back.window != h->window)
        abort();
    if (a->has_mss != b->has_mss || (a->has_mss && a->mss != b->mss))
        abort();
    if (a->has_wscale != b->has_wscale || (a->has_wscale && a->wscale != b->wscale))
        abort();
    if (a->has_ts != b->has_ts || (a->has_ts && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)))
        abort();
    if (a->sack_ok != b->sack_ok || b->sack_count > a->sack_count)
        abort();
    for (unsigned i = 0; i < b->sack_count; i++)
        if (a->sack[i].start != b->sack[i].start || a->sack[i].end != b->sack[i].end)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact-size copy: ASan sees overreads */
    memcpy(copy, data, size);
    struct tcp_hdr h;
    if (tcp_parse(copy, size, &h) == 0) {
        if (h.hdr_len < TCP_HDR_LEN || h.hdr_len > size || h.hdr_len > TCP_MAX_HDR_LEN ||
            h.opts.sack_count > TCP_MAX_SACK_BLOCKS)
            abort();
        check_roundtrip(&h);
    }
    tcp_checksum_ok(copy, size, 0x0a000001, 0x0a000002);
    free(copy);
    return 0;
}
