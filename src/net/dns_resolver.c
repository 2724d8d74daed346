/*
 * The stub resolver (see include/unic/dns_resolver.h for what it promises).
 *
 * Call order: dns_resolve / dns_resolve_type -> literal / cache hit (a slot completed at once,
 * delivered by its timer at `now`) | dns_query_start -> dns_query_send (one socket per query);
 * udp_input -> dns_on_answer -> dns_answer_result -> dns_cache_put -> dns_query_finish -> cb;
 * the slot's timer -> dns_query_timer: deliver, retransmit, or -ETIMEDOUT.
 *
 * All state lives in fixed arrays in struct dns_resolver, allocated on the first
 * dns_resolve(): DNS_RESOLVER_MAX_PENDING query slots and DNS_CACHE_SIZE cache entries.
 */
#include "unic/dns_resolver.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unic/inet_internal.h"
#include "unic/random.h"
#include "unic/stats.h"
#include "unic/udp.h"
#include "unic/wire/bytes.h"
#include "unic/wire/dns.h"
#include "unic/wire/wire.h"

#define DNS_TEXT_MAX 256 /* a host name in text: 253 characters, a dot, a NUL, and slack */
#define DNS_MAX_CNAMES 8 /* longest CNAME chain followed inside one answer */
#define DNS_QUERY_MAX 512

/* One counter per drop reason. (clang-format does not settle on a layout for these.) */
/* clang-format off */
#define DNS_RESOLVER_STATS(X)                                                                      \
    X(queries) X(literals) X(cache_hits) X(tx) X(tx_errors) X(retransmits) X(timeouts) X(rx)       \
    X(rx_wrong_source) X(rx_malformed) X(rx_wrong_id) X(rx_wrong_question) X(answers)              \
    X(nxdomain) X(nodata) X(server_failures) X(truncated) X(cache_inserts) X(cache_evictions)      \
    X(pending_full) X(no_server) X(cancelled)
/* clang-format on */
struct dns_resolver_stats {
    DNS_RESOLVER_STATS(STATS_FIELD)
};
static const char *const dns_resolver_stat_names[] = {DNS_RESOLVER_STATS(STATS_NAME)};

enum dns_query_state { DQ_FREE = 0, DQ_SENT, DQ_DONE };

struct dns_query {
    struct dns_resolver *res;
    enum dns_query_state state;
    struct timer timer; /* DQ_SENT: retransmission; DQ_DONE: delivery at `now` */
    struct udp_sock *sock;
    struct unic_addr server; /* IPv4 (--dns, DHCP) or IPv6 (RDNSS) */
    uint16_t id;
    uint16_t qtype; /* DNS_TYPE_A or DNS_TYPE_AAAA: asked now */
    bool then_a;    /* DNS_WANT_AAAA_A: ask A when the name has no AAAA */
    uint8_t tries;
    struct dns_name qname; /* lowercase */
    char text[DNS_TEXT_MAX];
    dns_resolve_fn cb;
    void *arg;
    int status; /* DQ_DONE: the result */
    struct unic_addr addr;
    uint32_t ttl;
};

struct dns_cache_entry {
    struct dns_name name; /* lowercase; len 0 = free */
    uint16_t qtype;       /* the name and type are the key */
    int status;           /* 0 or -ENOENT */
    struct unic_addr addr;
    uint64_t expires;
};

struct dns_resolver {
    struct inet *inet;
    struct dns_query queries[DNS_RESOLVER_MAX_PENDING];
    struct dns_cache_entry cache[DNS_CACHE_SIZE];
    struct dns_resolver_stats stats;
    struct inet_module module;
};

/* ---- Cache ---------------------------------------------------------------------------------- */

static struct dns_cache_entry *dns_cache_find(struct dns_resolver *r, const struct dns_name *n,
                                              uint16_t qtype)
{
    uint64_t now = inet_now(r->inet);
    for (unsigned i = 0; i < DNS_CACHE_SIZE; i++) {
        struct dns_cache_entry *e = &r->cache[i];
        if (!e->name.len || e->qtype != qtype || !dns_name_equal(&e->name, n))
            continue;
        if (e->expires > now)
            return e;
        e->name.len = 0; /* expired: free it on the way */
    }
    return NULL;
}

/* A free or expired entry, else the one expiring first (evicted). */
static struct dns_cache_entry *dns_cache_slot(struct dns_resolver *r)
{
    uint64_t now = inet_now(r->inet);
    struct dns_cache_entry *victim = &r->cache[0];
    for (unsigned i = 0; i < DNS_CACHE_SIZE; i++) {
        struct dns_cache_entry *e = &r->cache[i];
        if (!e->name.len || e->expires <= now)
            return e;
        if (e->expires < victim->expires)
            victim = e;
    }
    r->stats.cache_evictions++;
    return victim;
}

static void dns_cache_put(struct dns_resolver *r, const struct dns_name *n, uint16_t qtype,
                          int status, struct unic_addr addr, uint32_t ttl)
{
    if (ttl == 0)
        return; /* RFC 1035 3.2.1: use for this transaction only */
    struct dns_cache_entry *e = dns_cache_find(r, n, qtype);
    if (!e)
        e = dns_cache_slot(r);
    e->name = *n;
    e->qtype = qtype;
    e->status = status;
    e->addr = addr;
    e->expires = inet_now(r->inet) + (uint64_t)ttl * NSEC_PER_SEC;
    r->stats.cache_inserts++;
}

void dns_cache_flush(struct inet *inet)
{
    if (inet->resolver)
        for (unsigned i = 0; i < DNS_CACHE_SIZE; i++)
            inet->resolver->cache[i].name.len = 0;
}

/* ---- Query slots ---------------------------------------------------------------------------- */

static void dns_query_release(struct dns_query *q)
{
    struct inet *inet = q->res->inet;
    timer_cancel(inet->timers, &q->timer);
    if (q->sock && inet->udp) /* no inet->udp: UDP was torn down first, sockets with it */
        udp_close(q->sock);
    q->sock = NULL;
    q->state = DQ_FREE;
}

/* Free the slot, then call back (the callback may reuse the slot). */
static void dns_query_deliver(struct dns_query *q)
{
    char text[DNS_TEXT_MAX];
    dns_resolve_fn cb = q->cb;
    void *arg = q->arg;
    int status = q->status;
    struct unic_addr addr = q->addr;
    uint32_t ttl = q->ttl;
    struct inet *inet = q->res->inet;
    memcpy(text, q->text, sizeof(text));
    dns_query_release(q);
    cb(inet, text, status, addr, ttl, arg);
}

/* Record the result; delivered by the timer when (later), else now. */
static void dns_query_finish(struct dns_query *q, int status, struct unic_addr addr, uint32_t ttl,
                             bool later)
{
    q->status = status;
    q->addr = addr;
    q->ttl = ttl;
    q->state = DQ_DONE;
    if (later)
        timer_arm(q->res->inet->timers, &q->timer, inet_now(q->res->inet));
    else
        dns_query_deliver(q);
}

static int dns_query_send(struct dns_query *q)
{
    struct dns_resolver *r = q->res;
    uint8_t buf[DNS_QUERY_MAX];
    struct dns_emitter e;
    struct dns_question qu = {.name = q->qname, .type = q->qtype, .class_ = DNS_CLASS_IN};
    struct dns_hdr h = {.id = q->id, .flags = DNS_FLAG_RD, .qdcount = 1};
    dns_emit_init(&e, buf, sizeof(buf));
    if (dns_emit_question(&e, &qu) < 0 || dns_hdr_emit(buf, sizeof(buf), &h) < 0)
        return -EINVAL; /* cannot happen for a name that parsed: 12 + 255 + 4 < 512 */
    q->tries++;
    r->stats.tx++;
    int err = udp_sendto(q->sock, q->server, DNS_PORT, buf, e.len);
    if (err < 0)
        r->stats.tx_errors++; /* not fatal: the next try may find a route (ARP, DHCP) */
    timer_arm_in(r->inet->timers, &q->timer, DNS_RESOLVER_TIMEOUT_NS << (q->tries - 1));
    return 0;
}

static void dns_query_timer(struct timer *t)
{
    struct dns_query *q = t->arg;
    struct dns_resolver *r = q->res;
    if (q->state == DQ_DONE) {
        dns_query_deliver(q);
    } else if (q->tries >= DNS_RESOLVER_TRIES) {
        r->stats.timeouts++;
        dns_query_finish(q, -ETIMEDOUT, unic_addr_ip4(0), 0, false);
    } else {
        r->stats.retransmits++;
        dns_query_send(q);
    }
}

/* ---- Answers -------------------------------------------------------------------------------- */

/* Walk the answer section at (off) for a record of (qtype) (A or AAAA) of (qname), following
 * CNAMEs. 1 with (*addr, *ttl: the smallest along the chain), 0 if there is none, or a WIRE_E*
 * error. */
static int dns_find_addr(const uint8_t *msg, size_t len, size_t off, unsigned ancount,
                         const struct dns_name *qname, uint16_t qtype, struct unic_addr *addr,
                         uint32_t *ttl)
{
    struct dns_name target = *qname;
    uint32_t min_ttl = UINT32_MAX;
    unsigned followed = 0;
    for (unsigned pass = 0; pass <= DNS_MAX_CNAMES; pass++) {
        size_t pos = off;
        bool progress = false;
        for (unsigned i = 0; i < ancount; i++) {
            struct dns_rr rr;
            int err = dns_rr_parse(msg, len, pos, &rr, &pos);
            if (err < 0)
                return err;
            if (rr.class_ != DNS_CLASS_IN || !dns_name_equal(&rr.name, &target))
                continue;
            min_ttl = rr.ttl < min_ttl ? rr.ttl : min_ttl;
            if (rr.type == qtype) {
                *addr =
                    qtype == DNS_TYPE_A ? unic_addr_ip4(rd32(rr.u.a)) : unic_addr_ip6(rr.u.aaaa);
                *ttl = min_ttl;
                return 1;
            }
            if (rr.type == DNS_TYPE_CNAME && followed++ < DNS_MAX_CNAMES) {
                target = rr.u.target;
                progress = true;
            }
        }
        if (!progress)
            return 0;
    }
    return 0;
}

/* Negative-answer TTL (RFC 2308 5): min(SOA TTL, SOA minimum) of the authority section. */
static uint32_t dns_negative_ttl(const uint8_t *msg, size_t len, size_t off,
                                 const struct dns_hdr *h)
{
    size_t pos;
    if (dns_rr_skip(msg, len, off, h->ancount, &pos) < 0)
        return 0;
    for (unsigned i = 0; i < h->nscount; i++) {
        struct dns_rr rr;
        if (dns_rr_parse(msg, len, pos, &rr, &pos) < 0)
            return 0;
        if (rr.type == DNS_TYPE_SOA) {
            uint32_t ttl = rr.ttl < rr.u.soa.minimum ? rr.ttl : rr.u.soa.minimum;
            return ttl < DNS_CACHE_NEG_MAX_TTL ? ttl : DNS_CACHE_NEG_MAX_TTL;
        }
    }
    return 0; /* no SOA: do not cache */
}

/* Is (msg) the answer to (q)? Checks ID, QR, opcode and the question; (*off): the answer
 * section. Counts the reason when not. */
static bool dns_answer_matches(struct dns_query *q, const uint8_t *msg, size_t len,
                               struct dns_hdr *h, size_t *off)
{
    struct dns_resolver_stats *st = &q->res->stats;
    struct dns_question qu;
    if (dns_hdr_parse(msg, len, h) < 0) {
        st->rx_malformed++;
        return false;
    }
    if (h->id != q->id || !(h->flags & DNS_FLAG_QR) || dns_hdr_opcode(h) != DNS_OPCODE_QUERY) {
        st->rx_wrong_id++;
        return false;
    }
    if (h->qdcount != 1 || dns_question_parse(msg, len, DNS_HDR_LEN, &qu, off) < 0 ||
        qu.type != q->qtype || qu.class_ != DNS_CLASS_IN || !dns_name_equal(&qu.name, &q->qname)) {
        st->rx_wrong_question++;
        return false;
    }
    return true;
}

static int dns_query_restart(struct dns_query *q);

/* The name exists without an address of q->qtype (NODATA): the end, or the A question next
 * (DNS_WANT_AAAA_A). */
static void dns_answer_nodata(struct dns_query *q, uint32_t ttl)
{
    if (q->then_a && q->qtype == DNS_TYPE_AAAA) {
        q->then_a = false;
        q->qtype = DNS_TYPE_A;
        if (dns_query_restart(q) == 0)
            return;
    }
    dns_query_finish(q, -ENOENT, unic_addr_ip4(0), ttl, false);
}

/* Turn a matching answer into a result and finish (q). */
static void dns_answer_result(struct dns_query *q, const uint8_t *msg, size_t len,
                              const struct dns_hdr *h, size_t off)
{
    struct dns_resolver *r = q->res;
    unsigned rcode = dns_hdr_rcode(h);
    struct unic_addr addr = unic_addr_ip4(0);
    uint32_t ttl = 0;
    if (rcode == DNS_RCODE_NXDOMAIN) { /* no name: no address of any type either */
        r->stats.nxdomain++;
        ttl = dns_negative_ttl(msg, len, off, h);
        dns_cache_put(r, &q->qname, q->qtype, -ENOENT, addr, ttl);
        dns_query_finish(q, -ENOENT, addr, ttl, false);
        return;
    }
    int found = rcode == DNS_RCODE_NOERROR
                    ? dns_find_addr(msg, len, off, h->ancount, &q->qname, q->qtype, &addr, &ttl)
                    : 0;
    if (found < 0) {
        r->stats.rx_malformed++; /* keep waiting: a forged or broken packet must not end it */
    } else if (found) {
        r->stats.answers++;
        ttl = ttl < DNS_CACHE_MAX_TTL ? ttl : DNS_CACHE_MAX_TTL;
        dns_cache_put(r, &q->qname, q->qtype, 0, addr, ttl);
        dns_query_finish(q, 0, addr, ttl, false);
    } else if (rcode != DNS_RCODE_NOERROR || (h->flags & DNS_FLAG_TC)) {
        if (rcode != DNS_RCODE_NOERROR)
            r->stats.server_failures++;
        else
            r->stats.truncated++;
        dns_query_finish(q, -EIO, addr, 0, false);
    } else {
        r->stats.nodata++;
        ttl = dns_negative_ttl(msg, len, off, h);
        dns_cache_put(r, &q->qname, q->qtype, -ENOENT, addr, ttl);
        dns_answer_nodata(q, ttl);
    }
}

static void dns_on_answer(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                          size_t len)
{
    struct dns_query *q = udp_sock_user(sock);
    struct dns_hdr h;
    size_t off;
    q->res->stats.rx++;
    if (q->state != DQ_SENT) /* already answered: a late duplicate */
        return;
    if (!unic_addr_equal(meta->src, q->server) || meta->sport != DNS_PORT) {
        q->res->stats.rx_wrong_source++;
        return;
    }
    if (dns_answer_matches(q, data, len, &h, &off))
        dns_answer_result(q, data, len, &h, off);
}

/* ---- Module --------------------------------------------------------------------------------- */

static void dns_resolver_print_stats(struct inet *inet, int all)
{
    stats_print("resolver", dns_resolver_stat_names, &inet->resolver->stats,
                STATS_COUNT(dns_resolver_stat_names), all);
}

/* The inet_module.stat hook: dns_resolver_stat takes a const stack, the hook does not. */
static int64_t dns_resolver_module_stat(struct inet *inet, const char *name)
{
    return dns_resolver_stat(inet, name);
}

static void dns_resolver_destroy(struct inet *inet)
{
    struct dns_resolver *r = inet->resolver;
    for (unsigned i = 0; i < DNS_RESOLVER_MAX_PENDING; i++)
        if (r->queries[i].state != DQ_FREE)
            dns_query_release(&r->queries[i]);
    inet->resolver = NULL;
    free(r);
}

static struct dns_resolver *dns_resolver_attach(struct inet *inet)
{
    if (inet->resolver)
        return inet->resolver;
    struct dns_resolver *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->inet = inet;
    for (unsigned i = 0; i < DNS_RESOLVER_MAX_PENDING; i++) {
        r->queries[i].res = r;
        timer_init(&r->queries[i].timer, dns_query_timer, &r->queries[i]);
    }
    r->module.name = "resolver";
    r->module.print_stats = dns_resolver_print_stats;
    r->module.stat = dns_resolver_module_stat;
    r->module.destroy = dns_resolver_destroy;
    inet->resolver = r;
    inet_add_module(inet, &r->module);
    return r;
}

static struct dns_query *dns_query_alloc(struct dns_resolver *r)
{
    for (unsigned i = 0; i < DNS_RESOLVER_MAX_PENDING; i++)
        if (r->queries[i].state == DQ_FREE)
            return &r->queries[i];
    r->stats.pending_full++;
    return NULL;
}

/* Answer (q) from the cache if possible: true if done (a cached "no AAAA" of a name asked
 * AAAA-then-A moves on to A). */
static bool dns_query_cached(struct dns_resolver *r, struct dns_query *q)
{
    struct dns_cache_entry *e = dns_cache_find(r, &q->qname, q->qtype);
    if (e && e->status == -ENOENT && q->then_a && q->qtype == DNS_TYPE_AAAA) {
        q->then_a = false;
        q->qtype = DNS_TYPE_A;
        e = dns_cache_find(r, &q->qname, q->qtype);
    }
    if (!e)
        return false;
    r->stats.cache_hits++;
    uint64_t left = (e->expires - inet_now(r->inet)) / NSEC_PER_SEC;
    dns_query_finish(q, e->status, e->addr, (uint32_t)left, true);
    return true;
}

/* The server to ask: the IPv4 one (--dns, DHCP) first; else the first RDNSS one of IPv6
 * routers (RFC 8106). */
static int dns_server(struct inet *inet, struct unic_addr *out)
{
    *out = unic_addr_ip4(inet->dns);
    if (!inet->dns && slaac_dns_servers(inet, out, 1) == 0)
        return -EDESTADDRREQ;
    return 0;
}

/* Ask q->qtype from the first try (a new ID): the cache, else the server. 0 or -errno. */
static int dns_query_restart(struct dns_query *q)
{
    struct dns_resolver *r = q->res;
    if (dns_query_cached(r, q))
        return 0;
    q->state = DQ_SENT;
    q->id = (uint16_t)random_u32();
    q->tries = 0;
    return dns_query_send(q);
}

int dns_resolve_type(struct inet *inet, const char *name, enum dns_want want, dns_resolve_fn cb,
                     void *arg)
{
    size_t n = strlen(name);
    struct dns_name qname;
    struct unic_addr literal;
    if (!cb || n >= DNS_TEXT_MAX || want > DNS_WANT_AAAA_A)
        return -EINVAL;
    bool is_literal = unic_addr_parse(name, &literal) == 0;
    if (!is_literal && dns_name_from_text(name, n, NULL, &qname) < 0)
        return -EINVAL;
    struct dns_resolver *r = dns_resolver_attach(inet);
    if (!r)
        return -ENOMEM;
    struct dns_query *q = dns_query_alloc(r);
    if (!q)
        return -EAGAIN;
    r->stats.queries++;
    memcpy(q->text, name, n + 1);
    q->cb = cb;
    q->arg = arg;
    if (is_literal) { /* an address of either family stands for itself */
        r->stats.literals++;
        dns_query_finish(q, 0, literal, UINT32_MAX, true);
        return 0;
    }
    dns_name_lower(&qname);
    q->qname = qname;
    q->qtype = want == DNS_WANT_A ? DNS_TYPE_A : DNS_TYPE_AAAA;
    q->then_a = want == DNS_WANT_AAAA_A;
    if (dns_query_cached(r, q))
        return 0;
    if (dns_server(inet, &q->server) < 0) {
        r->stats.no_server++;
        return -EDESTADDRREQ;
    }
    int err;
    q->sock = udp_bind(inet, 0, dns_on_answer, q, &err);
    if (!q->sock)
        return err;
    int serr = dns_query_restart(q);
    if (serr < 0)
        dns_query_release(q);
    return serr;
}

int dns_resolve(struct inet *inet, const char *name, dns_resolve_fn cb, void *arg)
{
    return dns_resolve_type(inet, name, DNS_WANT_A, cb, arg);
}

unsigned dns_cancel(struct inet *inet, dns_resolve_fn cb, void *arg)
{
    unsigned n = 0;
    if (!inet->resolver)
        return 0;
    for (unsigned i = 0; i < DNS_RESOLVER_MAX_PENDING; i++) {
        struct dns_query *q = &inet->resolver->queries[i];
        if (q->state != DQ_FREE && q->cb == cb && q->arg == arg) {
            dns_query_release(q);
            n++;
        }
    }
    inet->resolver->stats.cancelled += n;
    return n;
}

int64_t dns_resolver_stat(const struct inet *inet, const char *name)
{
    struct dns_resolver_stats none = {0};
    const struct dns_resolver_stats *st = inet->resolver ? &inet->resolver->stats : &none;
    return stats_lookup(dns_resolver_stat_names, st, STATS_COUNT(dns_resolver_stat_names), name);
}
