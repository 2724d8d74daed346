/*
 * hello: the smallest service. It prints a greeting and leaves the rest to the OS: the stack
 * comes up on NIC 0 (--ip or DHCP), answers ARP and ping, and the process runs until it is
 * signalled (SIGINT/SIGTERM on hosted).
 *
 *   hello --tap tap0 --ip 10.0.0.2/24 [-- --crash]
 *
 * --crash writes through a NULL pointer right after the greeting, on purpose: the kvm fault
 * test checks that the exception stubs print the registers and end the VM.
 */
#include <string.h>

#include "unic.h"

static void hello_crash(void)
{
    /* volatile pointer: the compiler cannot see it is NULL, so this is a real page fault
     * rather than a trap instruction it substituted for undefined behaviour. */
    int *volatile target = NULL;
    unic_printf("hello: crashing on purpose (--crash)");
    *target = 42;
}

int service_start(int argc, char **argv)
{
    bool crash = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--crash")) {
            crash = true;
        } else {
            log_error("hello: unknown argument '%s' (only --crash)", argv[i]);
            return 2;
        }
    }
    unic_printf("hello from unic: answering ARP and ping until signalled");
    if (crash)
        hello_crash();
    return 0;
}
