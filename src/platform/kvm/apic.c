/*
 * Interrupt controllers: the local APIC (xAPIC registers at 0xfee00000) for the one-shot
 * timer, EOI and MSI addresses; the IOAPIC(s) for the virtio-mmio and PCI INTx lines. The
 * 8259 PIC is remapped to 0x20-0x2f and masked: nothing uses it.
 *
 * Timer: TSC-deadline mode when CPUID.1:ECX[24] says so (KVM), else one-shot mode with the
 * APIC timer rate measured against the TSC (median of several 2 ms tries, each bracketed). Never
 * periodic: plat_wait arms it for the next deadline only.
 *
 * IOAPICs are at their fixed QEMU addresses: 0xfec00000 for GSI 0-23 and, on microvm with
 * ACPI, a second one at 0xfec10000 for GSI 24-47 (virtio-mmio); a missing one has no version.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "kvm.h"
#include "unic/platform.h"

#define LAPIC_BASE 0xfee00000u
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)
#define IOREDTBL_LEVEL (1u << 15)
#define LVT_TSC_DEADLINE (2u << 17)
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_BASE_ENABLE (1u << 11)
#define IOAPIC_PINS_MAX 24

struct ioapic {
    uintptr_t base;
    unsigned gsi_base, pins;
};

static struct {
    bool tsc_deadline;
    bool lvt_one_shot;     /* the timer LVT is set for one-shot mode (after calibration) */
    uint64_t armed;        /* the deadline the timer is set for; UINT64_MAX: none */
    uint64_t lapic_per_ms; /* one-shot mode: APIC timer ticks per ms */
    uint32_t apic_id;
    struct ioapic ioapic[2];
    unsigned nioapic;
} apic;

static uint32_t lapic_read(uint32_t reg)
{
    return mmio_read32(LAPIC_BASE + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
    mmio_write32(LAPIC_BASE + reg, v);
}

static uint32_t ioapic_read(uintptr_t base, uint32_t reg)
{
    mmio_write32(base, reg);
    return mmio_read32(base + 0x10);
}

static void ioapic_write(uintptr_t base, uint32_t reg, uint32_t v)
{
    mmio_write32(base, reg);
    mmio_write32(base + 0x10, v);
}

static void pic_disable(void)
{
    static const uint8_t init[][2] = {
        {0x20, 0x11}, {0xa0, 0x11}, {0x21, VEC_PIC_BASE}, {0xa1, VEC_PIC_BASE + 8},
        {0x21, 0x04}, {0xa1, 0x02}, {0x21, 0x01},         {0xa1, 0x01},
        {0x21, 0xff}, {0xa1, 0xff}};
    for (unsigned i = 0; i < sizeof(init) / sizeof(init[0]); i++)
        outb(init[i][0], init[i][1]);
}

static void ioapic_probe(uintptr_t base, unsigned gsi_base)
{
    if (paging_map_mmio(base, 0x1000) < 0)
        return;
    uint32_t ver = ioapic_read(base, 0x01);
    if ((ver & 0xff) == 0 || (ver & 0xff) == 0xff) /* nothing there: QEMU reads 0 */
        return;
    unsigned pins = ((ver >> 16) & 0xff) + 1;
    struct ioapic *io = &apic.ioapic[apic.nioapic++];
    *io = (struct ioapic){base, gsi_base, pins > IOAPIC_PINS_MAX ? IOAPIC_PINS_MAX : pins};
    for (unsigned i = 0; i < io->pins; i++)
        ioapic_write(base, 0x10 + 2 * i, LVT_MASKED);
}

/* One-shot mode: the APIC timer's rate against the TSC. Each try reads the TSC right before and
 * after the write that starts the count and the read that ends it, so time lost around either
 * access (an exit to the hypervisor, the vCPU descheduled under TCG) shows in the bracket: a
 * try with a wide bracket is thrown away, and the measured span runs between the bracket
 * midpoints. The median of the good tries is taken, and it must be a plausible rate. */
#define CAL_TRIES 5
#define CAL_ATTEMPTS 40
#define CAL_WINDOW_US 2000
#define CAL_BRACKET_US 20             /* the TSC across one APIC access; wider means disturbed */
#define CAL_PER_MS_MIN 1000ull        /* 1 MHz */
#define CAL_PER_MS_MAX 10000000000ull /* 10 THz: no such bus clock */

/* One try: APIC ticks per ms, or 0 when an access was disturbed. */
static uint64_t lapic_timer_measure(uint64_t window_tsc, uint64_t bracket_tsc)
{
    uint64_t s0 = rdtsc();
    lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
    uint64_t s1 = rdtsc();
    while (rdtsc() - s1 < window_tsc)
        cpu_pause();
    uint64_t e0 = rdtsc();
    uint32_t left = lapic_read(LAPIC_TIMER_CUR);
    uint64_t e1 = rdtsc();
    lapic_write(LAPIC_TIMER_INIT, 0);
    if (s1 - s0 > bracket_tsc || e1 - e0 > bracket_tsc || left == 0)
        return 0;
    uint64_t span_tsc = (e0 + e1) / 2 - (s0 + s1) / 2;
    uint64_t ticks = 0xffffffffu - left;
    return (uint64_t)((unsigned __int128)ticks * clock_tsc_hz() / 1000 / span_tsc);
}

static void sort_u64(uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static void lapic_timer_calibrate(void)
{
    lapic_write(LAPIC_TIMER_DIV, 0x0b); /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    uint64_t window = clock_tsc_hz() * CAL_WINDOW_US / 1000000;
    uint64_t bracket = clock_tsc_hz() * CAL_BRACKET_US / 1000000;
    uint64_t rate[CAL_TRIES];
    unsigned n = 0, attempts = 0;
    for (; attempts < CAL_ATTEMPTS && n < CAL_TRIES; attempts++) {
        uint64_t r = lapic_timer_measure(window, bracket);
        if (r >= CAL_PER_MS_MIN && r <= CAL_PER_MS_MAX)
            rate[n++] = r;
    }
    if (n == 0) /* never undisturbed: a rate is still needed, so the brackets are ignored */
        for (; n < CAL_TRIES; n++)
            rate[n] = lapic_timer_measure(window, UINT64_MAX);
    sort_u64(rate, n);
    apic.lapic_per_ms = rate[n / 2];
    if (apic.lapic_per_ms < CAL_PER_MS_MIN || apic.lapic_per_ms > CAL_PER_MS_MAX) {
        kprintf("kvm: lapic timer rate %llu/ms is implausible: assuming 1 GHz (QEMU's)\n",
                (unsigned long long)apic.lapic_per_ms);
        apic.lapic_per_ms = 1000000;
    }
    kprintf("kvm: lapic timer %llu ticks/ms (median of %u, %u tries, spread %llu-%llu)\n",
            (unsigned long long)apic.lapic_per_ms, n, attempts, (unsigned long long)rate[0],
            (unsigned long long)rate[n - 1]);
}

void apic_init(void)
{
    pic_disable();
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, (base & ~0xfffull) | LAPIC_BASE | APIC_BASE_ENABLE | (base & 0x100));
    if (paging_map_mmio(LAPIC_BASE, 0x1000) < 0)
        trap_fatal("cannot map the local APIC");
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_TPR, 0);
    apic.apic_id = lapic_read(LAPIC_ID) >> 24;
    apic.tsc_deadline = cpuid(1, 0).ecx & (1u << 24);
    if (apic.tsc_deadline)
        lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
    else
        lapic_timer_calibrate();
    ioapic_probe(0xfec00000u, 0);
    ioapic_probe(0xfec10000u, 24);
    kprintf("kvm: lapic timer %s, %u ioapic(s)\n", apic.tsc_deadline ? "tsc-deadline" : "one-shot",
            apic.nioapic);
}

void apic_timer_fired(void)
{
    apic.armed = 0; /* whatever it was set for has passed: the next arm writes it again */
}

/* One register write (a VM exit) only when the deadline changes: the loop asks for the same
 * one again and again while it waits for a frame. */
void apic_timer_arm(uint64_t deadline_ns)
{
    if (deadline_ns == apic.armed)
        return;
    apic.armed = deadline_ns;
    if (apic.tsc_deadline) {
        wrmsr(MSR_TSC_DEADLINE, deadline_ns == UINT64_MAX ? 0 : clock_ns_to_tsc(deadline_ns));
        return;
    }
    uint64_t now = plat_clock_monotonic();
    uint64_t ticks = 0;
    if (deadline_ns != UINT64_MAX) {
        uint64_t ns = deadline_ns > now ? deadline_ns - now : 1;
        uint64_t ms_max = 0xffffffffu / apic.lapic_per_ms;
        uint64_t ms = ns / 1000000 + 1;
        ticks = ms > ms_max ? 0xffffffffu : ns * apic.lapic_per_ms / 1000000 + 1;
    }
    if (!apic.lvt_one_shot) {
        lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
        apic.lvt_one_shot = true;
    }
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)ticks);
}

int ioapic_route(unsigned gsi, uint8_t vector, bool level)
{
    for (unsigned i = 0; i < apic.nioapic; i++) {
        struct ioapic *io = &apic.ioapic[i];
        if (gsi < io->gsi_base || gsi >= io->gsi_base + io->pins)
            continue;
        unsigned pin = gsi - io->gsi_base;
        ioapic_write(io->base, 0x11 + 2 * pin, apic.apic_id << 24);
        /* fixed, physical, active high (QEMU's MADT says so for its PCI lines too) */
        ioapic_write(io->base, 0x10 + 2 * pin, vector | (level ? IOREDTBL_LEVEL : 0));
        return 0;
    }
    return -ENODEV;
}

unsigned ioapic_gsi_limit(void)
{
    unsigned limit = 0;
    for (unsigned i = 0; i < apic.nioapic; i++)
        if (apic.ioapic[i].gsi_base + apic.ioapic[i].pins > limit)
            limit = apic.ioapic[i].gsi_base + apic.ioapic[i].pins;
    return limit;
}

void apic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

void apic_msi(uint8_t vector, uint64_t *addr, uint32_t *data)
{
    *addr = LAPIC_BASE | (apic.apic_id << 12);
    *data = vector;
}
