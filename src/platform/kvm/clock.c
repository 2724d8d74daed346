/*
 * Time: the TSC is the clock. plat_clock_monotonic() is TSC ticks since boot scaled to ns.
 *
 * Frequency, first source that answers: KVM's pvclock (kvmclock) scale factors, CPUID leaf
 * 0x15 (crystal ratio), the hypervisor timing leaf 0x40000010, leaf 0x16 (base frequency, when
 * the TSC is invariant: it then runs at that rate), and else 3 x 2 ms of polling the 8254 PIT
 * (channel 0, no interrupt; TCG ends up here).
 * Wall time at boot: kvmclock's wall clock when KVM offers it (microvm+KVM has no RTC by
 * default), else the CMOS RTC.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "kvm.h"
#include "unic/platform.h"

#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define PIT_HZ 1193182ull
/* 2 ms, three times: a PIT tick is 0.84 us and each end is a bracketed sample, so the rate is
 * within about 0.1 %; the median of three drops a measurement the host disturbed. (5 ms each
 * cost 9 ms more of every boot under TCG.) */
#define PIT_CAL_TICKS 2386u
#define PIT_SAMPLE_TRIES 8
#define PIT_SAMPLE_MAX_TSC (1ull << 20) /* ~0.4 ms at 2.6 GHz: longer means descheduled */
#define PIT_SPIN_LIMIT 200000u          /* reads; a 5 ms measurement takes a few thousand */
#define FALLBACK_TSC_HZ 2000000000ull
#define NS 1000000000ull

struct pvclock_time {
    uint32_t version, pad0;
    uint64_t tsc_timestamp, system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags, pad[2];
};

struct pvclock_wall {
    uint32_t version, sec, nsec;
};

extern uint64_t boot_tsc; /* boot.S: the TSC at the first instruction */

static struct {
    uint64_t hz;
    uint64_t tsc0;
    uint64_t ns_per_tick_32;  /* ns = ticks * this >> 32 */
    uint64_t ticks_per_ns_32; /* ticks = ns * this >> 32 */
    uint64_t wall0;           /* ns since the epoch at tsc0 */
    const char *source;
} clk;

static struct pvclock_time pv_time __attribute__((aligned(64)));
static struct pvclock_wall pv_wall __attribute__((aligned(64)));

static uint64_t mul_shift32(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 32);
}

static bool kvm_has_clock(void)
{
    struct cpuid_regs r = cpuid(0x40000000, 0);
    bool kvm = r.ebx == 0x4b4d564b && r.ecx == 0x564b4d56 && r.edx == 0x4d; /* KVMKVMKVM */
    return kvm && r.eax >= 0x40000001 && (cpuid(0x40000001, 0).eax & KVM_FEATURE_CLOCKSOURCE2);
}

/* Read the pvclock page once: TSC frequency from its scale, wall time from the wall page. */
static uint64_t kvmclock_hz(uint64_t *wall_at_tsc, uint64_t *tsc_at)
{
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uintptr_t)&pv_time | 1);
    wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uintptr_t)&pv_wall);
    struct pvclock_time t;
    do {
        t = *(volatile struct pvclock_time *)&pv_time;
        barrier();
    } while ((t.version & 1) || t.version != *(volatile uint32_t *)&pv_time.version);
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
    if (!t.tsc_to_system_mul)
        return 0;
    /* ns = ((tsc << shift) * mul) >> 32, shift negative meaning a right shift. */
    unsigned __int128 hz = ((unsigned __int128)NS << 32) / t.tsc_to_system_mul;
    hz = t.tsc_shift >= 0 ? hz >> t.tsc_shift : hz << -t.tsc_shift;
    *tsc_at = t.tsc_timestamp;
    *wall_at_tsc = (uint64_t)pv_wall.sec * NS + pv_wall.nsec + t.system_time;
    return (uint64_t)hz;
}

static uint64_t cpuid_hz(void)
{
    if (cpuid(0, 0).eax >= 0x15) {
        struct cpuid_regs r = cpuid(0x15, 0);
        if (r.eax && r.ebx && r.ecx)
            return (uint64_t)r.ecx * r.ebx / r.eax;
    }
    if (cpuid(0x40000000, 0).eax >= 0x40000010) {
        uint32_t khz = cpuid(0x40000010, 0).eax;
        if (khz)
            return (uint64_t)khz * 1000;
    }
    bool invariant =
        cpuid(0x80000000, 0).eax >= 0x80000007 && (cpuid(0x80000007, 0).edx & (1u << 8));
    if (invariant && cpuid(0, 0).eax >= 0x16) {
        uint32_t mhz = cpuid(0x16, 0).eax & 0xffff;
        if (mhz)
            return (uint64_t)mhz * 1000000;
    }
    return 0;
}

static uint16_t pit_read0(void)
{
    outb(0x43, 0x00); /* latch channel 0 */
    uint8_t lo = inb(0x40);
    return (uint16_t)(lo | inb(0x40) << 8);
}

/* One PIT reading with the TSC at that moment: the midpoint of a TSC bracket, retried when the
 * bracket is long (the vCPU was descheduled in between, as under TCG on a busy host). */
static uint16_t pit_sample(uint64_t *tsc)
{
    uint64_t a = 0, b = 0;
    uint16_t count = 0;
    for (int i = 0; i < PIT_SAMPLE_TRIES; i++) {
        a = rdtsc();
        count = pit_read0();
        b = rdtsc();
        if (b - a < PIT_SAMPLE_MAX_TSC)
            break;
    }
    *tsc = a + (b - a) / 2;
    return count;
}

/* One measurement: TSC ticks over PIT_CAL_TICKS of the PIT, both ends sampled alike. */
static uint64_t pit_measure(void)
{
    outb(0x43, 0x30); /* channel 0, lo/hi byte, mode 0 (count down once) */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    uint64_t t0, t1;
    uint16_t c0 = pit_sample(&t0), c1 = c0;
    for (uint32_t i = 0; i < PIT_SPIN_LIMIT && (uint16_t)(c0 - c1) < PIT_CAL_TICKS; i++)
        c1 = pit_sample(&t1);
    uint32_t elapsed = (uint16_t)(c0 - c1);
    if (elapsed < PIT_CAL_TICKS || c0 < c1)
        return 0;
    return (t1 - t0) * PIT_HZ / elapsed;
}

/* The median of three measurements, so one disturbed by the host does not count. */
static uint64_t pit_hz(void)
{
    uint64_t m[3];
    for (int i = 0; i < 3; i++)
        if (!(m[i] = pit_measure()))
            return 0;
    uint64_t lo = m[0] < m[1] ? m[0] : m[1], hi = m[0] < m[1] ? m[1] : m[0];
    return m[2] < lo ? lo : m[2] > hi ? hi : m[2];
}

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned bcd(uint8_t v, bool binary)
{
    return binary ? v : (v & 0x0f) + (v >> 4) * 10;
}

/* Days from 1970-01-01 to (y, m, d) in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The CMOS RTC as ns since the epoch, or 0 when there is no RTC (registers read 0xff). */
static uint64_t rtc_wall(void)
{
    for (int i = 0; i < 100000 && (cmos_read(0x0a) & 0x80); i++)
        cpu_pause();
    uint8_t b = cmos_read(0x0b);
    if (b == 0xff)
        return 0;
    bool bin = b & 0x04;
    unsigned sec = bcd(cmos_read(0x00), bin), min = bcd(cmos_read(0x02), bin);
    uint8_t hraw = cmos_read(0x04);
    unsigned hour = bcd(hraw & 0x7f, bin);
    if (!(b & 0x02) && (hraw & 0x80))
        hour = (hour % 12) + 12;
    unsigned day = bcd(cmos_read(0x07), bin), mon = bcd(cmos_read(0x08), bin);
    unsigned year = bcd(cmos_read(0x09), bin) + 100 * bcd(cmos_read(0x32), bin);
    if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    int64_t days = days_from_civil(year, mon, day);
    return ((uint64_t)days * 86400 + hour * 3600 + min * 60 + sec) * NS;
}

void clock_init(void)
{
    clk.tsc0 = boot_tsc ? boot_tsc : rdtsc();
    uint64_t wall_at = 0, tsc_at = 0;
    if (kvm_has_clock() && (clk.hz = kvmclock_hz(&wall_at, &tsc_at)))
        clk.source = "kvmclock";
    else if ((clk.hz = cpuid_hz()))
        clk.source = "cpuid";
    else if ((clk.hz = pit_hz()))
        clk.source = "pit";
    else {
        clk.hz = FALLBACK_TSC_HZ;
        clk.source = "guess (no PIT answered)";
    }
    clk.ns_per_tick_32 = (uint64_t)(((unsigned __int128)NS << 32) / clk.hz);
    clk.ticks_per_ns_32 = (uint64_t)(((unsigned __int128)clk.hz << 32) / NS);
    const char *wall_source = "kvmclock";
    if (wall_at) {
        uint64_t since = tsc_at > clk.tsc0 ? mul_shift32(tsc_at - clk.tsc0, clk.ns_per_tick_32) : 0;
        clk.wall0 = wall_at - since;
    } else {
        uint64_t rtc = rtc_wall();
        clk.wall0 = rtc ? rtc - plat_clock_monotonic() : 0;
        wall_source = rtc ? "rtc" : "none: counts from 1970";
    }
    kprintf("kvm: tsc %llu kHz (%s), wall clock %llu s since 1970 (%s)\n",
            (unsigned long long)(clk.hz / 1000), clk.source,
            (unsigned long long)(plat_clock_wall() / NS), wall_source);
}

uint64_t clock_tsc_hz(void)
{
    return clk.hz;
}

uint64_t clock_tsc_at_boot(void)
{
    return clk.tsc0;
}

uint64_t clock_ns_to_tsc(uint64_t ns)
{
    return clk.tsc0 + mul_shift32(ns, clk.ticks_per_ns_32);
}

uint64_t plat_clock_monotonic(void)
{
    uint64_t now = rdtsc();
    return now > clk.tsc0 ? mul_shift32(now - clk.tsc0, clk.ns_per_tick_32) : 0;
}

uint64_t plat_clock_wall(void)
{
    return clk.wall0 + plat_clock_monotonic();
}
