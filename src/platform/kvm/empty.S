/*
 * kvm-empty.elf: the smallest PVH image, which only asks QEMU to exit (isa-debug-exit, status
 * 0). Booting it measures the floor of QEMU launch -> guest -> exit, beside which the boot
 * time of a real service is read (tests/integration/kvm_measure.sh).
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

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
    xor %eax, %eax
    out %eax, $0xf4
1:  cli
    hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
