/*
 * virtio-net driver over any struct vtransport: setup, feature negotiation, probing, counters.
 * The frames themselves go in and out in vnet_io.c.
 *
 * Queue 0 receives, queue 1 transmits; both share the NIC's vector. The interrupt stub only
 * marks the NIC pending, plat_wait acknowledges the device and the loop reads and sends.
 *
 * Offloads (unless --no-offload or a fault option, which need wire frames, as on hosted), each
 * taken only when the device offers it and what it depends on:
 *   HOST_TSO4 + HOST_TSO6          we send TCP super-packets of either family (tx_tso_max
 *     (with CSUM)                  65535); both or neither, since tx_tso_max promises both
 *   GUEST_CSUM                     frames may arrive with partial checksums (flagged
 *                                  PLAT_NET_RX_CSUM_OK, as verified ones: left as they are)
 *   GUEST_TSO4, GUEST_TSO6 (with   TCP super-packets of up to 64 KB arrive, spread over
 *     GUEST_CSUM and MRG_RXBUF)    2 KiB receive buffers (rx_max_frame PLAT_NET_MAX_FRAME);
 *                                  without MRG_RXBUF the device would need 64 KB buffers, so
 *                                  they are then left off and frames stay wire-sized
 * QEMU's virtio-net on a TAP backend (vnet_hdr) offers all of these; a device offering none gets
 * the driver of before (10- or 12-byte zero headers).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "kvm.h"
#include "unic/platform.h"
#include "unic/wire/vnet_hdr.h"
#include "virtio.h"
#include "vnet.h"

#define VNET_OFFLOADS                                                                              \
    (VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_HOST_TSO6 |                         \
     VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_GUEST_TSO4 | VIRTIO_NET_F_GUEST_TSO6 |                 \
     VIRTIO_NET_F_MRG_RXBUF)
#define VNET_HOST_TSO (VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_HOST_TSO6)
#define VNET_GUEST_TSO (VIRTIO_NET_F_GUEST_TSO4 | VIRTIO_NET_F_GUEST_TSO6)
/* A shorter transmit ring (e.g. CMAKE_C_FLAGS=-DVNET_TX_QUEUE_MAX=16) fills at every burst:
 * a build for testing the full-ring path (-EAGAIN, transmit interrupt, the loop's backlog). */
#ifndef VNET_TX_QUEUE_MAX
#define VNET_TX_QUEUE_MAX NET_QUEUE_SIZE
#endif

struct vnet vnet_nics[PLAT_MAX_NICS];
unsigned vnet_count;
static bool vnet_offload; /* offloads may be negotiated (virtio_net_probe) */
static const char *const vnet_stat_names[] = {VNET_STATS(STATS_NAME)};

/* Each descriptor owns a 2 KiB buffer: 256 per queue take 1 MiB for both, a quarter of a
 * 4 MiB guest. Below VNET_SMALL_HEAP the queues are VNET_SMALL_QUEUE long (where the transport
 * lets the driver choose): 256 KiB, still 32 full-size frames in each direction. */
#define VNET_SMALL_HEAP (16u << 20)
#define VNET_SMALL_QUEUE 64u

/* The queue size this driver asks for (virtio_queue_size gives the device's say). */
static uint16_t vnet_queue_limit(unsigned index)
{
    size_t heap;
    plat_heap(&heap);
    uint16_t limit = heap < VNET_SMALL_HEAP ? VNET_SMALL_QUEUE
                     : index == TXQ         ? VNET_TX_QUEUE_MAX
                                            : NET_QUEUE_SIZE;
    return index == TXQ && limit > VNET_TX_QUEUE_MAX ? VNET_TX_QUEUE_MAX : limit;
}

static int vnet_rx_init(struct vnet *n)
{
    n->rx_bufs = malloc((size_t)n->rx.size * NET_BUF_SIZE);
    if (!n->rx_bufs)
        return -ENOMEM;
    for (uint16_t i = 0; i < n->rx.size; i++) {
        n->rx.desc[i] = (struct virtq_desc){
            .addr = (uintptr_t)(n->rx_bufs + (size_t)i * NET_BUF_SIZE),
            .len = NET_BUF_SIZE,
            .flags = VIRTQ_DESC_F_WRITE,
        };
        virtq_push(&n->rx, i);
    }
    return 0;
}

static int vnet_tx_init(struct vnet *n)
{
    n->tx_bufs = malloc((size_t)n->tx.size * NET_BUF_SIZE);
    if (!n->tx_bufs)
        return -ENOMEM;
    for (uint16_t i = 0; i < n->tx.size; i++) {
        n->tx.desc[i].addr = (uintptr_t)(n->tx_bufs + (size_t)i * NET_BUF_SIZE);
        n->tx_free[n->tx_nfree++] = i;
    }
    virtq_irq(&n->tx, false); /* completions are reclaimed at the next send */
    return 0;
}

static int vnet_queues(struct vnet *n, uint8_t vector)
{
    struct vtransport *t = n->t;
    uint16_t rs = virtio_queue_size(t, RXQ, vnet_queue_limit(RXQ));
    uint16_t ts = virtio_queue_size(t, TXQ, vnet_queue_limit(TXQ));
    if (!rs || !ts)
        return -EIO;
    int r;
    if ((r = virtq_alloc(&n->rx, rs)) < 0 || (r = virtq_alloc(&n->tx, ts)) < 0)
        return r;
    n->rx.event_idx = n->tx.event_idx = (n->features & VIRTIO_RING_F_EVENT_IDX) != 0;
    if ((r = vnet_rx_init(n)) < 0 || (r = vnet_tx_init(n)) < 0)
        return r;
    if ((r = t->ops->queue_setup(t, RXQ, &n->rx, vector)) < 0 ||
        (r = t->ops->queue_setup(t, TXQ, &n->tx, vector)) < 0)
        return r;
    return 0;
}

/* The features we take of those the device offers: each offload only with what it needs. */
static uint64_t vnet_choose(uint64_t offered, bool modern)
{
    uint64_t want = VIRTIO_NET_F_MAC | VIRTIO_NET_F_MTU | VIRTIO_RING_F_EVENT_IDX |
                    (modern ? VIRTIO_F_VERSION_1 : 0);
    if (vnet_offload)
        want |= VNET_OFFLOADS;
    uint64_t f = offered & want;
    if (!(f & VIRTIO_NET_F_CSUM) || (f & VNET_HOST_TSO) != VNET_HOST_TSO)
        f &= ~VNET_HOST_TSO;
    if (!(f & VIRTIO_NET_F_GUEST_CSUM) || !(f & VIRTIO_NET_F_MRG_RXBUF))
        f &= ~VNET_GUEST_TSO;
    return f;
}

static uint64_t vnet_negotiate(struct vnet *n)
{
    struct vtransport *t = n->t;
    uint64_t features = vnet_choose(t->ops->get_features(t), t->modern);
    t->ops->set_features(t, features);
    n->features = features;
    n->mrg_rxbuf = (features & VIRTIO_NET_F_MRG_RXBUF) != 0;
    n->rx_gso_types =
        ((features & VIRTIO_NET_F_GUEST_TSO4) ? VNET_HDR_GSO_BIT(VNET_HDR_GSO_TCPV4) : 0) |
        ((features & VIRTIO_NET_F_GUEST_TSO6) ? VNET_HDR_GSO_BIT(VNET_HDR_GSO_TCPV6) : 0);
    n->hdr_len = (features & (VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MRG_RXBUF)) ? 12 : 10;
    if (n->rx_gso_types)
        n->info.rx_max_frame = PLAT_NET_MAX_FRAME;
    if (features & VIRTIO_NET_F_HOST_TSO4)
        n->info.tx_tso_max = 65535;
    return features;
}

static void vnet_read_config(struct vnet *n, uint64_t features)
{
    struct vtransport *t = n->t;
    n->info.mtu = 1500;
    if (features & VIRTIO_NET_F_MAC)
        for (unsigned i = 0; i < 6; i++)
            n->info.mac[i] = t->ops->config8(t, i);
    else
        plat_random(n->info.mac, 6), n->info.mac[0] = (n->info.mac[0] & 0xfe) | 0x02;
    if (features & VIRTIO_NET_F_MTU) {
        uint16_t mtu = (uint16_t)(t->ops->config8(t, 10) | t->ops->config8(t, 11) << 8);
        /* Without MRG_RXBUF a frame must fit one receive buffer; with it, any does. */
        uint16_t limit =
            (uint16_t)(n->mrg_rxbuf ? 65535 : NET_BUF_SIZE - n->hdr_len - ETH_OVERHEAD);
        n->info.mtu = mtu > limit ? limit : mtu;
    }
}

/* virtio 1.x section 3.1.1: reset, ACK, DRIVER, features, FEATURES_OK, queues, DRIVER_OK. */
static int vnet_init(struct vnet *n, uint8_t vector)
{
    struct vtransport *t = n->t;
    virtio_begin(t);
    uint64_t features = vnet_negotiate(n);
    uint8_t status;
    int r = virtio_features_ok(t, &status);
    if (r < 0)
        return r;
    vnet_read_config(n, features);
    if ((r = t->ops->irq_setup(t, vector)) < 0)
        return r;
    if ((r = vnet_queues(n, vector)) < 0)
        return r;
    /* A super-packet must fit the transmit ring (a short test ring: VNET_TX_QUEUE_MAX). */
    size_t ring = (size_t)n->tx.size * NET_BUF_SIZE - n->hdr_len - ETH_OVERHEAD;
    if (n->info.tx_tso_max > ring)
        n->info.tx_tso_max = ring > n->info.mtu ? (uint32_t)ring : 0;
    t->ops->set_status(t, status | VIRTIO_STATUS_DRIVER_OK);
    virtq_publish(&n->rx);
    (void)virtq_kick_prepare(&n->rx); /* told below, whatever the ring says */
    t->ops->notify(t, RXQ);
    return 0;
}

/* The NIC interrupts by a line (INTx or virtio-mmio), not by MSI-X. */
static bool vnet_on_line(const struct vtransport *t)
{
    return !t->msix && t->gsi >= 0;
}

/* " tx-tso4 rx-csum ..." for the boot line: what was negotiated, " none" without any. */
static const char *vnet_offload_names(uint64_t f)
{
    static char buf[80];
    snprintf(buf, sizeof(buf), "%s%s%s%s%s%s%s", (f & VIRTIO_NET_F_HOST_TSO4) ? " tx-tso4" : "",
             (f & VIRTIO_NET_F_HOST_TSO6) ? " tx-tso6" : "",
             (f & VIRTIO_NET_F_CSUM) ? " tx-csum" : "",
             (f & VIRTIO_NET_F_GUEST_TSO4) ? " rx-tso4" : "",
             (f & VIRTIO_NET_F_GUEST_TSO6) ? " rx-tso6" : "",
             (f & VIRTIO_NET_F_GUEST_CSUM) ? " rx-csum" : "",
             (f & VIRTIO_NET_F_MRG_RXBUF) ? " mrg-rxbuf" : "");
    return buf[0] ? buf : " none";
}

static void vnet_found(struct vtransport *t)
{
    if (vnet_count == PLAT_MAX_NICS) {
        kprintf("kvm: virtio-net: more than %d NICs, ignoring one\n", PLAT_MAX_NICS);
        return;
    }
    struct vnet *n = &vnet_nics[vnet_count];
    *n = (struct vnet){.t = t};
    int r = vnet_init(n, (uint8_t)(VEC_NIC_BASE + vnet_count));
    if (r < 0) {
        t->ops->set_status(t, VIRTIO_STATUS_FAILED);
        kprintf("kvm: virtio-net (%s) setup failed: %d\n", t->name, r);
        return;
    }
    const uint8_t *m = n->info.mac;
    char line[16] = "";
    if (vnet_on_line(t))
        snprintf(line, sizeof(line), " gsi %d", t->gsi);
    kprintf("kvm: net%u virtio-%s mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u queues %u/%u%s "
            "offloads%s\n",
            vnet_count, t->name, m[0], m[1], m[2], m[3], m[4], m[5], n->info.mtu, n->rx.size,
            n->tx.size, line, vnet_offload_names(n->features));
    vnet_count++;
}

void virtio_net_probe(const char *cmdline, bool offload)
{
    vnet_offload = offload;
    virtio_mmio_probe(cmdline, VIRTIO_ID_NET, vnet_found);
    virtio_pci_probe(VIRTIO_ID_NET, vnet_found);
    if (vnet_count == 0)
        kprintf("kvm: no virtio-net device found\n");
}

uint64_t virtio_net_irq_ack(unsigned nic)
{
    if (nic >= vnet_count)
        return 0;
    const struct vtransport *t = vnet_nics[nic].t;
    uint64_t acked = 0;
    for (unsigned i = 0; i < vnet_count; i++) {
        struct vtransport *u = vnet_nics[i].t;
        if (i == nic || (vnet_on_line(t) && vnet_on_line(u) && u->gsi == t->gsi)) {
            u->ops->irq_ack(u);
            acked |= 1ull << i;
        }
    }
    return acked;
}

void virtio_net_flush(void)
{
    for (unsigned i = 0; i < vnet_count; i++) {
        vnet_kick(&vnet_nics[i], TXQ);
        vnet_kick(&vnet_nics[i], RXQ);
    }
}

uint64_t virtio_net_irqs(bool on)
{
    uint64_t ready = 0;
    for (unsigned i = 0; i < vnet_count; i++) {
        struct vnet *n = &vnet_nics[i];
        virtq_irq(&n->rx, on);
        if (virtq_used_pending(&n->rx) || (n->tx_irq && virtq_used_pending(&n->tx)))
            ready |= 1ull << i;
    }
    return ready;
}

void virtio_net_print_stats(void)
{
    for (unsigned i = 0; i < vnet_count; i++) {
        char name[16];
        snprintf(name, sizeof(name), "kvm.net%u", i);
        stats_print(name, vnet_stat_names, &vnet_nics[i].stats, STATS_COUNT(vnet_stat_names), 1);
    }
}

unsigned plat_net_count(void)
{
    return vnet_count;
}

int plat_net_info(unsigned nic, struct plat_net_info *out)
{
    if (nic >= vnet_count)
        return -ENODEV;
    *out = vnet_nics[nic].info;
    return 0;
}
