/*
 * virtio over PCI (q35, pc): modern devices (virtio 1.0, registers found through vendor
 * capabilities in memory BARs, interrupts by MSI-X) and legacy/transitional ones (I/O BAR 0,
 * INTx through the IOAPIC) as the fallback. Configuration space is reached with the 0xcf8 /
 * 0xcfc ports. Only bus 0 is scanned: QEMU puts -device virtio-net-pci there by default.
 *
 * INTx is level-triggered and shared (PCI 3.0 2.2.6): it is routed level-triggered and
 * acknowledged by reading the ISR register (virtio 1.x 4.1.4.5: that lowers the line) of every
 * NIC on the line (virtio_net_irq_ack) before the loop drains the rings.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "cpu.h"
#include "kvm.h"
#include "virtio.h"

#define PCI_VENDOR_VIRTIO 0x1af4
#define PCI_DEV_LEGACY_FIRST 0x1000 /* transitional devices: 0x1000-0x103f */
#define PCI_DEV_LEGACY_LAST 0x103f
#define PCI_DEV_MODERN_BASE 0x1040
#define PCI_COMMAND 0x04
#define PCI_CMD_IO 0x1
#define PCI_CMD_MEM 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_CMD_INTX_OFF 0x400
#define PCI_STATUS_CAPS 0x10
#define PCI_CAP_PTR 0x34
#define PCI_INT_LINE 0x3c
#define PCI_CAP_MSIX 0x11
#define PCI_CAP_VENDOR 0x09
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR 3
#define VIRTIO_PCI_CAP_DEVICE 4
#define MSIX_ENABLE 0x8000
#define MSIX_NO_VECTOR 0xffff
#define PCI_MAX_DEVICES 4

/* Modern common configuration (virtio 1.x 4.1.4.3). */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_MSIX_CONFIG 0x10
#define CC_STATUS 0x14
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_MSIX 0x1a
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOTIFY_OFF 0x1e
#define CC_Q_DESC 0x20
#define CC_Q_DRIVER 0x28
#define CC_Q_DEVICE 0x30

/* Legacy I/O registers (virtio 0.9.5), without MSI-X. */
#define LEG_HOST_FEATURES 0x00
#define LEG_GUEST_FEATURES 0x04
#define LEG_QUEUE_PFN 0x08
#define LEG_QUEUE_SIZE 0x0c
#define LEG_QUEUE_SEL 0x0e
#define LEG_QUEUE_NOTIFY 0x10
#define LEG_STATUS 0x12
#define LEG_ISR 0x13
#define LEG_CONFIG 0x14

static struct vtransport pci_devs[PCI_MAX_DEVICES];
static unsigned pci_count;

static uint32_t cfg_addr(const struct vtransport *t, uint8_t off)
{
    return 0x80000000u | (uint32_t)t->pci_bus << 16 | (uint32_t)t->pci_dev << 11 |
           (uint32_t)t->pci_fn << 8 | (off & 0xfc);
}

static uint32_t cfg_read32(const struct vtransport *t, uint8_t off)
{
    outl(0xcf8, cfg_addr(t, off));
    return inl(0xcfc);
}

static uint16_t cfg_read16(const struct vtransport *t, uint8_t off)
{
    return (uint16_t)(cfg_read32(t, off) >> ((off & 2) * 8));
}

static uint8_t cfg_read8(const struct vtransport *t, uint8_t off)
{
    return (uint8_t)(cfg_read32(t, off) >> ((off & 3) * 8));
}

static void cfg_write16(const struct vtransport *t, uint8_t off, uint16_t v)
{
    outl(0xcf8, cfg_addr(t, off));
    outw((uint16_t)(0xcfc + (off & 2)), v);
}

bool pci_present(void)
{
    struct vtransport host = {0};
    return (cfg_read32(&host, 0) & 0xffff) != 0xffff;
}

/* ---- modern ---- */

static uint64_t modern_get_features(struct vtransport *t)
{
    mmio_write32(t->common + CC_DFSELECT, 0);
    uint64_t f = mmio_read32(t->common + CC_DF);
    mmio_write32(t->common + CC_DFSELECT, 1);
    return f | (uint64_t)mmio_read32(t->common + CC_DF) << 32;
}

static void modern_set_features(struct vtransport *t, uint64_t f)
{
    mmio_write32(t->common + CC_GFSELECT, 0);
    mmio_write32(t->common + CC_GF, (uint32_t)f);
    mmio_write32(t->common + CC_GFSELECT, 1);
    mmio_write32(t->common + CC_GF, (uint32_t)(f >> 32));
}

static uint8_t modern_get_status(struct vtransport *t)
{
    return mmio_read8(t->common + CC_STATUS);
}

static void modern_set_status(struct vtransport *t, uint8_t s)
{
    mmio_write8(t->common + CC_STATUS, s);
}

static uint8_t modern_config8(struct vtransport *t, unsigned off)
{
    return mmio_read8(t->device + off);
}

static uint16_t modern_queue_max(struct vtransport *t, unsigned index)
{
    mmio_write16(t->common + CC_Q_SELECT, (uint16_t)index);
    return mmio_read16(t->common + CC_Q_SIZE);
}

static void wr64(uintptr_t addr, uint64_t v)
{
    mmio_write32(addr, (uint32_t)v);
    mmio_write32(addr + 4, (uint32_t)(v >> 32));
}

static int modern_queue_setup(struct vtransport *t, unsigned index, struct virtq *q, uint8_t vec)
{
    mmio_write16(t->common + CC_Q_SELECT, (uint16_t)index);
    mmio_write16(t->common + CC_Q_SIZE, q->size);
    if (t->msix) {
        uint16_t entry = vec ? 0 : MSIX_NO_VECTOR; /* table entry 0 is the receive queue's */
        mmio_write16(t->common + CC_Q_MSIX, entry);
        if (mmio_read16(t->common + CC_Q_MSIX) != entry)
            return -EIO;
    }
    wr64(t->common + CC_Q_DESC, (uintptr_t)q->desc);
    wr64(t->common + CC_Q_DRIVER, (uintptr_t)q->avail);
    wr64(t->common + CC_Q_DEVICE, (uintptr_t)q->used);
    if (index < VTRANSPORT_QUEUES) /* a kick is then one write, not select + read + write */
        t->notify_off[index] = mmio_read16(t->common + CC_Q_NOTIFY_OFF);
    mmio_write16(t->common + CC_Q_ENABLE, 1);
    return 0;
}

static void modern_notify(struct vtransport *t, unsigned index)
{
    uint16_t off;
    if (index < VTRANSPORT_QUEUES) {
        off = t->notify_off[index];
    } else {
        mmio_write16(t->common + CC_Q_SELECT, (uint16_t)index);
        off = mmio_read16(t->common + CC_Q_NOTIFY_OFF);
    }
    mmio_write16(t->notify_base + (uintptr_t)off * t->notify_mult, (uint16_t)index);
}

static int modern_irq_setup(struct vtransport *t, uint8_t vector)
{
    mmio_write16(t->common + CC_MSIX_CONFIG, MSIX_NO_VECTOR);
    if (t->msix) {
        uint64_t addr;
        uint32_t data;
        apic_msi(vector, &addr, &data);
        mmio_write32(t->msix_table + 0, (uint32_t)addr);
        mmio_write32(t->msix_table + 4, (uint32_t)(addr >> 32));
        mmio_write32(t->msix_table + 8, data);
        mmio_write32(t->msix_table + 12, 0); /* unmasked */
        return 0;
    }
    return t->gsi < 0 ? -ENODEV : ioapic_route((unsigned)t->gsi, vector, true);
}

static void modern_irq_ack(struct vtransport *t)
{
    if (!t->msix)
        (void)mmio_read8(t->isr); /* reading clears it and lowers INTx */
}

static const struct vtransport_ops modern_ops = {
    .get_features = modern_get_features,
    .set_features = modern_set_features,
    .get_status = modern_get_status,
    .set_status = modern_set_status,
    .config8 = modern_config8,
    .queue_max = modern_queue_max,
    .queue_setup = modern_queue_setup,
    .notify = modern_notify,
    .irq_setup = modern_irq_setup,
    .irq_ack = modern_irq_ack,
};

/* ---- legacy ---- */

static uint16_t io(struct vtransport *t, unsigned reg)
{
    return (uint16_t)(t->base + reg);
}

static uint64_t legacy_get_features(struct vtransport *t)
{
    return inl(io(t, LEG_HOST_FEATURES));
}

static void legacy_set_features(struct vtransport *t, uint64_t f)
{
    outl(io(t, LEG_GUEST_FEATURES), (uint32_t)f);
}

static uint8_t legacy_get_status(struct vtransport *t)
{
    return inb(io(t, LEG_STATUS));
}

static void legacy_set_status(struct vtransport *t, uint8_t s)
{
    outb(io(t, LEG_STATUS), s);
}

static uint8_t legacy_config8(struct vtransport *t, unsigned off)
{
    return inb(io(t, LEG_CONFIG + off));
}

static uint16_t legacy_queue_max(struct vtransport *t, unsigned index)
{
    outw(io(t, LEG_QUEUE_SEL), (uint16_t)index);
    return inw(io(t, LEG_QUEUE_SIZE));
}

static int legacy_queue_setup(struct vtransport *t, unsigned index, struct virtq *q, uint8_t vec)
{
    (void)vec;
    outw(io(t, LEG_QUEUE_SEL), (uint16_t)index);
    if ((uintptr_t)q->desc >> 44)
        return -EIO; /* the PFN register has 32 bits */
    outl(io(t, LEG_QUEUE_PFN), (uint32_t)((uintptr_t)q->desc >> 12));
    return 0;
}

static void legacy_notify(struct vtransport *t, unsigned index)
{
    outw(io(t, LEG_QUEUE_NOTIFY), (uint16_t)index);
}

static int legacy_irq_setup(struct vtransport *t, uint8_t vector)
{
    return t->gsi < 0 ? -ENODEV : ioapic_route((unsigned)t->gsi, vector, true);
}

static void legacy_irq_ack(struct vtransport *t)
{
    (void)inb(io(t, LEG_ISR));
}

static const struct vtransport_ops legacy_ops = {
    .get_features = legacy_get_features,
    .set_features = legacy_set_features,
    .get_status = legacy_get_status,
    .set_status = legacy_set_status,
    .config8 = legacy_config8,
    .queue_max = legacy_queue_max,
    .queue_setup = legacy_queue_setup,
    .notify = legacy_notify,
    .irq_setup = legacy_irq_setup,
    .irq_ack = legacy_irq_ack,
};

/* ---- discovery ---- */

/* Physical address of BAR (bar), or 0 for an I/O or empty BAR. */
static uint64_t bar_address(struct vtransport *t, unsigned bar)
{
    uint32_t lo = cfg_read32(t, (uint8_t)(0x10 + 4 * bar));
    if (lo & 1)
        return 0;
    uint64_t addr = lo & ~0xfull;
    if (((lo >> 1) & 3) == 2 && bar < 5)
        addr |= (uint64_t)cfg_read32(t, (uint8_t)(0x10 + 4 * (bar + 1))) << 32;
    return addr;
}

/* Map (off, len) of BAR (bar) and return its address, or 0. */
static uintptr_t bar_map(struct vtransport *t, unsigned bar, uint32_t off, uint32_t len)
{
    uint64_t base = bar_address(t, bar);
    if (!base || paging_map_mmio(base + off, len) < 0)
        return 0;
    return (uintptr_t)(base + off);
}

static void modern_cap(struct vtransport *t, uint8_t cap)
{
    uint8_t type = cfg_read8(t, cap + 3), bar = cfg_read8(t, cap + 4);
    uint32_t off = cfg_read32(t, cap + 8), len = cfg_read32(t, cap + 12);
    if (bar > 5)
        return;
    uintptr_t addr = bar_map(t, bar, off, len);
    if (type == VIRTIO_PCI_CAP_COMMON && !t->common)
        t->common = addr;
    else if (type == VIRTIO_PCI_CAP_NOTIFY && !t->notify_base) {
        t->notify_base = addr;
        t->notify_mult = cfg_read32(t, cap + 16);
    } else if (type == VIRTIO_PCI_CAP_ISR && !t->isr)
        t->isr = addr;
    else if (type == VIRTIO_PCI_CAP_DEVICE && !t->device)
        t->device = addr;
}

/* Map the MSI-X table and enable MSI-X: only for a modern device (a legacy one would move its
 * configuration registers by 4 bytes). */
static void msix_enable(struct vtransport *t)
{
    uint8_t cap = t->msix_cap;
    uint32_t table = cfg_read32(t, cap + 4);
    uint16_t ctrl = cfg_read16(t, cap + 2);
    uintptr_t addr = bar_map(t, table & 7, table & ~7u, 16 * ((ctrl & 0x7ff) + 1u));
    if (!addr)
        return;
    t->msix_table = addr;
    cfg_write16(t, cap + 2, ctrl | MSIX_ENABLE);
    t->msix = true;
}

static void walk_caps(struct vtransport *t)
{
    if (!(cfg_read16(t, 0x06) & PCI_STATUS_CAPS))
        return;
    uint8_t cap = cfg_read8(t, PCI_CAP_PTR) & 0xfc;
    for (int guard = 0; cap && guard < 48; guard++) {
        uint8_t id = cfg_read8(t, cap);
        if (id == PCI_CAP_VENDOR)
            modern_cap(t, cap);
        else if (id == PCI_CAP_MSIX)
            t->msix_cap = cap;
        cap = cfg_read8(t, cap + 1) & 0xfc;
    }
}

static bool setup_modern(struct vtransport *t)
{
    walk_caps(t);
    if (!t->common || !t->notify_base || !t->isr || !t->device)
        return false;
    if (t->msix_cap)
        msix_enable(t);
    t->ops = &modern_ops;
    t->name = t->msix ? "pci (msi-x)" : "pci (intx)";
    t->modern = true;
    return true;
}

static bool setup_legacy(struct vtransport *t)
{
    uint32_t bar0 = cfg_read32(t, 0x10);
    if (!(bar0 & 1))
        return false;
    t->ops = &legacy_ops;
    t->name = "pci-legacy (intx)";
    t->base = bar0 & ~3u;
    t->queue_size_fixed = true;
    return true;
}

static void pci_try(uint8_t dev, uint32_t want, void (*found)(struct vtransport *t))
{
    struct vtransport probe = {.pci_dev = dev};
    uint32_t id = cfg_read32(&probe, 0);
    if ((id & 0xffff) != PCI_VENDOR_VIRTIO || pci_count == PCI_MAX_DEVICES)
        return;
    uint16_t device = (uint16_t)(id >> 16);
    /* modern: 0x1040 + the virtio ID; transitional: 0x1000 + n, the ID in the subsystem ID */
    if (device != PCI_DEV_MODERN_BASE + want &&
        !(device >= PCI_DEV_LEGACY_FIRST && device <= PCI_DEV_LEGACY_LAST &&
          cfg_read16(&probe, 0x2e) == want))
        return;
    struct vtransport *t = &pci_devs[pci_count];
    *t = probe;
    uint8_t line = cfg_read8(t, PCI_INT_LINE);
    t->gsi = line && line != 0xff ? line : -1;
    uint16_t cmd = cfg_read16(t, PCI_COMMAND) | PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER;
    if (!setup_modern(t)) {
        *t = probe;
        t->gsi = line && line != 0xff ? line : -1;
        if (!setup_legacy(t))
            return;
    }
    cfg_write16(t, PCI_COMMAND, t->msix ? cmd | PCI_CMD_INTX_OFF : cmd);
    pci_count++;
    found(t);
}

void virtio_pci_probe(uint32_t id, void (*found)(struct vtransport *t))
{
    if (!pci_present())
        return;
    for (uint8_t dev = 0; dev < 32; dev++)
        pci_try(dev, id, found);
}
