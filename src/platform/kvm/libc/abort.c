/*
 * The ways out of the kvm libc: abort(), exit(), failed assertions and the stack protector.
 * All of them end the VM through plat_exit (isa-debug-exit under QEMU). errno lives here too.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "../kvm.h"
#include "unic/platform.h"

/* Set at boot from RDRAND (boot.S) before any protected function runs. The compiler reads it
 * through -mstack-protector-guard=global. */
uintptr_t __stack_chk_guard;

int errno;

_Noreturn void __stack_chk_fail(void);
_Noreturn void __stack_chk_fail(void)
{
    trap_fatal("stack smashing detected");
}

_Noreturn void abort(void)
{
    trap_fatal("abort()");
}

_Noreturn void exit(int status)
{
    plat_exit(status);
}

void libc_assert_fail(const char *expr, const char *file, int line)
{
    kprintf("assertion failed: %s at %s:%d\n", expr, file, line);
    trap_fatal("assertion");
}
