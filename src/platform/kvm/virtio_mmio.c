/*
 * virtio-mmio transport (QEMU microvm, Firecracker), version 1 (legacy: QEMU's default) and
 * version 2 (modern). Devices are named on the kernel command line by QEMU microvm as
 * "virtio_mmio.device=512@0xADDR:GSI" (Linux's syntax, which Firecracker also uses with
 * sizes like 4K) when it has no ACPI. With ACPI (its
 * default) they are only in the DSDT, which we do not parse: then the microvm slots at
 * 0xfeb00000 are probed, with QEMU's fixed lines: GSI 24 + slot on the second IOAPIC (24
 * slots), or GSI 16 + slot without it (8 slots).
 * The interrupt line is routed through the IOAPIC, edge-triggered: the device holds it high
 * while InterruptStatus is non-zero, so irq_ack must clear the status before the loop reads
 * the ring (a frame arriving later raises a new edge).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "kvm.h"
#include "virtio.h"

#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_GUEST_PAGE_SIZE 0x028
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_ALIGN 0x03c
#define MMIO_QUEUE_PFN 0x040
#define MMIO_QUEUE_READY 0x044
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC 0x080
#define MMIO_QUEUE_AVAIL 0x090
#define MMIO_QUEUE_USED 0x0a0
#define MMIO_CONFIG 0x100
#define MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define MMIO_SIZE 0x200
#define MMIO_DEFAULT_BASE 0xfeb00000u
#define MMIO_IOAPIC2_GSI 24
#define MMIO_IOAPIC2_SLOTS 24
#define MMIO_ACPI_GSI 16
#define MMIO_ACPI_SLOTS 8
#define MMIO_MAX_DEVICES 8

static struct vtransport mmio_devs[MMIO_MAX_DEVICES];
static unsigned mmio_count;

static uint32_t rd(struct vtransport *t, uint32_t reg)
{
    return mmio_read32(t->base + reg);
}

static void wr(struct vtransport *t, uint32_t reg, uint32_t v)
{
    mmio_write32(t->base + reg, v);
}

static uint64_t mmio_get_features(struct vtransport *t)
{
    wr(t, MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t f = rd(t, MMIO_DEVICE_FEATURES);
    if (t->modern) {
        wr(t, MMIO_DEVICE_FEATURES_SEL, 1);
        f |= (uint64_t)rd(t, MMIO_DEVICE_FEATURES) << 32;
    }
    return f;
}

static void mmio_set_features(struct vtransport *t, uint64_t f)
{
    wr(t, MMIO_DRIVER_FEATURES_SEL, 0);
    wr(t, MMIO_DRIVER_FEATURES, (uint32_t)f);
    if (t->modern) {
        wr(t, MMIO_DRIVER_FEATURES_SEL, 1);
        wr(t, MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
    }
}

static uint8_t mmio_get_status(struct vtransport *t)
{
    return (uint8_t)rd(t, MMIO_STATUS);
}

static void mmio_set_status(struct vtransport *t, uint8_t s)
{
    wr(t, MMIO_STATUS, s);
}

static uint8_t mmio_config8(struct vtransport *t, unsigned off)
{
    return mmio_read8(t->base + MMIO_CONFIG + off);
}

static uint16_t mmio_queue_max(struct vtransport *t, unsigned index)
{
    wr(t, MMIO_QUEUE_SEL, index);
    return (uint16_t)rd(t, MMIO_QUEUE_NUM_MAX);
}

static void wr64(struct vtransport *t, uint32_t reg, uint64_t v)
{
    wr(t, reg, (uint32_t)v);
    wr(t, reg + 4, (uint32_t)(v >> 32));
}

static int mmio_queue_setup(struct vtransport *t, unsigned index, struct virtq *q, uint8_t vec)
{
    (void)vec; /* one interrupt line per device */
    wr(t, MMIO_QUEUE_SEL, index);
    wr(t, MMIO_QUEUE_NUM, q->size);
    if (t->modern) {
        wr64(t, MMIO_QUEUE_DESC, (uintptr_t)q->desc);
        wr64(t, MMIO_QUEUE_AVAIL, (uintptr_t)q->avail);
        wr64(t, MMIO_QUEUE_USED, (uintptr_t)q->used);
        wr(t, MMIO_QUEUE_READY, 1);
    } else {
        wr(t, MMIO_QUEUE_ALIGN, 4096);
        wr(t, MMIO_QUEUE_PFN, (uint32_t)((uintptr_t)q->desc >> 12));
    }
    return 0;
}

static void mmio_notify(struct vtransport *t, unsigned index)
{
    wr(t, MMIO_QUEUE_NOTIFY, index);
}

static int mmio_irq_setup(struct vtransport *t, uint8_t vector)
{
    return t->gsi < 0 ? -ENODEV : ioapic_route((unsigned)t->gsi, vector, false);
}

/* Both causes (used buffer, configuration change) acknowledged without reading which: one
 * exit instead of two, and acknowledging a cause that is not set changes nothing. The driver
 * looks at every ring after an interrupt and ignores configuration changes. */
static void mmio_irq_ack(struct vtransport *t)
{
    wr(t, MMIO_INTERRUPT_ACK, 3);
}

static const struct vtransport_ops mmio_ops = {
    .get_features = mmio_get_features,
    .set_features = mmio_set_features,
    .get_status = mmio_get_status,
    .set_status = mmio_set_status,
    .config8 = mmio_config8,
    .queue_max = mmio_queue_max,
    .queue_setup = mmio_queue_setup,
    .notify = mmio_notify,
    .irq_setup = mmio_irq_setup,
    .irq_ack = mmio_irq_ack,
};

static void mmio_try(uint64_t base, int gsi, uint32_t id, void (*found)(struct vtransport *t))
{
    if (mmio_count == MMIO_MAX_DEVICES || paging_map_mmio(base, MMIO_SIZE) < 0)
        return;
    struct vtransport *t = &mmio_devs[mmio_count];
    *t = (struct vtransport){.ops = &mmio_ops, .name = "mmio", .base = base, .gsi = gsi};
    if (rd(t, MMIO_MAGIC) != MMIO_MAGIC_VALUE || rd(t, MMIO_DEVICE_ID) != id)
        return;
    uint32_t version = rd(t, MMIO_VERSION);
    if (version != 1 && version != 2)
        return;
    t->modern = version == 2;
    t->name = t->modern ? "mmio" : "mmio (legacy)";
    if (!t->modern)
        wr(t, MMIO_GUEST_PAGE_SIZE, 4096);
    mmio_count++;
    found(t);
}

/* Parse "virtio_mmio.device=<size>@<addr>:<gsi>" words. Returns how many were found. */
static unsigned mmio_from_cmdline(const char *cmdline, uint32_t id,
                                  void (*found)(struct vtransport *t))
{
    static const char key[] = "virtio_mmio.device=";
    unsigned n = 0;
    for (const char *p = cmdline; (p = strstr(p, key)) != NULL;) {
        p += sizeof(key) - 1;
        char *end;
        strtoul(p, &end, 0); /* the size: 512 on QEMU, "4K" on Firecracker */
        if (*end == 'K' || *end == 'k' || *end == 'M' || *end == 'G')
            end++;
        if (*end != '@')
            continue;
        uint64_t addr = strtoull(end + 1, &end, 0);
        if (*end != ':')
            continue;
        long gsi = strtol(end + 1, &end, 0);
        mmio_try(addr, (int)gsi, id, found);
        n++;
        p = end;
    }
    return n;
}

void virtio_mmio_probe(const char *cmdline, uint32_t id, void (*found)(struct vtransport *t))
{
    if (mmio_from_cmdline(cmdline, id, found))
        return;
    /* No words: probe the microvm slots, but only on a machine without PCI, where nothing
     * else can live at those addresses. */
    if (pci_present())
        return;
    bool ioapic2 = ioapic_gsi_limit() > MMIO_IOAPIC2_GSI;
    unsigned slots = ioapic2 ? MMIO_IOAPIC2_SLOTS : MMIO_ACPI_SLOTS;
    int gsi = ioapic2 ? MMIO_IOAPIC2_GSI : MMIO_ACPI_GSI;
    for (unsigned i = 0; i < slots; i++)
        mmio_try(MMIO_DEFAULT_BASE + i * MMIO_SIZE, gsi + (int)i, id, found);
}
