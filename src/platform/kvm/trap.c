/*
 * GDT/TSS/IDT setup and the report of a fatal CPU exception.
 *
 * Every exception is fatal: the handler prints its name, the registers and a frame-pointer
 * backtrace on COM1, with the addr2line command that turns the addresses into lines, then ends
 * the VM with KVM_FAULT_STATUS. Exceptions run on their own stack (IST1; a double fault on
 * IST2), so a stack overflow into the guard page is still reported.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "kvm.h"
#include "unic/platform.h"

#define GDT_TSS_SEL 0x18
#define IDT_INTERRUPT_GATE 0x8e
#define IST_STACK_SIZE 8192
#define BACKTRACE_MAX 24

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

struct __attribute__((packed)) tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};

struct __attribute__((packed)) idt_entry {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t zero;
};

struct __attribute__((packed)) table_ptr {
    uint16_t limit;
    uint64_t base;
};

extern uint64_t boot_gdt[];
extern const uint64_t exc_table[32], irq_table[IRQ_STUBS];
extern char irq_spurious[], __stack_bottom[], __stack_top[];

void trap_exception(struct trap_frame *f);

static struct tss tss;
static struct idt_entry idt[256];
static uint8_t ist1_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t ist2_stack[IST_STACK_SIZE] __attribute__((aligned(16)));

static const char *const exception_names[32] = {"#DE divide error",
                                                "#DB debug",
                                                "NMI",
                                                "#BP breakpoint",
                                                "#OF overflow",
                                                "#BR bound range",
                                                "#UD invalid opcode",
                                                "#NM device not available",
                                                "#DF double fault",
                                                "coprocessor overrun",
                                                "#TS invalid TSS",
                                                "#NP segment not present",
                                                "#SS stack fault",
                                                "#GP general protection",
                                                "#PF page fault",
                                                "reserved 15",
                                                "#MF x87 error",
                                                "#AC alignment check",
                                                "#MC machine check",
                                                "#XM SIMD exception",
                                                "#VE virtualization",
                                                "#CP control protection",
                                                "reserved 22",
                                                "reserved 23",
                                                "reserved 24",
                                                "reserved 25",
                                                "reserved 26",
                                                "reserved 27",
                                                "#HV hypervisor injection",
                                                "#VC VMM communication",
                                                "#SX security",
                                                "reserved 31"};

static void idt_set(unsigned vec, uint64_t handler, uint8_t ist)
{
    idt[vec] = (struct idt_entry){
        .offset_lo = (uint16_t)handler,
        .selector = 0x08,
        .ist = ist,
        .type = IDT_INTERRUPT_GATE,
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

static void tss_install(void)
{
    tss.ist[0] = (uintptr_t)(ist1_stack + IST_STACK_SIZE);
    tss.ist[1] = (uintptr_t)(ist2_stack + IST_STACK_SIZE);
    tss.iomap_base = sizeof(tss);
    uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
    boot_gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                  ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    boot_gdt[4] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(GDT_TSS_SEL));
}

void trap_init(void)
{
    tss_install();
    for (unsigned v = 0; v < 32; v++)
        idt_set(v, exc_table[v], v == 8 ? 2 : 1);
    for (unsigned v = VEC_PIC_BASE; v < VEC_PIC_BASE + 16; v++)
        idt_set(v, (uintptr_t)irq_spurious, 0);
    for (unsigned i = 0; i < IRQ_STUBS; i++)
        idt_set(VEC_TIMER + i, irq_table[i], 0);
    idt_set(VEC_SPURIOUS, (uintptr_t)irq_spurious, 0);
    struct table_ptr p = {sizeof(idt) - 1, (uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(p));
}

/* The program name: the first word of the kernel command line, for the addr2line hint. */
static void service_name(char *out, size_t cap)
{
    const char *c = mem_cmdline();
    size_t n = 0;
    while (c[n] && c[n] != ' ' && n + 1 < cap)
        n++;
    memcpy(out, c, n);
    out[n] = '\0';
    if (n == 0) {
        memcpy(out, "SERVICE", 8);
        return;
    }
}

static bool on_stack(uint64_t p)
{
    return p >= (uintptr_t)__stack_bottom && p + 16 <= (uintptr_t)__stack_top && !(p & 7);
}

/* Return addresses along the frame-pointer chain from (rbp); fills (pcs), returns the count. */
static unsigned backtrace(uint64_t rbp, uint64_t *pcs, unsigned max)
{
    unsigned n = 0;
    while (n < max && on_stack(rbp)) {
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        if (frame[1] == 0)
            break;
        pcs[n++] = frame[1] - 1; /* inside the call instruction, for addr2line */
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
    return n;
}

static void print_backtrace(uint64_t rip, uint64_t rbp)
{
    uint64_t pcs[BACKTRACE_MAX + 1];
    pcs[0] = rip;
    unsigned n = 1 + backtrace(rbp, pcs + 1, BACKTRACE_MAX);
    kprintf("backtrace:\n");
    for (unsigned i = 0; i < n; i++)
        kprintf("  #%u 0x%llx\n", i, (unsigned long long)pcs[i]);
    char name[64];
    service_name(name, sizeof(name));
    kprintf("resolve with: addr2line -f -i -p -e build/kvm/bin/%s.elf", name);
    for (unsigned i = 0; i < n; i++)
        kprintf(" 0x%llx", (unsigned long long)pcs[i]);
    kprintf("\n");
}

static void print_registers(const struct trap_frame *f)
{
    kprintf("rip %016llx rsp %016llx rflags %016llx\n", (unsigned long long)f->rip,
            (unsigned long long)f->rsp, (unsigned long long)f->rflags);
    kprintf("rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)f->rax,
            (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    kprintf("rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n", (unsigned long long)f->rsi,
            (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->r8);
    kprintf("r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n", (unsigned long long)f->r9,
            (unsigned long long)f->r10, (unsigned long long)f->r11, (unsigned long long)f->r12);
    kprintf("r13 %016llx r14 %016llx r15 %016llx cr2 %016llx\n", (unsigned long long)f->r13,
            (unsigned long long)f->r14, (unsigned long long)f->r15, (unsigned long long)read_cr2());
}

void trap_exception(struct trap_frame *f)
{
    cpu_cli();
    const char *name = exception_names[f->vector & 31];
    kprintf("\nkvm: CPU exception %llu (%s), error code 0x%llx\n", (unsigned long long)f->vector,
            name, (unsigned long long)f->error);
    if (f->vector == 14) {
        uint64_t addr = read_cr2();
        kprintf("page fault at address 0x%llx%s\n", (unsigned long long)addr,
                addr < 4096 ? " (NULL dereference)"
                : addr >= (uintptr_t)__stack_bottom - 4096 && addr < (uintptr_t)__stack_bottom
                    ? " (stack overflow into the guard page)"
                    : "");
    }
    print_registers(f);
    print_backtrace(f->rip, f->rbp);
    plat_exit(KVM_FAULT_STATUS);
}

/* A fatal software error (stack smashing, heap corruption): the same report, from here. */
_Noreturn void trap_fatal(const char *what)
{
    cpu_cli();
    kprintf("\nkvm: fatal: %s\n", what);
    const uint64_t *fp = __builtin_frame_address(0);
    print_backtrace(fp[1] - 1, fp[0]);
    plat_exit(KVM_FAULT_STATUS);
}
