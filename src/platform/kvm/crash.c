/*
 * Deliberate faults, chosen on the kernel command line, that check the protections and the
 * fault report (tests/integration/kvm_boot.sh):
 *
 *   unic.crash=null    write through NULL             -> #PF, page 0 is not mapped
 *   unic.crash=stack   unbounded recursion            -> #PF in the guard page under the stack
 *   unic.crash=canary  overrun a local array          -> __stack_chk_fail (stack protector)
 *   unic.crash=wx      write into .text               -> #PF, code is not writable (W^X)
 *   unic.crash=nx      jump into .data                -> #PF, data is not executable (NX)
 *   unic.crash=memmove a backwards memmove into .text  -> #PF with the direction flag set: the
 *                      report itself must still copy forwards (isr.S clears DF)
 *
 * Each runs once the devices are up, just before unic_main, and must end the VM with the
 * report and KVM_FAULT_STATUS. Pointers go through an empty asm so the optimiser cannot see
 * (and drop or replace) the undefined behaviour.
 */
#include <stdint.h>
#include <string.h>

#include "kvm.h"

static const char *crash_kind;

static void *hide(void *p)
{
    __asm__ volatile("" : "+r"(p));
    return p;
}

bool crash_option(const char *word, size_t n)
{
    static const char *const kinds[] = {"null", "stack", "canary", "wx", "nx", "memmove"};
    static const char prefix[] = "unic.crash=";
    size_t plen = sizeof(prefix) - 1;
    if (n <= plen || memcmp(word, prefix, plen) != 0)
        return false;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (n - plen == strlen(kinds[i]) && !memcmp(word + plen, kinds[i], n - plen))
            crash_kind = kinds[i];
    return true; /* an unknown kind is dropped too: it is a platform word, not a service one */
}

/* Each frame keeps a live array, so the recursion cannot become a loop; the bound is far
 * beyond what the 64 KiB stack holds. */
static unsigned recurse(unsigned depth)
{
    volatile uint8_t frame[256];
    if (depth > (1u << 30))
        return 0;
    frame[depth % sizeof(frame)] = (uint8_t)depth;
    return recurse(depth + 1) + frame[0];
}

__attribute__((noinline)) static void overrun(size_t len)
{
    char buf[16];
    memset(hide(buf), 'A', len); /* len > 16: runs over the canary */
    __asm__ volatile("" : : "r"(buf) : "memory");
}

static uint8_t data_code[16] = {0xc3}; /* "ret", in .data */

void crash_run(void)
{
    if (!crash_kind)
        return;
    kprintf("kvm: unic.crash=%s\n", crash_kind);
    if (!strcmp(crash_kind, "null"))
        *(volatile int *)hide(NULL) = 1;
    else if (!strcmp(crash_kind, "stack"))
        kprintf("%u\n", recurse(0));
    else if (!strcmp(crash_kind, "canary"))
        overrun(64);
    else if (!strcmp(crash_kind, "wx"))
        *(volatile uint8_t *)hide((void *)crash_run) = 0xcc;
    else if (!strcmp(crash_kind, "nx"))
        ((void (*)(void))hide(data_code))();
    else if (!strcmp(crash_kind, "memmove"))
        memmove((char *)hide((void *)crash_run) + 1, hide((void *)crash_run), 64);
    trap_fatal("unic.crash: the fault did not happen");
}
