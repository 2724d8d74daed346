/*
 * Boot: the PVH entry point QEMU jumps to (32-bit protected mode, paging off, %ebx = physical
 * address of struct hvm_start_info), up to the first C function, kvm_main().
 *
 * Order: zero .bss -> identity-map the first 1 GiB with 2 MiB pages (a temporary map; kvm_main
 * replaces it with the W^X tables of paging.c) -> PAE, EFER.LME + NXE, paging -> 64-bit code
 * -> set the stack-protector canary -> kvm_main(start_info). No SSE: the C is compiled with
 * -mgeneral-regs-only.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)

/* The PVH note: QEMU's -kernel loader finds it through the PT_NOTE program header. */
    .section .note.pvh, "a", @note
    .balign 4
    .long 4
    .long 4
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long pvh_start32

    .section .boot.text, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cld
    mov %ebx, %esi
    rdtsc
    mov %eax, boot_tsc
    mov %edx, boot_tsc + 4

    /* .bss holds the boot page tables and the stacks: clear it before anything uses it. */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    mov %esi, boot_start_info

    /* PML4[0] -> PDPT[0] -> PD: 512 x 2 MiB, present + writable + large page. */
    mov $boot_pdpt, %eax
    or $3, %eax
    mov %eax, boot_pml4
    mov $boot_pd, %eax
    or $3, %eax
    mov %eax, boot_pdpt
    mov $boot_pd, %edi
    mov $0x83, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    movl $0, 4(%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b

    lgdt boot_gdt_ptr
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE), %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_PE), %eax
    mov %eax, %cr0
    ljmp $0x08, $long_mode_entry

    .code64
long_mode_entry:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    lea __stack_top(%rip), %rsp

    /* No SSE is enabled: the image is built with -mgeneral-regs-only (kvm_no_sse.sh checks), so
     * an SSE instruction that slipped in faults (#UD) instead of running with unsaved state. */

    /* The canary must be set before the first protected function runs. RDRAND when the CPU has
     * it (CPUID.1:ECX[30]), else the TSC: weak, but TCG's default CPU lacks RDRAND. */
    mov $1, %eax
    cpuid
    bt $30, %ecx
    jnc 3f
    mov $32, %ecx
2:  rdrand %rax
    jc 4f
    loop 2b
3:  rdtsc
    shl $32, %rdx
    or %rdx, %rax
    mov $0x9e3779b97f4a7c15, %rdx
    imul %rdx, %rax
4:  xor %al, %al /* a zero byte stops string overflows from reproducing the canary */
    mov %rax, __stack_chk_guard(%rip)

    xor %ebp, %ebp /* ends the backtrace chain */
    mov boot_start_info(%rip), %edi
    call kvm_main
    ud2

    .section .data
    .balign 8
    .global boot_start_info
boot_start_info:
    .quad 0
    .global boot_tsc
boot_tsc:
    .quad 0

    .balign 16
    .global boot_gdt
boot_gdt:
    .quad 0                     /* null */
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
    .quad 0                     /* 0x18: TSS, filled in by trap.c */
    .quad 0
boot_gdt_end:
    .global boot_gdt_ptr
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

    .section .bss
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096

    .section .note.GNU-stack, "", @progbits
