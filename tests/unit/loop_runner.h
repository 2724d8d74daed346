/* Run the whole event loop (unic_main) on the fake platform's NIC, for the loop's own tests
 * (test_loop_*.c), and read the counters it prints at exit. A separate object of the test
 * support library: only the tests that use it link unic_main (and need a service_start). */
#ifndef UNIC_TEST_LOOP_RUNNER_H
#define UNIC_TEST_LOOP_RUNNER_H

#include <stddef.h>

#include "unic.h"

/* unic_main(cfg) with the console captured into (console) of (cap) bytes and not echoed; the
 * fake NIC is disabled afterwards. Returns unic_main's status. */
int loop_run_captured(struct unic_config *cfg, char *console, size_t cap);

/* Counter (name) of the line "stats (group):" in (console); 0 when absent (zeros are not
 * printed). The line itself must be there. */
long long loop_console_stat(const char *console, const char *group, const char *name);

#endif
