/*
 * Counters. Each module declares its counters once as an X-macro list, which gives both the
 * struct of uint64_t fields and the table of names used to print them:
 *
 *   #define IP4_STATS(X) X(rx) X(bad_checksum) X(too_short)
 *   struct ip4_stats { IP4_STATS(STATS_FIELD) };
 *   static const char *const ip4_stat_names[] = { IP4_STATS(STATS_NAME) };
 *
 * Every reason to drop a packet has its own counter, so the stats explain every lost packet.
 */
#ifndef UNIC_STATS_H
#define UNIC_STATS_H

#include <stddef.h>
#include <stdint.h>

#define STATS_FIELD(name) uint64_t name;
#define STATS_NAME(name) #name,
#define STATS_COUNT(names) (sizeof(names) / sizeof((names)[0]))

/* Print "module: name=value ..." for every non-zero counter (all of them if (all)). The struct
 * must consist of exactly STATS_COUNT(names) uint64_t fields. */
void stats_print(const char *module, const char *const *names, const void *stats, size_t n,
                 int all);

/* Value of counter (name) in (stats), or -1 when unknown: for tests and the stats dump. */
int64_t stats_lookup(const char *const *names, const void *stats, size_t n, const char *name);

#endif
