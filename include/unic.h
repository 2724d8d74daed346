/*
 * The one header a service includes.
 *
 * A service defines service_start(); the OS calls it once the network stack is set up (before
 * any address is known when DHCP is used: see inet_on_up()). Everything afterwards happens in
 * callbacks from the single-threaded event loop: timers, UDP/TCP receive, ...
 *
 * A service that takes options declares them in a descriptor named unic_service (below); the
 * OS parses them with its own before any device opens, and --help lists them:
 *
 *   static const struct option_spec kv_options[] = {
 *       {"--port", OPTION_UINT, "N", "6000", 1, 65535, "TCP port"},
 *       {"--max-keys", OPTION_UINT, "N", "1024", 1, 1000000, "keys the store holds"},
 *   };
 *   const struct unic_service unic_service = {
 *       .summary = "a key-value store on TCP",
 *       .options = kv_options,
 *       .option_count = sizeof(kv_options) / sizeof(kv_options[0]),
 *   };
 *   int service_start(int argc, char **argv) {
 *       uint16_t port = (uint16_t)options_uint(unic_options(), "--port");
 *       ...
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
#include "unic/options.h"
#include "unic/random.h"
#include "unic/stats.h"
#include "unic/timer.h"

/* What a service accepts on the command line (after `--`) and what it prints on demand. */
struct unic_service {
    const char *summary;               /* one line for --help: what the service does      */
    const struct option_spec *options; /* its options (options.h), or NULL                */
    size_t option_count;
    const char *operands;  /* --help text for the words that are not options ("NAME..."), or
                            * NULL when it takes none                                     */
    unsigned min_operands; /* at least this many such words                               */
    unsigned max_operands; /* at most this many such words (0: none)                      */
    /* Optional: print the service's counters, one "stats NAME: key=value ..." line per group
     * (stats_print). Called whenever the OS prints its own: at exit (before service_stop),
     * on SIGUSR1 (hosted) and every --stats-interval. */
    void (*print_stats)(void);
};

/* Optional, defined by the service: without it the service takes no options and no
 * operands, and a word after `--` is an error. */
extern const struct unic_service unic_service __attribute__((weak));

/* The service's options as parsed (options_uint(unic_options(), "--port"), ...): every
 * declared option has its value or default, checked against its type and range. */
const struct option_set *unic_options(void);

/* Implemented by the service. (argc, argv): the program name and the operands, the words after
 * `--` that are not declared options (see unic_service). The options were checked before any
 * device opened. Return 0 to run, or a non-zero exit status to stop at once. */
int service_start(int argc, char **argv);

/* Optional: called at shutdown, after the service's counters were printed. */
void service_stop(void) __attribute__((weak));

/* The default network stack (NIC 0) and its timers. */
struct inet *unic_inet(void);
struct timer_queue *unic_timers(void);

/* Monotonic time in ns (an arbitrary origin; never goes back): the clock of the timers, read
 * once per turn of the event loop, so it does not advance within a callback. */
uint64_t unic_now(void);

/* Wall-clock time in ns since the Unix epoch (1970-01-01 UTC), read now: hosted from
 * CLOCK_REALTIME, kvm from the RTC (or kvmclock) at boot plus the monotonic time since. Can
 * step (hosted: when the host's clock is set); use unic_now() for intervals. */
uint64_t unic_wall_time(void);

/* A text for an errno value the API returns, negative (-ECONNREFUSED) or not: the same text on
 * both platforms (glibc's wording, "Connection refused"); "Unknown error" for a value it does
 * not know. Never NULL; the string is static. */
const char *unic_strerror(int err);

/* Ask the loop to end with (status) after the current callback returns; no frame reaches the
 * stack after that (the rest of a receive batch stays unread). */
void unic_shutdown(int status);

const struct unic_config *unic_config(void);

/* Entry into the OS, called by the platform's entry point once its devices are open: sets up
 * the stack on NIC 0, calls service_start() and runs the event loop until shutdown. Returns the
 * exit status. */
int unic_main(struct unic_config *cfg);

#endif
