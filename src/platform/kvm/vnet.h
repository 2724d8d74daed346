/*
 * The virtio-net driver's state, shared by virtio_net.c (setup, feature negotiation, probing,
 * counters) and vnet_io.c (plat_net_send / plat_net_recv).
 */
#ifndef KVM_VNET_H
#define KVM_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unic/platform.h"
#include "unic/stats.h"
#include "virtio.h"

#define VIRTIO_NET_F_CSUM (1ull << 0)       /* device completes partial checksums we send  */
#define VIRTIO_NET_F_GUEST_CSUM (1ull << 1) /* device may hand us partial checksums        */
#define VIRTIO_NET_F_MTU (1ull << 3)
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_GUEST_TSO4 (1ull << 7) /* device may hand us TCP/IPv4 super-packets   */
#define VIRTIO_NET_F_GUEST_TSO6 (1ull << 8) /* device may hand us TCP/IPv6 super-packets   */
#define VIRTIO_NET_F_HOST_TSO4 (1ull << 11) /* device cuts our TCP/IPv4 super-packets      */
#define VIRTIO_NET_F_HOST_TSO6 (1ull << 12) /* device cuts our TCP/IPv6 super-packets      */
#define VIRTIO_NET_F_MRG_RXBUF (1ull << 15) /* a received frame may span several buffers   */

/* Published buffers the device is told of at once (a kick) once this many wait; otherwise at
 * the end of the loop's turn (plat_wait, a receive that finds nothing) or when the ring is full. */
#define VNET_KICK_BATCH 64u
#define NET_BUF_SIZE 2048u /* every descriptor's buffer, receive and transmit */
#define NET_QUEUE_SIZE 256u
#define ETH_OVERHEAD 18u /* Ethernet header + one VLAN tag */
#define RXQ 0
#define TXQ 1

/* Every frame not delivered has its counter; the offload counters are named as hosted's TAP. */
/* clang-format off */
#define VNET_STATS(X)                                                                              \
    X(rx) X(tx) X(tx_ring_full) X(rx_too_big) X(rx_bad_length) X(bad_id)                           \
    X(rx_gso_frames) X(rx_gso_bytes) X(rx_csum_partial) X(rx_csum_valid) X(rx_bad_vnet_hdr)        \
    X(rx_merged) X(tx_tso_frames) X(tx_tso_bytes) X(kicks)
/* clang-format on */
struct vnet_stats {
    VNET_STATS(STATS_FIELD)
};

struct vnet {
    struct vtransport *t;
    struct virtq rx, tx;
    uint8_t *rx_bufs, *tx_bufs;
    uint16_t tx_free[VIRTQ_MAX_SIZE]; /* stack of idle transmit descriptors */
    uint16_t tx_nfree;
    bool tx_irq;           /* transmit interrupts enabled: a send found the ring full */
    bool mrg_rxbuf;        /* a received frame may span buffers (num_buffers in its header) */
    uint32_t rx_gso_types; /* VNET_HDR_GSO_BIT()s of the super-packets that may arrive */
    size_t hdr_len;        /* 12 for modern devices and with MRG_RXBUF, else 10 */
    uint64_t features;
    struct plat_net_info info;
    struct vnet_stats stats;
};

extern struct vnet vnet_nics[PLAT_MAX_NICS];
extern unsigned vnet_count;

/* Tell the device of the buffers published on queue (index) if it wants to know (a kick). */
void vnet_kick(struct vnet *n, unsigned index);

#endif
