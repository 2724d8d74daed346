/*
 * libFuzzer harness for the virtio-net header. The input: 4 bytes of the negotiated GSO set
 * (little-endian), then a virtio-net header, then the frame it describes.
 *  1. parse(emit(parse(x))) gives the same header; emit writes the same bytes.
 *  2. vnet_hdr_check and vnet_hdr_complete_csum agree: what check accepts, completion accepts.
 *  3. Completion touches only the two bytes of the checksum field (the frame is an exact-size
 *     copy, so ASan sees any access past it), and afterwards the summed span, with the
 *     sender's pseudo-header sum that the field held added back, verifies to zero.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unic/wire/checksum.h"
#include "unic/wire/vnet_hdr.h"
#include "unic/wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const uint8_t *raw)
{
    struct vnet_hdr h, back;
    uint8_t out[VNET_HDR_LEN];
    if (vnet_hdr_parse(raw, VNET_HDR_LEN, &h) != WIRE_OK ||
        vnet_hdr_emit(out, sizeof(out), &h) != VNET_HDR_LEN ||
        vnet_hdr_parse(out, sizeof(out), &back) != WIRE_OK)
        abort();
    if (memcmp(out, raw, VNET_HDR_LEN) != 0 || memcmp(&h, &back, sizeof(h)) != 0)
        abort();
}

/* The summed span after completion plus the field's old value (at an even offset) is 0. */
static void check_verifies(const uint8_t *frame, size_t len, const struct vnet_hdr *h,
                           const uint8_t old_field[2])
{
    size_t span = len - h->csum_start, padded = span + (span & 1);
    uint8_t *buf = calloc(1, padded + 2);
    if (!buf)
        abort();
    memcpy(buf, frame + h->csum_start, span);
    memcpy(buf + padded, old_field, 2);
    if (csum_fold(csum_partial(buf, padded + 2, 0)) != 0)
        abort();
    free(buf);
}

static void check_completion(const uint8_t *in, size_t len, const struct vnet_hdr *h, int ok)
{
    uint8_t *frame = malloc(len ? len : 1); /* exact size: ASan catches reads past the end */
    if (!frame)
        abort();
    memcpy(frame, in, len);
    int r = vnet_hdr_complete_csum(frame, len, h);
    if (ok == WIRE_OK && r != WIRE_OK)
        abort();
    bool partial = (h->flags & VNET_HDR_F_NEEDS_CSUM) != 0;
    size_t field = partial ? (size_t)h->csum_start + h->csum_offset : 0;
    for (size_t i = 0; i < len; i++)
        if (frame[i] != in[i] && !(r == WIRE_OK && partial && (i == field || i == field + 1)))
            abort();
    if (r == WIRE_OK && partial)
        check_verifies(frame, len, h, in + field);
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 + VNET_HDR_LEN)
        return 0;
    uint32_t gso_ok = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                      (uint32_t)data[3] << 24;
    const uint8_t *raw = data + 4, *frame = raw + VNET_HDR_LEN;
    size_t len = size - 4 - VNET_HDR_LEN;
    struct vnet_hdr h;
    if (vnet_hdr_parse(raw, size - 4, &h) != WIRE_OK)
        abort();
    check_round_trip(raw);
    int ok = vnet_hdr_check(&h, len, gso_ok);
    if (ok > 0 || ok < WIRE_EMALFORMED)
        abort();
    check_completion(frame, len, &h, ok);
    return 0;
}
