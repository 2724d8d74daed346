/*
 * The kvm platform's entry (kvm_main, called by boot.S in 64-bit mode) and the small platform
 * functions: plat_exit, plat_cmdline, plat_random, plat_wait.
 *
 * kvm_main: serial -> memory map -> W^X page tables -> GDT/TSS/IDT -> TSC -> APIC/IOAPIC
 * -> kernel command line (config_split + config_parse + config_parse_service: the OS's and the
 * service's options, "NAME: message" and status 2 on an error as on hosted, also for a
 * hosted-only option or a line longer than CMDLINE_MAX - 1) -> virtio-net devices -> power
 * button -> unic_main(). Platform-only words (whole and unquoted, cmdline.c) leave the command
 * line first:
 *   virtio_mmio.device=512@0xADDR:GSI   added by QEMU microvm for each virtio-mmio device
 *   unic.crash=KIND                     a deliberate fault once booted (crash.c)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "kvm.h"
#include "unic.h"
#include "unic/config.h"
#include "unic/platform.h"

#define DEBUG_EXIT_PORT 0xf4
#define RDRAND_RETRIES 16

volatile uint64_t irq_pending;

static struct {
    char cmdline[CMDLINE_MAX];        /* without the platform-only words */
    char platform_words[CMDLINE_MAX]; /* only those (cmdline.c) */
    char argbuf[CMDLINE_MAX];         /* split in place by config_split */
    bool waited;
    bool shutdown; /* the power button was pressed: reported by every plat_wait from then on */
    uint64_t rng_state;
    bool warned_weak_random;
    bool have_rdrand, have_rdseed;
} kvm;

void kvm_main(const void *start_info);

_Noreturn void plat_exit(int status)
{
    cpu_cli();
    if (status != KVM_FAULT_STATUS) { /* a fault report stays the last thing printed */
        virtio_net_print_stats();
        kvm_heap_print_stats();
    }
    /* QEMU's isa-debug-exit makes QEMU exit with (status << 1) | 1. */
    outl(DEBUG_EXIT_PORT, (uint32_t)status);
    kprintf("kvm: exit status %d (no isa-debug-exit device: powering off)\n", status);
    power_off();
    for (;;)
        __asm__ volatile("cli; hlt");
}

void plat_print_stats(void)
{
    virtio_net_print_stats();
    kvm_heap_print_stats();
}

const char *plat_cmdline(void)
{
    return kvm.cmdline;
}

static bool word_is_platform(const char *w, size_t n)
{
    static const char mmio[] = "virtio_mmio.device=";
    if (crash_option(w, n))
        return true;
    return n >= sizeof(mmio) - 1 && !memcmp(w, mmio, sizeof(mmio) - 1);
}

/* Take the platform-only words out of the kernel command line (whole, unquoted words). */
static void cmdline_prepare(const char *raw)
{
    cmdline_split_platform(raw, word_is_platform, kvm.cmdline, kvm.platform_words);
}

static bool rdrand64(uint64_t *v)
{
    unsigned char ok;
    for (int i = 0; i < RDRAND_RETRIES; i++) {
        __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

static bool rdseed64(uint64_t *v)
{
    unsigned char ok;
    for (int i = 0; i < RDRAND_RETRIES; i++) {
        __asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

/* splitmix64 over the TSC: only with --allow-weak-random, when there is no entropy source
 * (entropy_check). Not cryptographic; the boot log says so. */
static uint64_t weak_random64(void)
{
    uint64_t z = (kvm.rng_state += 0x9e3779b97f4a7c15ull ^ rdtsc());
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* (n) bytes from the CPU's generators into (out): false when they gave none for a word. */
static bool cpu_random(uint8_t *out, size_t n)
{
    bool all = true;
    while (n) {
        uint64_t v = 0, s = 0;
        bool got = kvm.have_rdrand && rdrand64(&v);
        if (kvm.have_rdseed && rdseed64(&s)) {
            v ^= s;
            got = true;
        }
        if (!got) {
            all = false;
            v = weak_random64();
        }
        size_t k = n < 8 ? n : 8;
        memcpy(out, &v, k);
        out += k;
        n -= k;
    }
    return all;
}

/* The CPU's generators (RDRAND, RDSEED) and the virtio-rng device, XORed: either alone is
 * enough. Without both, weak bytes (TSC splitmix), which entropy_check allowed at boot. */
void plat_random(void *buf, size_t n)
{
    uint8_t *out = buf;
    bool strong = cpu_random(out, n);
    uint8_t dev[64];
    for (size_t done = 0; virtio_rng_present() && done < n;) {
        size_t want = n - done < sizeof(dev) ? n - done : sizeof(dev);
        size_t k = virtio_rng_take(dev, want, !strong); /* waits only when it is the source */
        for (size_t i = 0; i < k; i++)
            out[done + i] ^= dev[i];
        done += k;
        if (k < want)
            break; /* no more now (with RDRAND: fine; without: weak, said below) */
        strong = strong || done == n;
    }
    memset(dev, 0, sizeof(dev));
    if (!strong && !kvm.warned_weak_random) {
        kvm.warned_weak_random = true;
        kprintf("kvm: no entropy source answered: random numbers are weak\n");
    }
}

static void cpu_random_probe(void)
{
    kvm.have_rdrand = (cpuid(1, 0).ecx >> 30) & 1;
    kvm.have_rdseed = (cpuid(7, 0).ebx >> 18) & 1;
}

/* At boot, after the devices: an entropy source, or the user's word that weak seeds will do.
 * 0, or -1 after saying what to do. */
static int entropy_check(const struct unic_config *cfg, const char *name)
{
    bool dev = virtio_rng_present();
    if (kvm.have_rdrand || kvm.have_rdseed || dev) {
        kprintf("kvm: entropy from%s%s%s\n", kvm.have_rdseed ? " rdseed" : "",
                kvm.have_rdrand ? " rdrand" : "", dev ? " virtio-rng" : "");
        return 0;
    }
    if (cfg->allow_weak_random) {
        kprintf("kvm: no RDRAND/RDSEED and no virtio-rng: random numbers are weak "
                "(--allow-weak-random)\n");
        kvm.warned_weak_random = true;
        return 0;
    }
    kprintf("%s: no entropy source (no RDRAND/RDSEED, no virtio-rng device): give QEMU "
            "-device virtio-rng-device (microvm) or virtio-rng-pci (q35), as scripts/qemu-run "
            "does, or run with --allow-weak-random\n",
            name);
    return -1;
}

/* Time since the first instruction (boot.S), for the boot-time figures. */
static void report_boot_time(const char *until)
{
    uint64_t us = (rdtsc() - clock_tsc_at_boot()) * 1000000 / clock_tsc_hz();
    kprintf("kvm: booted in %llu us (entry to %s)\n", (unsigned long long)us, until);
}

/* Sleep until an interrupt or (deadline_ns). Fewer exits: the loop's queued frames reach the
 * devices in one kick per queue here (virtio_net_flush); receive interrupts are on only while
 * the CPU sleeps (the loop reads the rings while it is busy), so a flood costs no interrupt;
 * the timer is written only when the deadline changes (apic_timer_arm). */
uint64_t plat_wait(uint64_t deadline_ns)
{
    uint64_t all_nics = (1ull << plat_net_count()) - 1;
    virtio_net_flush();
    if (!kvm.waited) {
        /* Frames may have arrived before the interrupt was routed, leaving an edge-triggered
         * line high with no edge to come: acknowledge and report every NIC once. */
        kvm.waited = true;
        report_boot_time("the event loop, service started");
        for (unsigned i = 0; i < plat_net_count(); i++)
            virtio_net_irq_ack(i);
        apic_eoi();
        virtio_net_irqs(false);
        return all_nics;
    }
    for (;;) {
        cpu_cli();
        uint64_t pending = __atomic_exchange_n(&irq_pending, 0, __ATOMIC_SEQ_CST);
        uint64_t nics = (pending >> (VEC_NIC_BASE - VEC_TIMER)) & all_nics;
        if (pending & 1) /* bit 0: VEC_TIMER */
            apic_timer_fired();
        if ((pending & (1ull << (VEC_POWER - VEC_TIMER))) && power_down_requested())
            kvm.shutdown = true;
        if (kvm.shutdown) {
            cpu_sti();
            virtio_net_irqs(false);
            return PLAT_WAIT_SHUTDOWN | all_nics;
        }
        if (nics) {
            cpu_sti();
            uint64_t acked = 0;
            for (unsigned i = 0; i < PLAT_MAX_NICS; i++)
                if (nics & (1ull << i))
                    acked |= virtio_net_irq_ack(i);
            apic_eoi(); /* the NIC stub left it to us: the lines are low now */
            virtio_net_irqs(false);
            return nics | acked;
        }
        if (plat_clock_monotonic() >= deadline_ns) {
            cpu_sti();
            return virtio_net_irqs(false); /* a poll still reports what the rings hold */
        }
        uint64_t ready = virtio_net_irqs(true); /* then look once more: nothing is missed */
        if (ready) {
            cpu_sti();
            virtio_net_irqs(false);
            return ready;
        }
        apic_timer_arm(deadline_ns);
        cpu_sti_hlt(); /* any interrupt, the timer's included, ends the hlt */
    }
}

/* The kernel command line into (cfg), before any device is touched. 0, 1 after --help (printed),
 * or -1 after printing "NAME: message". */
static int parse_cmdline(struct unic_config *cfg)
{
    char *argv[CONFIG_MAX_ARGS + 2];
    static char default_name[] = "unic";
    memcpy(kvm.argbuf, kvm.cmdline, sizeof(kvm.argbuf));
    int argc = config_split(kvm.argbuf, argv + 1, CONFIG_MAX_ARGS);
    if (argc < 0) {
        kprintf("unic: too many words on the kernel command line (at most %d)\n", CONFIG_MAX_ARGS);
        return -1;
    }
    char **args = argv + 1;
    if (argc == 0 || args[0][0] == '-') { /* no program name given: use a default one */
        args = argv;
        args[0] = default_name;
        argc++;
    }
    if (mem_cmdline_too_long()) { /* refused rather than cut: the end may hold any option */
        kprintf("%s: the kernel command line is longer than %d bytes\n", args[0], CMDLINE_MAX - 1);
        return -1;
    }
    char err[160];
    int r = config_parse(cfg, argc, args, err, sizeof(err));
    const char *hosted_only = r == 0 && !cfg->help ? config_hosted_only(cfg) : NULL;
    if (hosted_only) {
        /* The sandbox options concern a Linux process; the others, devices QEMU provides. */
        bool sandbox = !strcmp(hosted_only, "--user") || !strcmp(hosted_only, "--no-sandbox") ||
                       !strcmp(hosted_only, "--sandbox-selftest");
        snprintf(err, sizeof(err), "%s is a hosted option (%s)", hosted_only,
                 sandbox ? "a kvm image has no users or system calls to sandbox"
                         : "on kvm QEMU attaches the NIC: scripts/qemu-run --tap");
        r = -1;
    }
    if (r == 0 && !cfg->help)
        r = config_parse_service(cfg, err, sizeof(err));
    if (r < 0) {
        kprintf("%s: %s\n", args[0], err);
        return -1;
    }
    if (cfg->help) {
        static char help[8192];
        size_t n = config_help(args[0], help, sizeof(help));
        serial_write(help, n < sizeof(help) ? n : sizeof(help) - 1);
        return 1;
    }
    return 0;
}

/* Where boot time goes: the TSC at the end of each stage, printed at unic_main. */
enum { STAGE_EARLY, STAGE_CLOCK, STAGE_APIC, STAGE_CMDLINE, STAGE_DEVICES, STAGE_REST, STAGES };
static uint64_t stage_tsc[STAGES];

static void report_stages(void)
{
    static const char *const names[STAGES] = {"early",   "clock",   "apic",
                                              "cmdline", "devices", "rest"};
    char line[160];
    size_t used = (size_t)snprintf(line, sizeof(line), "kvm: boot stages (us):");
    uint64_t prev = clock_tsc_at_boot();
    for (int i = 0; i < STAGES && used < sizeof(line); i++) {
        uint64_t us = (stage_tsc[i] - prev) * 1000000 / clock_tsc_hz();
        used += (size_t)snprintf(line + used, sizeof(line) - used, " %s %llu", names[i],
                                 (unsigned long long)us);
        prev = stage_tsc[i];
    }
    kprintf("%s\n", line);
}

void kvm_main(const void *start_info)
{
    static struct unic_config cfg;
    serial_init();
    mem_init(start_info);
    paging_init();
    trap_init();
    stage_tsc[STAGE_EARLY] = rdtsc();
    clock_init();
    stage_tsc[STAGE_CLOCK] = rdtsc();
    apic_init();
    stage_tsc[STAGE_APIC] = rdtsc();
    cmdline_prepare(mem_cmdline());
    /* Whole (kprintf cuts at 256 bytes, and the newline with it): up to 2047 bytes. */
    serial_write("kvm: cmdline [", 14);
    serial_write(mem_cmdline(), strlen(mem_cmdline()));
    serial_write("]\n", 2);
    int parsed = parse_cmdline(&cfg);
    if (parsed != 0)
        plat_exit(parsed < 0 ? 2 : 0);
    stage_tsc[STAGE_CMDLINE] = rdtsc();
    cpu_random_probe();
    virtio_rng_probe(kvm.platform_words);
    virtio_net_probe(kvm.platform_words, config_offload(&cfg));
    if (entropy_check(&cfg, cfg.service_argv[0] ? cfg.service_argv[0] : "unic") < 0)
        plat_exit(1);
    stage_tsc[STAGE_DEVICES] = rdtsc();
    power_init();
    cpu_sti();
    crash_run();
    size_t heap;
    plat_heap(&heap);
    kprintf("kvm: heap %zu KiB\n", heap >> 10);
    stage_tsc[STAGE_REST] = rdtsc();
    report_stages();
    report_boot_time("unic_main");
    plat_exit(unic_main(&cfg));
}
