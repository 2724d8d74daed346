/*
 * Packet buffers: one contiguous buffer per frame, as Unikraft's uk_netbuf.
 *
 *   buf                 data                      data+len                 buf+cap
 *    |<--- headroom --->|<-------- len ---------->|<------- tailroom ------>|
 *
 * On the way out each layer calls netbuf_push() to move (data) back and writes its header in
 * place; on the way in each layer calls netbuf_pull() to move (data) forward past its header.
 * Buffers come from a bounded pool; when it is empty netbuf_alloc() returns NULL and counts the
 * failure: callers drop the packet, they never crash. Buffers larger than the pool's size (a
 * reassembled datagram) come from malloc within a byte budget, also bounded.
 *
 * Ownership: a function taking a `struct netbuf *` owns it from the call on, on success and on
 * error, unless its comment says otherwise. The owner frees it with netbuf_free().
 */
#ifndef UNIC_NETBUF_H
#define UNIC_NETBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for Ethernet (14) + IPv4 with options (60) + TCP with options (60), rounded up. */
#define NETBUF_HEADROOM 144
/* Pool buffer size: headroom + a 1514-byte frame + slack, a multiple of 64. */
#define NETBUF_POOL_BUF_SIZE 1728
/* Largest buffer netbuf_alloc_size() hands out: headroom + a full IPv4 datagram in an Ethernet
 * frame with a VLAN tag (a NIC's TCP super-packet arrives whole, see platform.h), or a whole
 * IPv6 packet as reassembly builds it (40-byte header + a 65535-byte payload). */
#define NETBUF_MAX_SIZE (NETBUF_HEADROOM + 18 + 40 + 65535)

struct netbuf_pool;

struct netbuf {
    uint8_t *buf;             /* start of storage                         */
    uint8_t *data;            /* first byte of the packet                 */
    size_t len;               /* bytes of packet from data                */
    size_t cap;               /* bytes of storage from buf                */
    struct netbuf *next;      /* for the owner's queues; NULL when unused */
    struct netbuf_pool *pool; /* where it goes back to                    */
    bool large;               /* malloc'd, outside the fixed pool         */
    uint8_t nic;              /* NIC it arrived on                        */
    bool csum_ok;             /* received: the NIC vouched for the TCP/UDP
                               * checksum (PLAT_NET_RX_CSUM_OK): not summed */
    bool l2_group;            /* received as a link-layer broadcast or multicast:
                               * no ICMP error answers it (RFC 1122 3.2.2,
                               * RFC 4443 2.4 e)                               */
    uint16_t tso_mss;         /* sending: 0, or a TCP/IPv4 super-packet for the
                               * NIC to cut into segments of this many payload
                               * bytes, its TCP checksum partial (platform.h)  */
};

struct netbuf_pool_stats {
    uint64_t allocs, frees, exhausted, large_allocs, large_refused;
};

struct netbuf_pool {
    struct netbuf *free_list;
    struct netbuf *descs; /* all fixed descriptors, for teardown */
    uint8_t *storage;
    size_t count, in_use, large_bytes, large_budget;
    struct netbuf_pool_stats stats;
};

/* netbuf_pool_init/destroy and netbuf_alloc/alloc_size are for the OS (the loop owns the pool)
 * and the tests. A service gets a buffer from the module that sends it (udp_alloc()), fills it
 * (netbuf_put) and hands it on, or gives it back with netbuf_free(). */

/* Create a pool of (count) buffers of NETBUF_POOL_BUF_SIZE bytes and allow up to
 * (large_budget) bytes of larger buffers at once. Returns 0 or -ENOMEM. */
int netbuf_pool_init(struct netbuf_pool *pool, size_t count, size_t large_budget);
void netbuf_pool_destroy(struct netbuf_pool *pool);

/* A pool buffer with data at NETBUF_HEADROOM and len 0, or NULL when exhausted (counted). */
struct netbuf *netbuf_alloc(struct netbuf_pool *pool);

/* A buffer that holds at least (size) bytes after the headroom: from the pool when it fits,
 * else from the large budget. NULL when neither can serve (counted). */
struct netbuf *netbuf_alloc_size(struct netbuf_pool *pool, size_t size);

/* Return (nb) to its pool. NULL is ignored. */
void netbuf_free(struct netbuf *nb);

static inline size_t netbuf_headroom(const struct netbuf *nb)
{
    return (size_t)(nb->data - nb->buf);
}

static inline size_t netbuf_tailroom(const struct netbuf *nb)
{
    return nb->cap - netbuf_headroom(nb) - nb->len;
}

/* Prepend (n) bytes; returns the new data pointer or NULL when the headroom is too small. */
uint8_t *netbuf_push(struct netbuf *nb, size_t n);

/* Drop (n) bytes from the front; returns the new data pointer or NULL if len < n. */
uint8_t *netbuf_pull(struct netbuf *nb, size_t n);

/* Append (n) bytes at the tail; returns a pointer to them or NULL without tailroom. */
uint8_t *netbuf_put(struct netbuf *nb, size_t n);

/* Cut the packet to (len) bytes if it is longer. */
void netbuf_trim(struct netbuf *nb, size_t len);

#endif
