/*
 * hello: the smallest service. It prints a greeting and leaves the rest to the OS: the stack
 * comes up on NIC 0 (--ip or DHCP), answers ARP and ping, and the process runs until it is
 * signalled (SIGINT/SIGTERM on hosted).
 *
 *   hello --tap tap0 --ip 10.0.0.2/24 [-- --crash]      (hello --help lists the options)
 *
 * --crash writes through a NULL pointer right after the greeting, on purpose: the kvm fault
 * test checks that the exception stubs print the registers and end the VM.
 */
#include "unic.h"

static void hello_crash(void)
{
    /* volatile pointer: the compiler cannot see it is NULL, so this is a real page fault
     * rather than a trap instruction it substituted for undefined behaviour. */
    int *volatile target = NULL;
    unic_printf("hello: crashing on purpose (--crash)");
    *target = 42;
}

static const struct option_spec hello_options[] = {
    {"--crash", OPTION_FLAG, NULL, NULL, 0, 0, "write through a NULL pointer after the greeting"},
};

const struct unic_service unic_service = {
    .summary = "answers ARP and ping, nothing else",
    .options = hello_options,
    .option_count = sizeof(hello_options) / sizeof(hello_options[0]),
};

int service_start(int argc, char **argv)
{
    (void)argc, (void)argv;
    unic_printf("hello from unic: answering ARP and ping until signalled");
    if (options_flag(unic_options(), "--crash"))
        hello_crash();
    return 0;
}
