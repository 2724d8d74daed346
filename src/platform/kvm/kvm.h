/*
 * Internal interfaces between the files of the kvm platform (not seen by core or net).
 *
 * Boot order (main.c): serial_init -> mem_init (boot memory map) -> paging_init (W^X tables)
 * -> trap_init (GDT/TSS/IDT) -> clock_init (TSC) -> apic_init -> virtio_net probing -> the
 * kernel command line -> unic_main().
 */
#ifndef KVM_KVM_H
#define KVM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Interrupt vectors. 0x20-0x2f are left to the (masked) 8259 PIC so its spurious interrupts
 * cannot look like CPU exceptions; our own sources start at 0x30. */
#define VEC_PIC_BASE 0x20
#define VEC_TIMER 0x30
#define VEC_NIC_BASE 0x31 /* one vector per NIC: 0x31..0x34 */
#define VEC_POWER 0x35    /* the ACPI power button (QEMU system_powerdown) */
#define IRQ_STUBS 6       /* isr.S has stubs for VEC_TIMER..VEC_POWER */
#define VEC_SPURIOUS 0xff

/* Exit status after a CPU exception or a smashed stack. */
#define KVM_FAULT_STATUS 3

/* Set by the interrupt stubs (isr.S): bit (vector - VEC_TIMER). Read and cleared by plat_wait. */
extern volatile uint64_t irq_pending;

/* serial.c: COM1, polled. */
void serial_init(void);
void serial_write(const char *s, size_t n);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The kernel command line's buffer: a longer line is refused (status 2), never cut. */
#define CMDLINE_MAX 2048

/* mem.c: the boot memory map. */
struct hvm_start_info;
void mem_init(const struct hvm_start_info *si);
const char *mem_cmdline(void);
/* The boot loader's command line did not fit CMDLINE_MAX - 1 bytes (mem_cmdline has the start). */
bool mem_cmdline_too_long(void);
uint64_t mem_rsdp(void);
/* Highest RAM address + 1 (for the page tables). */
uint64_t mem_ram_top(void);
/* Call (fn) for each usable RAM range [start, end). */
void mem_for_each_ram(void (*fn)(uint64_t start, uint64_t end, void *ctx), void *ctx);

/* paging.c: W^X identity map. */
void paging_init(void);
/* Map [phys, phys + len) identity, uncached, RW + NX (device registers). 0 or -ENOMEM. */
int paging_map_mmio(uint64_t phys, uint64_t len);

/* trap.c: GDT/TSS/IDT and the fatal-exception report. */
void trap_init(void);
_Noreturn void trap_fatal(const char *what);

/* clock.c */
void clock_init(void);
uint64_t clock_tsc_hz(void);
uint64_t clock_ns_to_tsc(uint64_t ns);
uint64_t clock_tsc_at_boot(void);

/* apic.c: local APIC one-shot timer and IOAPIC routing. */
void apic_init(void);
/* Set the timer for (deadline_ns) (UINT64_MAX: none); nothing is written when it is already
 * set for that deadline and has not fired since (apic_timer_fired, from plat_wait). */
void apic_timer_arm(uint64_t deadline_ns);
void apic_timer_fired(void);
/* Route (gsi) to (vector), active high, to this CPU: level-triggered for a PCI INTx line
 * (shared: it stays high while any device on it asserts), else edge. -ENODEV if no IOAPIC. A
 * level interrupt is delivered again after each EOI for as long as the line is high. */
int ioapic_route(unsigned gsi, uint8_t vector, bool level);
/* End of interrupt for the vector in service. The NIC stubs leave it to plat_wait, after the
 * devices were acknowledged: an EOI while a level line is still high would deliver it again
 * at once, and again, without end. */
void apic_eoi(void);
/* One past the highest GSI the IOAPICs serve. */
unsigned ioapic_gsi_limit(void);
/* MSI address/data that deliver (vector) to this CPU, edge-triggered. */
void apic_msi(uint8_t vector, uint64_t *addr, uint32_t *data);

/* virtio_net.c: probing (both transports) and the per-interrupt acknowledgement. (offload):
 * the offloads the device offers may be negotiated (off: frames as on a wire). */
void virtio_net_probe(const char *cmdline, bool offload);
/* Acknowledge NIC (nic) and every NIC on the same interrupt line (a shared PCI INTx line
 * carries one vector, whichever NIC set it up last); returns the bits of the NICs acknowledged,
 * all of which the event loop must then serve. */
uint64_t virtio_net_irq_ack(unsigned nic);
/* Kick every device that was not told of what was published (the end of the loop's turn). */
void virtio_net_flush(void);
/* Receive interrupts on (plat_wait is about to sleep) or off (the loop is busy: it reads the
 * rings without them). Returns the NICs with used buffers waiting (frames to read, or
 * transmit completions while the ring was full): plat_wait must not sleep on those. */
uint64_t virtio_net_irqs(bool on);
/* One "stats kvm.netN:" line per NIC (at exit). */
void virtio_net_print_stats(void);

/* libc/malloc.c: bytes of the blocks malloc has handed out and not freed (headers included),
 * and the "stats kvm.heap:" line (in_use, peak, carved, size, failed). */
size_t kvm_heap_in_use(void);
void kvm_heap_print_stats(void);

/* virtio_rng.c: the entropy device, polled (no interrupt). */
void virtio_rng_probe(const char *cmdline);
bool virtio_rng_present(void);
/* Up to (n) bytes from the device into (buf): those it has delivered, and with (wait) also
 * those it delivers within a bounded time. Returns how many. */
size_t virtio_rng_take(void *buf, size_t n, bool wait);

/* power.c: the power button, as the shutdown request of plat_wait. */
void power_init(void);
/* After VEC_POWER fired: true when it was a power-down request. */
bool power_down_requested(void);
/* ACPI soft-off (S5) where the machine has it; returns if it did not take. */
void power_off(void);

/* cmdline.c: (raw) split into the platform's own words (whole, unquoted words for which
 * (platform) is true) into (words) and the others into (service), each with its quotes as
 * written, joined by single spaces. Both outputs need strlen(raw) + 1 bytes. */
void cmdline_split_platform(const char *raw, bool (*platform)(const char *word, size_t n),
                            char *service, char *words);

/* crash.c: deliberate faults (unic.crash=KIND on the kernel command line). */
/* Is (word, n) a unic.crash= word? Remembers the kind. */
bool crash_option(const char *word, size_t n);
/* Fault as asked, if asked; never returns then. */
void crash_run(void);

/* main.c */
extern bool kvm_have_debug_exit;

#endif
