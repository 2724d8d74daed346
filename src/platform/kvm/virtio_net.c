/*
 * virtio-net driver and the plat_net_* functions, over any struct vtransport.
 *
 * Queue 0 receives, queue 1 transmits. Every receive descriptor owns one fixed 2 KiB buffer
 * and goes back to the device as soon as its frame is copied out, so the receive ring stays
 * full. Transmit descriptors also own a buffer each: plat_net_send copies the frame behind a
 * zeroed virtio_net_hdr, and completed ones are reclaimed at the next send. Transmit
 * interrupts are suppressed while the ring has room; when a send finds it full (-EAGAIN) they
 * are enabled until a completion is reclaimed, so that plat_wait returns once the device can
 * take frames again (the platform contract) and the loop retries its backlog. Both queues share
 * the NIC's vector; the interrupt stub only marks the NIC pending, plat_wait acknowledges the
 * device and the loop reads and sends.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "kvm.h"
#include "unic/platform.h"
#include "virtio.h"

#define VIRTIO_NET_F_MTU (1ull << 3)
#define VIRTIO_NET_F_MAC (1ull << 5)
#define NET_BUF_SIZE 2048u
#define NET_QUEUE_SIZE 256u
#define ETH_OVERHEAD 18u /* Ethernet header + one VLAN tag */
#define RXQ 0
#define TXQ 1
/* A shorter transmit ring (e.g. CMAKE_C_FLAGS=-DVNET_TX_QUEUE_MAX=16) fills at every burst:
 * a build for testing the full-ring path (-EAGAIN, transmit interrupt, the loop's backlog). */
#ifndef VNET_TX_QUEUE_MAX
#define VNET_TX_QUEUE_MAX NET_QUEUE_SIZE
#endif

struct vnet {
    struct vtransport *t;
    struct virtq rx, tx;
    uint8_t *rx_bufs, *tx_bufs;
    uint16_t tx_free[VIRTQ_MAX_SIZE]; /* stack of idle transmit descriptors */
    uint16_t tx_nfree;
    bool tx_irq;    /* transmit interrupts enabled: a send found the ring full */
    size_t hdr_len; /* 12 for modern devices, 10 for legacy ones */
    struct plat_net_info info;
    struct vnet_stats {
        uint64_t rx, tx, tx_ring_full, rx_too_big, rx_bad_length, bad_id;
    } stats; /* every frame not delivered has its counter */
};

static struct vnet nics[PLAT_MAX_NICS];
static unsigned nic_count;

static uint16_t queue_size(struct vtransport *t, unsigned index)
{
    uint16_t max = t->ops->queue_max(t, index);
    uint16_t limit = index == TXQ ? VNET_TX_QUEUE_MAX : NET_QUEUE_SIZE;
    if (t->queue_size_fixed || max <= limit)
        return max;
    return limit;
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
    n->tx.avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    return 0;
}

static int vnet_queues(struct vnet *n, uint8_t vector)
{
    struct vtransport *t = n->t;
    uint16_t rs = queue_size(t, RXQ), ts = queue_size(t, TXQ);
    if (!rs || !ts || rs > VIRTQ_MAX_SIZE || ts > VIRTQ_MAX_SIZE || (rs & (rs - 1)) ||
        (ts & (ts - 1)))
        return -EIO;
    int r;
    if ((r = virtq_alloc(&n->rx, rs)) < 0 || (r = virtq_alloc(&n->tx, ts)) < 0)
        return r;
    if ((r = vnet_rx_init(n)) < 0 || (r = vnet_tx_init(n)) < 0)
        return r;
    if ((r = t->ops->queue_setup(t, RXQ, &n->rx, vector)) < 0 ||
        (r = t->ops->queue_setup(t, TXQ, &n->tx, vector)) < 0)
        return r;
    return 0;
}

static uint64_t vnet_negotiate(struct vnet *n)
{
    struct vtransport *t = n->t;
    uint64_t want = VIRTIO_NET_F_MAC | VIRTIO_NET_F_MTU | (t->modern ? VIRTIO_F_VERSION_1 : 0);
    uint64_t features = t->ops->get_features(t) & want;
    t->ops->set_features(t, features);
    n->hdr_len = (features & VIRTIO_F_VERSION_1) ? 12 : 10;
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
        uint16_t limit = (uint16_t)(NET_BUF_SIZE - n->hdr_len - ETH_OVERHEAD);
        n->info.mtu = mtu > limit ? limit : mtu;
    }
}

/* virtio 1.x section 3.1.1: reset, ACK, DRIVER, features, FEATURES_OK, queues, DRIVER_OK. */
static int vnet_init(struct vnet *n, uint8_t vector)
{
    struct vtransport *t = n->t;
    t->ops->set_status(t, 0);
    t->ops->set_status(t, VIRTIO_STATUS_ACK);
    t->ops->set_status(t, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    uint64_t features = vnet_negotiate(n);
    uint8_t status = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER;
    if (t->modern) {
        status |= VIRTIO_STATUS_FEATURES_OK;
        t->ops->set_status(t, status);
        if (!(t->ops->get_status(t) & VIRTIO_STATUS_FEATURES_OK))
            return -EIO;
    }
    vnet_read_config(n, features);
    int r = t->ops->irq_setup(t, vector);
    if (r < 0)
        return r;
    if ((r = vnet_queues(n, vector)) < 0)
        return r;
    t->ops->set_status(t, status | VIRTIO_STATUS_DRIVER_OK);
    virtq_publish(&n->rx);
    t->ops->notify(t, RXQ);
    return 0;
}

/* The NIC interrupts by a line (INTx or virtio-mmio), not by MSI-X. */
static bool vnet_on_line(const struct vtransport *t)
{
    return !t->msix && t->gsi >= 0;
}

static void vnet_found(struct vtransport *t)
{
    if (nic_count == PLAT_MAX_NICS) {
        kprintf("kvm: virtio-net: more than %d NICs, ignoring one\n", PLAT_MAX_NICS);
        return;
    }
    struct vnet *n = &nics[nic_count];
    *n = (struct vnet){.t = t};
    int r = vnet_init(n, (uint8_t)(VEC_NIC_BASE + nic_count));
    if (r < 0) {
        t->ops->set_status(t, VIRTIO_STATUS_FAILED);
        kprintf("kvm: virtio-net (%s) setup failed: %d\n", t->name, r);
        return;
    }
    const uint8_t *m = n->info.mac;
    char line[16] = "";
    if (vnet_on_line(t))
        snprintf(line, sizeof(line), " gsi %d", t->gsi);
    kprintf("kvm: net%u virtio-%s mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u queues %u/%u%s\n",
            nic_count, t->name, m[0], m[1], m[2], m[3], m[4], m[5], n->info.mtu, n->rx.size,
            n->tx.size, line);
    nic_count++;
}

void virtio_net_probe(const char *cmdline)
{
    virtio_mmio_probe(cmdline, vnet_found);
    virtio_pci_probe(vnet_found);
    if (nic_count == 0)
        kprintf("kvm: no virtio-net device found\n");
}

uint64_t virtio_net_irq_ack(unsigned nic)
{
    if (nic >= nic_count)
        return 0;
    const struct vtransport *t = nics[nic].t;
    uint64_t acked = 0;
    for (unsigned i = 0; i < nic_count; i++) {
        struct vtransport *u = nics[i].t;
        if (i == nic || (vnet_on_line(t) && vnet_on_line(u) && u->gsi == t->gsi)) {
            u->ops->irq_ack(u);
            acked |= 1ull << i;
        }
    }
    return acked;
}

void virtio_net_print_stats(void)
{
    for (unsigned i = 0; i < nic_count; i++) {
        const struct vnet_stats *st = &nics[i].stats;
        kprintf("stats kvm.net%u: rx=%llu tx=%llu tx_ring_full=%llu rx_too_big=%llu "
                "rx_bad_length=%llu bad_id=%llu\n",
                i, (unsigned long long)st->rx, (unsigned long long)st->tx,
                (unsigned long long)st->tx_ring_full, (unsigned long long)st->rx_too_big,
                (unsigned long long)st->rx_bad_length, (unsigned long long)st->bad_id);
    }
}

unsigned plat_net_count(void)
{
    return nic_count;
}

int plat_net_info(unsigned nic, struct plat_net_info *out)
{
    if (nic >= nic_count)
        return -ENODEV;
    *out = nics[nic].info;
    return 0;
}

/* Ask the device for an interrupt per completed transmit buffer (on), or for none (off). */
static void vnet_tx_irq(struct vnet *n, bool on)
{
    n->tx_irq = on;
    *(volatile uint16_t *)&n->tx.avail->flags = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
    mb(); /* the flag before reading used->idx again: a completion in between is not missed */
}

static void vnet_tx_reclaim(struct vnet *n)
{
    uint16_t id;
    uint32_t len;
    while (virtq_pop(&n->tx, &id, &len)) {
        if (id < n->tx.size && n->tx_nfree < n->tx.size)
            n->tx_free[n->tx_nfree++] = id;
        else
            n->stats.bad_id++;
    }
    if (n->tx_irq && n->tx_nfree)
        vnet_tx_irq(n, false); /* room again: back to interrupt-free sending */
}

/* A free transmit descriptor, reclaiming completions first. When the ring is full, transmit
 * interrupts are enabled and completions checked once more (one may have landed before the
 * flag was seen); false then means the device will interrupt when it frees one. */
static bool vnet_tx_room(struct vnet *n)
{
    vnet_tx_reclaim(n);
    if (n->tx_nfree || n->tx_irq)
        return n->tx_nfree != 0;
    vnet_tx_irq(n, true);
    vnet_tx_reclaim(n);
    return n->tx_nfree != 0;
}

int plat_net_send(unsigned nic, const void *frame, size_t len, const struct plat_net_tso *tso)
{
    if (nic >= nic_count)
        return -ENODEV;
    struct vnet *n = &nics[nic];
    if (len == 0 || len > NET_BUF_SIZE - n->hdr_len || tso)
        return -EINVAL; /* no TSO here (tx_tso_max 0): every frame fits the MTU */
    if (!vnet_tx_room(n)) {
        n->stats.tx_ring_full++;
        return -EAGAIN;
    }
    uint16_t id = n->tx_free[--n->tx_nfree];
    uint8_t *buf = n->tx_bufs + (size_t)id * NET_BUF_SIZE;
    memset(buf, 0, n->hdr_len);
    memcpy(buf + n->hdr_len, frame, len);
    n->tx.desc[id].len = (uint32_t)(n->hdr_len + len);
    n->tx.desc[id].flags = 0;
    virtq_push(&n->tx, id);
    virtq_publish(&n->tx);
    if (virtq_needs_notify(&n->tx))
        n->t->ops->notify(n->t, TXQ);
    n->stats.tx++;
    return 0;
}

int plat_net_recv(unsigned nic, struct plat_net_rx *rx)
{
    if (nic >= nic_count)
        return -ENODEV;
    struct vnet *n = &nics[nic];
    uint16_t id;
    uint32_t used_len;
    if (!virtq_pop(&n->rx, &id, &used_len))
        return -EAGAIN;
    if (id >= n->rx.size) {
        n->stats.bad_id++;
        return -EIO;
    }
    int r = 0;
    if (used_len < n->hdr_len || used_len > NET_BUF_SIZE) {
        n->stats.rx_bad_length++;
        r = -EIO;
    } else if (plat_net_rx_copy(rx, n->rx_bufs + (size_t)id * NET_BUF_SIZE + n->hdr_len,
                                used_len - n->hdr_len) < 0) {
        n->stats.rx_too_big++;
        r = -EMSGSIZE;
    } else {
        n->stats.rx++;
    }
    virtq_push(&n->rx, id); /* the buffer goes straight back: the ring stays full */
    virtq_publish(&n->rx);
    if (virtq_needs_notify(&n->rx))
        n->t->ops->notify(n->t, RXQ);
    return r;
}
