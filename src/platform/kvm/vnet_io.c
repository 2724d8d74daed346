/*
 * virtio-net frames in and out: plat_net_send and plat_net_recv.
 *
 * Transmit: each descriptor owns a 2 KiB buffer; a frame is copied behind its virtio-net header
 * into as many as it needs, chained (a TCP super-packet of 64 KB takes 33). The header is zero
 * (nothing left to the device) except for a super-packet: GSO TCPV4 with its partial checksum,
 * which the device completes per segment it cuts (HOST_TSO4), as hosted's TAP does. Completed
 * chains are reclaimed at the next send. Transmit interrupts are suppressed while the ring has
 * room; when a send finds too few free descriptors (-EAGAIN) they are enabled until a
 * completion is reclaimed, so that plat_wait returns once the device can take frames again (the
 * platform contract) and the loop retries its backlog.
 *
 * Receive: every descriptor owns one 2 KiB buffer and goes back to the device as soon as its
 * bytes are copied out, so the ring stays full. With MRG_RXBUF a frame spans the (num_buffers)
 * buffers its header names: that is how TCP super-packets of up to 64 KB arrive (GUEST_TSO4)
 * without posting 64 KB buffers. The header is checked against the frame (src/net/wire/
 * vnet_hdr.c: malformed -> dropped, counted, -EBADMSG) and a partial checksum completed, so the
 * stack verifies every checksum as it does without offloads.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "unic/wire/bytes.h"
#include "unic/wire/vnet_hdr.h"
#include "unic/wire/wire.h"
#include "vnet.h"

void vnet_kick(struct vnet *n, unsigned index)
{
    if (virtq_kick_prepare(index == TXQ ? &n->tx : &n->rx)) {
        n->t->ops->notify(n->t, index);
        n->stats.kicks++;
    }
}

/* Ask the device for an interrupt at the next completed transmit buffer (on), or for none. */
static void vnet_tx_irq(struct vnet *n, bool on)
{
    n->tx_irq = on;
    virtq_irq(&n->tx, on); /* then a barrier: a completion in between is not missed */
}

/* Give back the chain that starts at (id): every descriptor in it, following NEXT. */
static void vnet_tx_free_chain(struct vnet *n, uint16_t id)
{
    for (unsigned k = 0; k < n->tx.size; k++) {
        if (id >= n->tx.size || n->tx_nfree >= n->tx.size) {
            n->stats.bad_id++;
            return;
        }
        n->tx_free[n->tx_nfree++] = id;
        const struct virtq_desc *d = &n->tx.desc[id];
        if (!(d->flags & VIRTQ_DESC_F_NEXT))
            return;
        id = d->next;
    }
    n->stats.bad_id++; /* a loop: the table was overwritten */
}

static void vnet_tx_reclaim(struct vnet *n, unsigned need)
{
    uint16_t id;
    uint32_t len;
    while (virtq_pop(&n->tx, &id, &len))
        vnet_tx_free_chain(n, id);
    if (n->tx_irq && n->tx_nfree >= need)
        vnet_tx_irq(n, false); /* room again: back to interrupt-free sending */
}

/* (need) free transmit descriptors, reclaiming completions first. When there are too few,
 * transmit interrupts are enabled and completions checked once more (one may have landed
 * before the flag was seen); false then means the device will interrupt when it frees one. */
static bool vnet_tx_room(struct vnet *n, unsigned need)
{
    vnet_tx_reclaim(n, need);
    if (n->tx_nfree >= need)
        return true;
    vnet_kick(n, TXQ); /* the ring may be full of frames the device was not told of yet */
    vnet_tx_irq(n, true);
    vnet_tx_reclaim(n, need);
    return n->tx_nfree >= need;
}

/* The virtio-net header of a frame to send, into (p) of hdr_len bytes. -EINVAL for a
 * super-packet whose description does not fit the frame. */
static int vnet_tx_header(const struct vnet *n, uint8_t *p, size_t len,
                          const struct plat_net_tso *tso)
{
    struct vnet_hdr h = {0};
    memset(p, 0, n->hdr_len); /* num_buffers (modern) is 0 on transmit */
    if (tso && vnet_hdr_tcp_gso(&h, len, tso->ip6, tso->gso_size, tso->hdr_len, tso->csum_start,
                                tso->csum_offset) != WIRE_OK)
        return -EINVAL;
    vnet_hdr_emit(p, VNET_HDR_LEN, &h);
    return 0;
}

/* Copy header + frame into (need) free descriptors chained from the first; returns its id. The
 * header (at most 12 bytes) lies whole in the first buffer. */
static uint16_t vnet_tx_fill(struct vnet *n, const uint8_t *hdr, const uint8_t *frame, size_t len,
                             unsigned need)
{
    size_t total = n->hdr_len + len, pos = 0; /* pos: offset in header + frame */
    uint16_t head = 0, prev = 0;
    for (unsigned k = 0; k < need; k++) {
        uint16_t id = n->tx_free[--n->tx_nfree];
        uint8_t *buf = n->tx_bufs + (size_t)id * NET_BUF_SIZE;
        size_t chunk = total - pos < NET_BUF_SIZE ? total - pos : NET_BUF_SIZE, at = 0;
        if (k == 0) {
            memcpy(buf, hdr, n->hdr_len);
            at = n->hdr_len;
        }
        memcpy(buf + at, frame + (pos + at - n->hdr_len), chunk - at);
        pos += chunk;
        n->tx.desc[id].len = (uint32_t)chunk;
        n->tx.desc[id].flags = 0;
        if (k == 0)
            head = id;
        else
            n->tx.desc[prev].flags = VIRTQ_DESC_F_NEXT, n->tx.desc[prev].next = id;
        prev = id;
    }
    return head;
}

int plat_net_send(unsigned nic, const void *frame, size_t len, const struct plat_net_tso *tso)
{
    if (nic >= vnet_count)
        return -ENODEV;
    struct vnet *n = &vnet_nics[nic];
    size_t max = (tso ? n->info.tx_tso_max : n->info.mtu) + (size_t)ETH_OVERHEAD;
    if (len == 0 || len > max || (tso && !n->info.tx_tso_max))
        return -EINVAL;
    uint8_t hdr[VNET_HDR_LEN + 2];
    if (vnet_tx_header(n, hdr, len, tso) < 0)
        return -EINVAL;
    unsigned need = (unsigned)((n->hdr_len + len + NET_BUF_SIZE - 1) / NET_BUF_SIZE);
    if (need > n->tx.size)
        return -EINVAL; /* could never have room (tx_tso_max keeps super-packets below) */
    if (!vnet_tx_room(n, need)) {
        n->stats.tx_ring_full++;
        return -EAGAIN;
    }
    virtq_push(&n->tx, vnet_tx_fill(n, hdr, frame, len, need));
    virtq_publish(&n->tx); /* the device may take it without a kick while it is busy */
    if (virtq_unkicked(&n->tx) >= VNET_KICK_BATCH)
        vnet_kick(n, TXQ);
    n->stats.tx++;
    if (tso) {
        n->stats.tx_tso_frames++;
        n->stats.tx_tso_bytes += len;
    }
    return 0;
}

/* Check the header of a received frame and count the offloads. A partial checksum (the host
 * built the frame: it crossed no wire) or one the device verified is flagged PLAT_NET_RX_CSUM_OK
 * and left as it is: nothing here captures frames, so nothing needs it completed.
 * 0 or -EBADMSG (counted). */
static int vnet_rx_finish(struct vnet *n, const uint8_t *raw, size_t len, uint32_t *flags)
{
    struct vnet_hdr h;
    if (vnet_hdr_parse(raw, VNET_HDR_LEN, &h) != WIRE_OK ||
        vnet_hdr_check(&h, len, n->rx_gso_types) != WIRE_OK) {
        n->stats.rx_bad_vnet_hdr++;
        return -EBADMSG;
    }
    if (h.flags & VNET_HDR_F_NEEDS_CSUM)
        n->stats.rx_csum_partial++;
    if (h.flags & VNET_HDR_F_DATA_VALID)
        n->stats.rx_csum_valid++;
    if (h.flags & (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID))
        *flags |= PLAT_NET_RX_CSUM_OK;
    if (h.gso_type != VNET_HDR_GSO_NONE) {
        n->stats.rx_gso_frames++;
        n->stats.rx_gso_bytes += len;
    }
    return 0;
}

/* The buffers of one received frame: how many (num_buffers with MRG_RXBUF, else 1), once all
 * of them are in the used ring. 0: not yet (or none); -EIO: a first buffer that cannot start a
 * frame (then consumed and counted). */
static int vnet_rx_frame_buffers(struct vnet *n)
{
    struct virtq *q = &n->rx;
    uint16_t ready = virtq_used_pending(q);
    if (ready == 0)
        return 0;
    barrier(); /* the index before the elements it covers */
    struct virtq_used_elem e = q->used->ring[q->last_used % q->size];
    if (e.id >= q->size || e.len < n->hdr_len || e.len > NET_BUF_SIZE)
        return -EIO;
    if (!n->mrg_rxbuf)
        return 1;
    uint16_t nb = rd16le(n->rx_bufs + (size_t)e.id * NET_BUF_SIZE + VNET_HDR_LEN);
    if (nb == 0 || nb > q->size)
        return -EIO;
    return nb <= ready ? nb : 0; /* the device publishes a frame's buffers at once */
}

/* Take (nb) used buffers, copy their bytes after the header into (buf) while they fit, and
 * give them back to the device. The frame's length (even when it did not fit) or -EIO. */
static long vnet_rx_gather(struct vnet *n, unsigned nb, uint8_t *raw, uint8_t *buf, size_t cap)
{
    size_t total = 0;
    bool bad = false;
    for (unsigned k = 0; k < nb; k++) {
        uint16_t id;
        uint32_t len;
        virtq_pop(&n->rx, &id, &len);
        if (id >= n->rx.size) {
            n->stats.bad_id++;
            bad = true;
            continue; /* not ours to give back */
        }
        const uint8_t *src = n->rx_bufs + (size_t)id * NET_BUF_SIZE;
        size_t skip = k == 0 ? n->hdr_len : 0;
        if (len > NET_BUF_SIZE || len < skip)
            bad = true;
        else if (k == 0)
            memcpy(raw, src, VNET_HDR_LEN);
        if (!bad && total + (len - skip) <= cap)
            memcpy(buf + total, src + skip, len - skip);
        if (!bad)
            total += len - skip;
        virtq_push(&n->rx, id); /* the buffer goes straight back: the ring stays full */
    }
    if (bad)
        n->stats.rx_bad_length++;
    return bad ? -EIO : (long)total;
}

/* A used buffer that cannot start a frame: given back (when it is ours) and counted. */
static void vnet_rx_drop_one(struct vnet *n)
{
    uint16_t id;
    uint32_t len;
    virtq_pop(&n->rx, &id, &len);
    if (id < n->rx.size)
        virtq_push(&n->rx, id);
    else
        n->stats.bad_id++;
    n->stats.rx_bad_length++;
}

/* The length of the frame in the next (nb) used buffers (header excluded), read from the used
 * ring before they are taken: it decides where the frame goes (struct plat_net_rx). Bad lengths
 * are left to vnet_rx_gather, which counts them. */
static size_t vnet_rx_frame_len(const struct vnet *n, unsigned nb)
{
    const struct virtq *q = &n->rx;
    size_t total = 0;
    for (unsigned k = 0; k < nb; k++) {
        uint32_t len = q->used->ring[(uint16_t)(q->last_used + k) % q->size].len;
        size_t skip = k == 0 ? n->hdr_len : 0;
        if (len <= NET_BUF_SIZE && len >= skip)
            total += len - skip;
    }
    return total;
}

int plat_net_recv(unsigned nic, struct plat_net_rx *rx)
{
    if (nic >= vnet_count)
        return -ENODEV;
    struct vnet *n = &vnet_nics[nic];
    int nb = vnet_rx_frame_buffers(n);
    if (nb == 0) { /* the end of the loop's receive batch: what it sent goes out now */
        vnet_kick(n, TXQ);
        vnet_kick(n, RXQ);
        return -EAGAIN;
    }
    uint8_t raw[VNET_HDR_LEN];
    long got = -EIO;
    bool large = false;
    size_t room = rx->cap;
    if (nb < 0) {
        vnet_rx_drop_one(n);
    } else {
        size_t want = vnet_rx_frame_len(n, (unsigned)nb);
        large = want > rx->cap && rx->large && rx->large_cap > rx->cap;
        room = large ? rx->large_cap : rx->cap;
        got = vnet_rx_gather(n, (unsigned)nb, raw, large ? rx->large : rx->buf, room);
    }
    virtq_publish(&n->rx);
    if (virtq_unkicked(&n->rx) >= VNET_KICK_BATCH)
        vnet_kick(n, RXQ);
    if (got < 0)
        return -EIO;
    if ((size_t)got > room) {
        n->stats.rx_too_big++;
        return -EMSGSIZE;
    }
    if (nb > 1)
        n->stats.rx_merged++;
    rx->len = (size_t)got;
    rx->in_large = large;
    rx->flags = 0;
    int r = vnet_rx_finish(n, raw, rx->len, &rx->flags);
    if (r == 0)
        n->stats.rx++;
    return r;
}
