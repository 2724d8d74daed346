/*
 * Multicast listener discovery version 2 (RFC 3810), listener side: the groups the stack is
 * in (the solicited-node group of each address; the all-nodes group is in implicitly and never
 * reported, 6), reported when joined or left (state change reports, sent
 * MLD_ROBUSTNESS times at random intervals up to MLD_UNSOLICITED_NS) and in answer to queries
 * (after a random delay up to the query's maximum response delay), so that switches with MLD
 * snooping deliver neighbour solicitations to us.
 */
#ifndef UNIC_MLD_H
#define UNIC_MLD_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/netbuf.h"
#include "unic/stats.h"
#include "unic/timer.h"

struct inet;

#define MLD_MAX_GROUPS 16
#define MLD_ROBUSTNESS 2
#define MLD_UNSOLICITED_NS (1 * NSEC_PER_SEC) /* Unsolicited Report Interval */

/* clang-format off */
#define MLD_STATS(X)                                                                               \
    X(joins) X(leaves) X(groups_full) X(tx_reports) X(rx_queries) X(rx_bad) X(no_buffer)
/* clang-format on */
struct mld_stats {
    MLD_STATS(STATS_FIELD)
};

struct mld_group {
    uint8_t addr[16];
    uint8_t refs;        /* addresses sharing it (two with the same low 24 bits) */
    uint8_t change_left; /* state change reports still to send */
    bool leaving;        /* refs reached 0: reporting its leave, then freed */
};

struct mld {
    struct mld_group groups[MLD_MAX_GROUPS];
    struct timer change_timer; /* the next state change report */
    struct timer query_timer;  /* the answer to a general query */
    struct mld_stats stats;
};

void mld_init(struct inet *inet);
void mld_destroy(struct inet *inet);

/* Join / leave group (g) (counted references). Join: -ENOSPC when the table is full. */
int mld_join(struct inet *inet, const uint8_t g[16]);
void mld_leave(struct inet *inet, const uint8_t g[16]);

/* Are we in group (g)? (the all-nodes group always) */
bool mld_is_member(const struct inet *inet, const uint8_t g[16]);

/* A query (nb->data at the ICMPv6 header, checksum verified). Does not take ownership. */
void mld_input_query(struct inet *inet, const struct netbuf *nb, struct unic_addr src);

void mld_print_stats(struct inet *inet, int all);

#endif
