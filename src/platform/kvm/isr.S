/*
 * Interrupt and exception entry stubs.
 *
 * Exceptions (vectors 0-31): push a uniform frame (struct trap_frame in trap.c) and call
 * trap_exception(), which prints it and ends the VM; they never return.
 * Device, timer and power-button interrupts (VEC_TIMER..VEC_TIMER+5): only set bit
 * (vector - VEC_TIMER) of irq_pending; the timer's and the power button's also end the
 * interrupt at the local APIC (a NIC's is ended by plat_wait, see IRQ below). No C, no SSE state touched, no device access:
 * the event loop does the work after plat_wait() returns.
 */
#define LAPIC_EOI 0xfee000b0
#define VEC_TIMER 0x30

    .section .text.isr, "ax"
    .code64

.macro EXC_NOERR vec
    .global exc_\vec
exc_\vec:
    pushq $0
    pushq $\vec
    jmp exc_common
.endm

.macro EXC_ERR vec
    .global exc_\vec
exc_\vec:
    pushq $\vec
    jmp exc_common
.endm

EXC_NOERR 0
EXC_NOERR 1
EXC_NOERR 2
EXC_NOERR 3
EXC_NOERR 4
EXC_NOERR 5
EXC_NOERR 6
EXC_NOERR 7
EXC_ERR 8
EXC_NOERR 9
EXC_ERR 10
EXC_ERR 11
EXC_ERR 12
EXC_ERR 13
EXC_ERR 14
EXC_NOERR 15
EXC_NOERR 16
EXC_ERR 17
EXC_NOERR 18
EXC_NOERR 19
EXC_NOERR 20
EXC_ERR 21
EXC_NOERR 22
EXC_NOERR 23
EXC_NOERR 24
EXC_NOERR 25
EXC_NOERR 26
EXC_NOERR 27
EXC_NOERR 28
EXC_ERR 29
EXC_ERR 30
EXC_NOERR 31

exc_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    /* The SysV ABI wants DF clear on entry to C; a fault inside a backwards copy (memmove's
     * std; rep movsb) leaves it set, and the report's own memcpy would then run backwards. */
    cld
    mov %rsp, %rdi
    and $~15, %rsp
    call trap_exception
    ud2

/* The timer and the power button end their interrupt here. A NIC's vector stays in service
 * (holding off the vectors of its priority class, 0x30-0x3f, ours) until plat_wait has
 * acknowledged the device(s) and sends the EOI (apic_eoi): a level-triggered INTx line is high
 * until then, and an EOI now would have it delivered again at once, without end. */
.macro IRQ bit, eoi
    .global irq_\bit
irq_\bit:
    lock btsq $\bit, irq_pending(%rip)
.if \eoi
    push %rax
    movabs $LAPIC_EOI, %rax
    movl $0, (%rax)
    pop %rax
.endif
    iretq
.endm

IRQ 0, 1
IRQ 1, 0
IRQ 2, 0
IRQ 3, 0
IRQ 4, 0
IRQ 5, 1

/* A spurious interrupt (8259 or local APIC) needs no EOI. */
    .global irq_spurious
irq_spurious:
    iretq

    .section .rodata
    .balign 8
    .global exc_table
exc_table:
    .quad exc_0, exc_1, exc_2, exc_3, exc_4, exc_5, exc_6, exc_7
    .quad exc_8, exc_9, exc_10, exc_11, exc_12, exc_13, exc_14, exc_15
    .quad exc_16, exc_17, exc_18, exc_19, exc_20, exc_21, exc_22, exc_23
    .quad exc_24, exc_25, exc_26, exc_27, exc_28, exc_29, exc_30, exc_31
    .global irq_table
irq_table:
    .quad irq_0, irq_1, irq_2, irq_3, irq_4, irq_5

    .section .note.GNU-stack, "", @progbits
