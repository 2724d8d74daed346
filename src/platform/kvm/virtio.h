/*
 * virtio for the kvm platform: split virtqueues (virtq.c) and the transports that reach a
 * device's registers (virtio_mmio.c for microvm/Firecracker, virtio_pci.c for q35/pc, modern
 * and legacy). virtio_net.c drives a network device through struct vtransport only.
 */
#ifndef KVM_VIRTIO_H
#define KVM_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED 128
#define VIRTIO_RING_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_RNG 4

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_MAX_SIZE 256

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

struct virtq_avail {
    uint16_t flags, idx;
    uint16_t ring[];
};

struct virtq_used_elem {
    uint32_t id, len;
};

struct virtq_used {
    uint16_t flags, idx;
    struct virtq_used_elem ring[];
};

/* One split virtqueue, laid out the legacy way (used ring on its own page) so the same memory
 * suits legacy and modern transports. */
struct virtq {
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint16_t size;
    uint16_t last_used;  /* next used index to look at */
    uint16_t avail_idx;  /* our shadow of avail->idx */
    uint16_t kicked_idx; /* avail_idx when the device was last notified (or found not to need it) */
    bool event_idx;      /* VIRTIO_RING_F_EVENT_IDX: used_event / avail_event instead of flags */
    void *mem;           /* what virtq_alloc malloc'd */
};

/* Allocate (size) entries (a power of two <= VIRTQ_MAX_SIZE), zeroed. 0 or -ENOMEM. */
int virtq_alloc(struct virtq *q, uint16_t size);
/* Offer descriptor (id) (already filled in) to the device. Publish with virtq_publish. */
void virtq_push(struct virtq *q, uint16_t id);
void virtq_publish(struct virtq *q);
/* Take the next used element: true and its (id, len), or false when there is none. */
bool virtq_pop(struct virtq *q, uint16_t *id, uint32_t *len);
/* Used elements waiting to be popped. */
uint16_t virtq_used_pending(const struct virtq *q);
/* Does the device want a notification for what was published since the last one? (EVENT_IDX:
 * has avail_idx passed the device's avail_event since then; else: is NO_NOTIFY clear.) True
 * means the caller notifies now; either way the published entries count as told. */
bool virtq_kick_prepare(struct virtq *q);
/* Published entries the device was not yet told of (virtq_kick_prepare not called since). */
uint16_t virtq_unkicked(const struct virtq *q);
/* Interrupts for used buffers: on asks for one at the next used element (EVENT_IDX: used_event
 * = last_used), off asks for none (the flag, or used_event half the index space behind; a
 * device may still interrupt once in a while, which the driver must take as spurious). Then a
 * full barrier, so the caller can look at the used ring again without missing an element. */
void virtq_irq(struct virtq *q, bool on);

struct vtransport;

#define VTRANSPORT_QUEUES 2 /* queues whose notify offset is kept (virtio-net's two) */

struct vtransport_ops {
    uint64_t (*get_features)(struct vtransport *t);
    void (*set_features)(struct vtransport *t, uint64_t features);
    uint8_t (*get_status)(struct vtransport *t);
    void (*set_status)(struct vtransport *t, uint8_t status);
    uint8_t (*config8)(struct vtransport *t, unsigned offset);
    /* Largest size the device allows for queue (index), 0 if it does not exist. */
    uint16_t (*queue_max)(struct vtransport *t, unsigned index);
    /* Give queue (index) to the device; (vector) is its interrupt vector or 0 for none
     * (the transport ignores it where interrupts are per device). 0 or -EIO. */
    int (*queue_setup)(struct vtransport *t, unsigned index, struct virtq *q, uint8_t vector);
    void (*notify)(struct vtransport *t, unsigned index);
    /* Route the device interrupt to (vector) (INTx/mmio line or MSI-X config). 0 or -errno. */
    int (*irq_setup)(struct vtransport *t, uint8_t vector);
    /* After an interrupt: acknowledge it at the device so the line can fire again. */
    void (*irq_ack)(struct vtransport *t);
};

struct vtransport {
    const struct vtransport_ops *ops;
    const char *name;      /* "mmio", "pci", "pci-legacy" */
    bool modern;           /* VIRTIO_F_VERSION_1 must be negotiated */
    bool queue_size_fixed; /* legacy PCI: the queue size is the device's */
    uintptr_t base;        /* mmio: register base; legacy pci: I/O port base */
    int gsi;               /* mmio / INTx line, -1 if none */
    /* modern PCI */
    uintptr_t common, notify_base, isr, device;
    uint32_t notify_mult;
    uint16_t notify_off[VTRANSPORT_QUEUES]; /* queue_notify_off of each queue, read at setup */
    uintptr_t msix_table;
    uint8_t msix_cap; /* config space offset of the MSI-X capability, 0 if none */
    bool msix;
    uint8_t pci_bus, pci_dev, pci_fn;
};

/* Reset the device, then ACKNOWLEDGE and DRIVER (virtio 1.x 3.1.1 steps 1-3). */
void virtio_begin(struct vtransport *t);

/* After the driver set its features: FEATURES_OK on a modern device, checked (steps 5-6).
 * (*status) receives the status bits so far, for DRIVER_OK later. 0 or -EIO. */
int virtio_features_ok(struct vtransport *t, uint8_t *status);

/* The size of queue (index): the device's maximum, or (limit) when the transport lets the
 * driver choose; 0 when that is not a power of two up to VIRTQ_MAX_SIZE. */
uint16_t virtio_queue_size(struct vtransport *t, unsigned index, uint16_t limit);

/* Find the virtio-mmio devices of virtio ID (id). (cmdline): the raw kernel command line, whose
 * virtio_mmio.device= words name them on QEMU microvm. Calls (found) for each. */
void virtio_mmio_probe(const char *cmdline, uint32_t id, void (*found)(struct vtransport *t));
/* Is there a PCI host bridge behind ports 0xcf8/0xcfc (q35, pc; not microvm)? */
bool pci_present(void);
/* Find the PCI devices of virtio ID (id) on bus 0, modern first, else legacy. */
void virtio_pci_probe(uint32_t id, void (*found)(struct vtransport *t));

#endif
