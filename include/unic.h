/*
 * The one header a service includes.
 *
 * A service defines service_start(); the OS calls it once the network stack is set up (before
 * any address is known when DHCP is used: see inet->on_up). Everything afterwards happens in
 * callbacks from the single-threaded event loop: timers, UDP/TCP receive, ...
 */
#ifndef UNIC_H
#define UNIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unic/config.h"
#include "unic/inet.h"
#include "unic/log.h"
#include "unic/netbuf.h"
#include "unic/random.h"
#include "unic/stats.h"
#include "unic/timer.h"

/* Implemented by the service. (argc, argv): the program name and the arguments after `--`.
 * Return 0 to run, or a non-zero exit status to stop at once (e.g. 2 for a bad option). */
int service_start(int argc, char **argv);

/* Optional: called at shutdown before the stats are printed. */
void service_stop(void) __attribute__((weak));

/* The default network stack (NIC 0), its timers and the current monotonic time in ns. */
struct inet *unic_inet(void);
struct timer_queue *unic_timers(void);
uint64_t unic_now(void);

/* Ask the loop to end with (status) after the current callback returns; no frame reaches the
 * stack after that (the rest of a receive batch stays unread). */
void unic_shutdown(int status);

const struct unic_config *unic_config(void);

/* Entry into the OS, called by the platform's entry point once its devices are open: sets up
 * the stack on NIC 0, calls service_start() and runs the event loop until shutdown. Returns the
 * exit status. */
int unic_main(struct unic_config *cfg);

#endif
