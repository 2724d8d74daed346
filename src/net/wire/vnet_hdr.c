/* The virtio-net header: parse, emit, check against its frame, complete a partial checksum,
 * describe a TCP super-packet to send. */
#include "unic/wire/vnet_hdr.h"

#include <stdbool.h>

#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/wire.h"

#define VNET_HDR_KNOWN_FLAGS (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID)

int vnet_hdr_parse(const uint8_t *p, size_t len, struct vnet_hdr *out)
{
    if (len < VNET_HDR_LEN)
        return WIRE_ETRUNCATED;
    out->flags = p[0];
    out->gso_type = p[1];
    out->hdr_len = rd16le(p + 2);
    out->gso_size = rd16le(p + 4);
    out->csum_start = rd16le(p + 6);
    out->csum_offset = rd16le(p + 8);
    return WIRE_OK;
}

int vnet_hdr_emit(uint8_t *p, size_t cap, const struct vnet_hdr *h)
{
    if (cap < VNET_HDR_LEN)
        return WIRE_ENOSPACE;
    p[0] = h->flags;
    p[1] = h->gso_type;
    wr16le(p + 2, h->hdr_len);
    wr16le(p + 4, h->gso_size);
    wr16le(p + 6, h->csum_start);
    wr16le(p + 8, h->csum_offset);
    return VNET_HDR_LEN;
}

/* The partial checksum's field lies inside the frame and on a 16-bit word of the summed span. */
static int vnet_hdr_check_csum(const struct vnet_hdr *h, size_t frame_len)
{
    if ((size_t)h->csum_start + h->csum_offset + 2 > frame_len)
        return WIRE_ELENGTH;
    if (h->csum_offset & 1)
        return WIRE_EMALFORMED;
    return WIRE_OK;
}

static int vnet_hdr_check_gso(const struct vnet_hdr *h, size_t frame_len, uint32_t gso_ok)
{
    unsigned type = h->gso_type & (unsigned)~VNET_HDR_GSO_ECN;
    if (type == VNET_HDR_GSO_NONE)
        return (h->gso_type & VNET_HDR_GSO_ECN) ? WIRE_EMALFORMED : WIRE_OK;
    if (type >= 32 || !(gso_ok & VNET_HDR_GSO_BIT(type)))
        return WIRE_EUNSUPPORTED;
    /* A super-packet's checksum is always left to the receiver: no sender can compute the
     * checksums of segments it never cut. */
    if (h->gso_size == 0 || !(h->flags & VNET_HDR_F_NEEDS_CSUM))
        return WIRE_EMALFORMED;
    if (h->hdr_len > frame_len)
        return WIRE_ELENGTH;
    return WIRE_OK;
}

int vnet_hdr_check(const struct vnet_hdr *h, size_t frame_len, uint32_t gso_ok)
{
    if (h->flags & ~VNET_HDR_KNOWN_FLAGS)
        return WIRE_EUNSUPPORTED;
    if (h->flags & VNET_HDR_F_NEEDS_CSUM) {
        int r = vnet_hdr_check_csum(h, frame_len);
        if (r != WIRE_OK)
            return r;
    }
    return vnet_hdr_check_gso(h, frame_len, gso_ok);
}

int vnet_hdr_tcp_gso(struct vnet_hdr *h, size_t frame_len, bool ip6, uint16_t gso_size,
                     uint16_t hdr_len, uint16_t csum_start, uint16_t csum_offset)
{
    *h = (struct vnet_hdr){.flags = VNET_HDR_F_NEEDS_CSUM,
                           .gso_type = ip6 ? VNET_HDR_GSO_TCPV6 : VNET_HDR_GSO_TCPV4,
                           .hdr_len = hdr_len,
                           .gso_size = gso_size,
                           .csum_start = csum_start,
                           .csum_offset = csum_offset};
    return vnet_hdr_check(h, frame_len, VNET_HDR_GSO_BIT(h->gso_type));
}

int vnet_hdr_complete_csum(uint8_t *frame, size_t frame_len, const struct vnet_hdr *h)
{
    if (!(h->flags & VNET_HDR_F_NEEDS_CSUM))
        return WIRE_OK;
    int r = vnet_hdr_check_csum(h, frame_len);
    if (r != WIRE_OK)
        return r;
    uint16_t sum = csum_fold(csum_partial(frame + h->csum_start, frame_len - h->csum_start, 0));
    wr16(frame + h->csum_start + h->csum_offset, sum ? sum : 0xffff);
    return WIRE_OK;
}
