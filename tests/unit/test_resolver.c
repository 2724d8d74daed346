/* The stub resolver on stack B against a fake DNS server on stack A (10.0.0.1:53): answers,
 * CNAME chains, NXDOMAIN/NODATA, server failure, retries with a doubling timeout, the timeout,
 * the TTL cache (expiry, negative entries, bound, eviction), forged answers, limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "unic/dns_resolver.h"
#include "unic/udp.h"
#include "unic/wire/dns.h"
#include "unic/wire/wire.h"

#define SERVER 0x0a000001u
#define HOST_ADDR 0x0a010203u
#define SEC NSEC_PER_SEC
#define MS NSEC_PER_MSEC

/* ---- fake server ---- */

struct query_seen {
    uint64_t at;
    uint16_t id, sport, qtype;
    char name[DNS_MAX_NAME_TEXT];
};

struct server {
    struct udp_sock *sock;
    unsigned drop; /* queries to ignore */
    bool silent, forge_first;
    struct query_seen seen[256];
    unsigned n;
};

struct fixture {
    struct harness h;
    struct server s;
};
static struct fixture *cur;

static struct dns_name name_of(const char *text)
{
    struct dns_name n;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, &n), WIRE_OK);
    return n;
}

static void emit_a(struct dns_emitter *e, const struct dns_name *owner, uint32_t addr, uint32_t ttl)
{
    struct dns_rr rr = {.name = *owner, .type = DNS_TYPE_A, .class_ = DNS_CLASS_IN, .ttl = ttl};
    rr.u.a[0] = (uint8_t)(addr >> 24), rr.u.a[1] = (uint8_t)(addr >> 16);
    rr.u.a[2] = (uint8_t)(addr >> 8), rr.u.a[3] = (uint8_t)addr;
    assert_true(dns_emit_rr(e, &rr) >= 0);
}

static void emit_soa(struct dns_emitter *e, uint32_t ttl, uint32_t minimum)
{
    struct dns_rr rr = {
        .name = name_of("example."), .type = DNS_TYPE_SOA, .class_ = DNS_CLASS_IN, .ttl = ttl};
    rr.u.soa.mname = name_of("ns.example.");
    rr.u.soa.rname = name_of("admin.example.");
    rr.u.soa.serial = 1, rr.u.soa.refresh = 3600, rr.u.soa.retry = 600;
    rr.u.soa.expire = 86400, rr.u.soa.minimum = minimum;
    assert_true(dns_emit_rr(e, &rr) >= 0);
}

static const uint8_t host6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42};

/* The AAAA side of the zone: v6.example. and dual.example. have one (dual.example. an A too);
 * every other existing name is NODATA, with the SOA. */
static unsigned answer_aaaa(struct dns_emitter *e, const struct dns_question *q, const char *name,
                            struct dns_hdr *h)
{
    if (!strcmp(name, "v6.example.") || !strcmp(name, "dual.example.")) {
        struct dns_rr rr = {
            .name = q->name, .type = DNS_TYPE_AAAA, .class_ = DNS_CLASS_IN, .ttl = 90};
        memcpy(rr.u.aaaa, host6, 16);
        assert_true(dns_emit_rr(e, &rr) >= 0);
        h->ancount = 1;
        return DNS_RCODE_NOERROR;
    }
    if (!strcmp(name, "missing.example.")) {
        emit_soa(e, 3600, 120);
        h->nscount = 1;
        return DNS_RCODE_NXDOMAIN;
    }
    emit_soa(e, 3600, 45);
    h->nscount = 1;
    return DNS_RCODE_NOERROR;
}

/* The zone: fills the answer (and authority) for (name); returns the rcode. */
static unsigned answer(struct dns_emitter *e, const struct dns_question *q, const char *name,
                       struct dns_hdr *h)
{
    if (q->type == DNS_TYPE_AAAA)
        return answer_aaaa(e, q, name, h);
    if (!strcmp(name, "v6.example.")) { /* AAAA only */
        emit_soa(e, 3600, 45);
        h->nscount = 1;
    } else if (!strcmp(name, "host.example.") || !strcmp(name, "dual.example.")) {
        emit_a(e, &q->name, HOST_ADDR, 60);
        h->ancount = 1;
    } else if (!strcmp(name, "alias.example.")) {
        struct dns_rr rr = {
            .name = q->name, .type = DNS_TYPE_CNAME, .class_ = DNS_CLASS_IN, .ttl = 30};
        rr.u.target = name_of("host.example.");
        assert_true(dns_emit_rr(e, &rr) >= 0);
        emit_a(e, &rr.u.target, HOST_ADDR, 60);
        h->ancount = 2;
    } else if (!strcmp(name, "zero.example.")) {
        emit_a(e, &q->name, HOST_ADDR, 0);
        h->ancount = 1;
    } else if (!strcmp(name, "nodata.example.")) {
        emit_soa(e, 3600, 30);
        h->nscount = 1;
    } else if (!strcmp(name, "fail.example.")) {
        return DNS_RCODE_SERVFAIL;
    } else if (!strncmp(name, "h", 1) && strstr(name, ".example.")) { /* hN: TTL 100 + N */
        unsigned i = (unsigned)atoi(name + 1);
        emit_a(e, &q->name, 0x0a000000u + i, 100 + i);
        h->ancount = 1;
    } else {
        emit_soa(e, 3600, 120);
        h->nscount = 1;
        return DNS_RCODE_NXDOMAIN;
    }
    return DNS_RCODE_NOERROR;
}

static void server_reply(struct server *s, const struct udp_meta *meta, const struct dns_hdr *qh,
                         const struct dns_question *q, const char *name)
{
    uint8_t buf[512];
    struct dns_emitter e;
    dns_emit_init(&e, buf, sizeof(buf));
    assert_true(dns_emit_question(&e, q) >= 0);
    struct dns_hdr h = {
        .id = qh->id, .flags = DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, .qdcount = 1};
    h.flags |= (uint16_t)answer(&e, q, name, &h);
    if (s->forge_first) { /* a wrong ID, then the right one from a wrong port */
        s->forge_first = false;
        struct dns_hdr bad = h;
        bad.id ^= 0x5555;
        dns_hdr_emit(buf, sizeof(buf), &bad);
        udp_sendto(s->sock, meta->src, meta->sport, buf, e.len);
        dns_hdr_emit(buf, sizeof(buf), &h);
        struct udp_sock *other = udp_bind(udp_sock_inet(s->sock), 5353, NULL, NULL, NULL);
        udp_sendto(other, meta->src, meta->sport, buf, e.len);
        udp_close(other);
    }
    dns_hdr_emit(buf, sizeof(buf), &h);
    assert_int_equal(udp_sendto(s->sock, meta->src, meta->sport, buf, e.len), 0);
}

static void server_recv(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                        size_t len)
{
    struct server *s = udp_sock_user(sock);
    struct dns_hdr h;
    struct dns_question q;
    size_t off;
    assert_int_equal(dns_hdr_parse(data, len, &h), WIRE_OK);
    assert_int_equal(h.qdcount, 1);
    assert_true(h.flags & DNS_FLAG_RD);
    assert_int_equal(dns_question_parse(data, len, DNS_HDR_LEN, &q, &off), WIRE_OK);
    assert_true(q.type == DNS_TYPE_A || q.type == DNS_TYPE_AAAA);
    assert_true(s->n < 256);
    struct query_seen *seen = &s->seen[s->n++];
    seen->qtype = q.type;
    seen->at = cur->h.timers.now;
    seen->id = h.id;
    seen->sport = meta->sport;
    assert_true(dns_name_to_text(&q.name, seen->name, sizeof(seen->name)) > 0);
    if (s->silent)
        return;
    if (s->drop) {
        s->drop--;
        return;
    }
    server_reply(s, meta, &h, &q, seen->name);
}

/* ---- client side ---- */

struct result {
    unsigned calls;
    int status;
    struct unic_addr addr6; /* the address as given */
    uint32_t addr, ttl;
    uint64_t at;
    char name[300];
    bool resolve_again; /* the callback starts another resolution */
};

static void on_result(struct inet *inet, const char *name, int status, struct unic_addr addr,
                      uint32_t ttl, void *arg)
{
    struct result *r = arg;
    r->calls++;
    r->status = status;
    r->addr6 = addr;
    r->addr = unic_addr_to_ip4(addr);
    r->ttl = ttl;
    r->at = cur->h.timers.now;
    snprintf(r->name, sizeof(r->name), "%s", name);
    if (r->resolve_again) {
        r->resolve_again = false;
        assert_int_equal(dns_resolve(inet, "alias.example", on_result, r), 0);
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    harness_init(&f->h, NULL);
    harness_run(&f->h, MS); /* gratuitous ARPs */
    f->s.sock = udp_bind(harness_a(&f->h), DNS_PORT, server_recv, &f->s, NULL);
    assert_non_null(f->s.sock);
    harness_b(&f->h)->dns = SERVER;
    cur = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(harness_destroy(&f->h), 0);
    free(f);
    cur = NULL;
    return 0;
}

static bool got_result(void *arg)
{
    return ((struct result *)arg)->calls > 0;
}

/* Resolve (name) on B and run until the callback came (at most 30 s). */
static void resolve(struct fixture *f, const char *name, struct result *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(dns_resolve(harness_b(&f->h), name, on_result, r), 0);
    assert_int_equal(r->calls, 0); /* never called from inside dns_resolve */
    assert_true(harness_run_until(&f->h, got_result, r, 30 * SEC));
}

static void test_resolves_a_record(void **state)
{
    struct fixture *f = *state;
    struct result r;
    resolve(f, "host.example", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.addr, HOST_ADDR);
    assert_int_equal(r.ttl, 60);
    assert_string_equal(r.name, "host.example");
    assert_int_equal(f->s.n, 1);
    assert_true(f->s.seen[0].sport >= 49152);
    harness_run(&f->h, SEC);
    assert_int_equal(r.calls, 1);                          /* exactly once */
    assert_int_equal(udp_sock_count(harness_b(&f->h)), 0); /* the query's socket is closed */
}

/* Resolve (name) for (want) on B and run until the callback came. */
static void resolve_want(struct fixture *f, const char *name, enum dns_want want, struct result *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(dns_resolve_type(harness_b(&f->h), name, want, on_result, r), 0);
    assert_int_equal(r->calls, 0);
    assert_true(harness_run_until(&f->h, got_result, r, 30 * SEC));
}

/* AAAA asked alone; AAAA then A; each type cached on its own; A-only names over AAAA. */
static void test_resolves_aaaa(void **state)
{
    struct fixture *f = *state;
    struct result r;
    resolve_want(f, "v6.example", DNS_WANT_AAAA, &r);
    assert_int_equal(r.status, 0);
    assert_memory_equal(r.addr6.bytes, host6, 16);
    assert_int_equal(r.ttl, 90);
    assert_int_equal(f->s.n, 1);
    assert_int_equal(f->s.seen[0].qtype, DNS_TYPE_AAAA);
    resolve(f, "v6.example", &r); /* A: NODATA, not answered from the AAAA entry */
    assert_int_equal(r.status, -ENOENT);
    assert_int_equal(f->s.n, 2);
    assert_int_equal(f->s.seen[1].qtype, DNS_TYPE_A);
    resolve_want(f, "host.example", DNS_WANT_AAAA, &r); /* A only */
    assert_int_equal(r.status, -ENOENT);
    assert_int_equal(f->s.n, 3);

    resolve_want(f, "dual.example", DNS_WANT_AAAA_A, &r); /* AAAA wins: one query */
    assert_int_equal(r.status, 0);
    assert_memory_equal(r.addr6.bytes, host6, 16);
    assert_int_equal(f->s.n, 4);
    resolve_want(f, "host.example", DNS_WANT_AAAA_A, &r); /* cached no-AAAA, then A asked */
    assert_int_equal(r.status, 0);
    assert_int_equal(r.addr, HOST_ADDR);
    assert_int_equal(f->s.n, 5);
    assert_int_equal(f->s.seen[4].qtype, DNS_TYPE_A);
    resolve_want(f, "h7.example", DNS_WANT_AAAA_A, &r); /* NODATA for AAAA, then A */
    assert_int_equal(r.status, 0);
    assert_int_equal(r.addr, 0x0a000007u);
    assert_int_equal(f->s.n, 7);
    assert_int_equal(f->s.seen[5].qtype, DNS_TYPE_AAAA);
    assert_int_equal(f->s.seen[6].qtype, DNS_TYPE_A);
    assert_int_not_equal(f->s.seen[5].id, f->s.seen[6].id);
    resolve_want(f, "h7.example", DNS_WANT_AAAA_A, &r); /* both from the cache */
    assert_int_equal(r.status, 0);
    assert_int_equal(f->s.n, 7);
    resolve_want(f, "missing.example", DNS_WANT_AAAA_A, &r); /* NXDOMAIN: no A asked */
    assert_int_equal(r.status, -ENOENT);
    assert_int_equal(f->s.n, 8);
    resolve_want(f, "fd00::7", DNS_WANT_A, &r); /* a literal of either family */
    assert_int_equal(r.status, 0);
    assert_false(unic_addr_is_ip4(r.addr6));
    assert_int_equal(f->s.n, 8);
    assert_int_equal(
        dns_resolve_type(harness_b(&f->h), "x.example", (enum dns_want)7, on_result, &r), -EINVAL);
    harness_run(&f->h, SEC);
    assert_int_equal(udp_sock_count(harness_b(&f->h)), 0);
}

static void test_cache_serves_until_ttl(void **state)
{
    struct fixture *f = *state;
    struct result r;
    resolve(f, "host.example.", &r);
    harness_run(&f->h, 20 * SEC);
    resolve(f, "HOST.Example", &r); /* case-insensitive */
    assert_int_equal(f->s.n, 1);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.addr, HOST_ADDR);
    assert_in_range(r.ttl, 39, 40);
    assert_int_equal(dns_resolver_stat(harness_b(&f->h), "cache_hits"), 1);
    harness_run(&f->h, 41 * SEC); /* past the 60 s TTL */
    resolve(f, "host.example", &r);
    assert_int_equal(f->s.n, 2);
    assert_int_equal(r.ttl, 60);
}

static void test_cache_flush_asks_again(void **state)
{
    struct fixture *f = *state;
    struct result r;
    dns_cache_flush(harness_b(&f->h)); /* before the resolver is attached: nothing to do */
    resolve(f, "host.example", &r);
    resolve(f, "host.example", &r);
    assert_int_equal(f->s.n, 1); /* the cache answered */
    dns_cache_flush(harness_b(&f->h));
    resolve(f, "host.example", &r);
    assert_int_equal(f->s.n, 2);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.addr, HOST_ADDR);
    assert_int_equal(r.ttl, 60);
}

static void test_retries_with_doubling_timeout(void **state)
{
    struct fixture *f = *state;
    struct result r;
    f->s.drop = 2;
    uint64_t t0 = f->h.timers.now;
    resolve(f, "host.example", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(f->s.n, 3);
    /* (the first one also waited for ARP: 0.2 ms) */
    assert_in_range(f->s.seen[1].at - f->s.seen[0].at, 1 * SEC - MS, 1 * SEC + MS);
    assert_in_range(f->s.seen[2].at - f->s.seen[1].at, 2 * SEC, 2 * SEC + MS);
    assert_int_equal(f->s.seen[1].id, f->s.seen[0].id);
    assert_int_equal(f->s.seen[1].sport, f->s.seen[0].sport);
    assert_in_range(r.at - t0, 3 * SEC, 3 * SEC + 2 * MS);
    assert_int_equal(dns_resolver_stat(harness_b(&f->h), "retransmits"), 2);
}

static void test_times_out(void **state)
{
    struct fixture *f = *state;
    struct result r;
    f->s.silent = true;
    uint64_t t0 = f->h.timers.now;
    resolve(f, "host.example", &r);
    assert_int_equal(r.status, -ETIMEDOUT);
    assert_int_equal(f->s.n, DNS_RESOLVER_TRIES);
    assert_in_range(r.at - t0, 7 * SEC, 7 * SEC + MS); /* 1 + 2 + 4 s */
    assert_int_equal(dns_resolver_stat(harness_b(&f->h), "timeouts"), 1);
    f->s.silent = false;
    resolve(f, "host.example", &r); /* a timeout is not cached */
    assert_int_equal(r.status, 0);
    assert_int_equal(udp_sock_count(harness_b(&f->h)), 0);
}

static void test_nxdomain_cached_for_soa_minimum(void **state)
{
    struct fixture *f = *state;
    struct result r;
    resolve(f, "missing.example", &r);
    assert_int_equal(r.status, -ENOENT);
    assert_int_equal(r.ttl, 120);
    harness_run(&f->h, 100 * SEC);
    resolve(f, "missing.example", &r);
    assert_int_equal(r.status, -ENOENT);
    assert_int_equal(f->s.n, 1);
    harness_run(&f->h, 21 * SEC);
    resolve(f, "missing.example", &r);
    assert_int_equal(f->s.n, 2);
    assert_int_equal(dns_resolver_stat(harness_b(&f->h), "nxdomain"), 2);
}

static void test_nodata_servfail_cname_zero_ttl(void **state)
{
    struct fixture *f = *state;
    struct result r;
    resolve(f, "nodata.example", &r);
    assert_int_equal(r.status, -ENOENT);
    assert_int_equal(r.ttl, 30);
    resolve(f, "fail.example", &r);
    assert_int_equal(r.status, -EIO);
    resolve(f, "fail.example", &r); /* not cached */
    assert_int_equal(f->s.n, 3);
    resolve(f, "alias.example", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.addr, HOST_ADDR);
    assert_int_equal(r.ttl, 30); /* the smallest TTL along the chain */
    resolve(f, "zero.example", &r);
    assert_int_equal(r.status, 0);
    resolve(f, "zero.example", &r); /* TTL 0: not cached */
    assert_int_equal(f->s.n, 6);
    assert_int_equal(dns_resolver_stat(harness_b(&f->h), "server_failures"), 2);
}

static void test_forged_answers_ignored(void **state)
{
    struct fixture *f = *state;
    struct result r;
    f->s.forge_first = true;
    resolve(f, "host.example", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.addr, HOST_ADDR);
    assert_int_equal(dns_resolver_stat(harness_b(&f->h), "rx_wrong_id"), 1);
    assert_int_equal(dns_resolver_stat(harness_b(&f->h), "rx_wrong_source"), 1);
    assert_int_equal(dns_resolver_stat(harness_b(&f->h), "answers"), 1);
}

static void test_ids_and_ports_random(void **state)
{
    struct fixture *f = *state;
    struct result r[20];
    char name[32];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "h%d.example", i);
        memset(&r[i], 0, sizeof(r[i]));
        assert_int_equal(dns_resolve(harness_b(&f->h), name, on_result, &r[i]), 0);
    }
    /* ARP holds 8 packets while it resolves the server: the others go out on the retry. */
    harness_run(&f->h, 2 * SEC);
    assert_int_equal(f->s.n, 20);
    unsigned same_id = 0, same_port = 0;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_int_equal(r[i].addr, 0x0a000000u + (uint32_t)atoi(r[i].name + 1));
        for (int j = 0; j < i; j++) {
            same_id += f->s.seen[i].id == f->s.seen[j].id;
            same_port += f->s.seen[i].sport == f->s.seen[j].sport;
        }
    }
    assert_true(same_id <= 1);      /* 190 pairs of 16-bit IDs: a collision is possible, rare */
    assert_int_equal(same_port, 0); /* all in flight at once: distinct */
}

static void test_cache_bounded_evicts_soonest_expiry(void **state)
{
    struct fixture *f = *state;
    struct result r;
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "h%d.example", i);
        resolve(f, name, &r);
        assert_int_equal(r.addr, 0x0a000000u + (uint32_t)i);
    }
    assert_int_equal(dns_resolver_stat(harness_b(&f->h), "cache_evictions"), 100 - DNS_CACHE_SIZE);
    unsigned before = f->s.n;
    resolve(f, "h99.example", &r); /* longest TTL: kept */
    assert_int_equal(f->s.n, before);
    resolve(f, "h0.example", &r); /* shortest TTL: evicted */
    assert_int_equal(f->s.n, before + 1);
}

static void test_limits_and_cancel(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    struct result r = {0};
    char name[32];
    f->s.silent = true;
    for (int i = 0; i < DNS_RESOLVER_MAX_PENDING; i++) {
        snprintf(name, sizeof(name), "h%d.example", i);
        assert_int_equal(dns_resolve(b, name, on_result, &r), 0);
    }
    assert_int_equal(dns_resolve(b, "one.more", on_result, &r), -EAGAIN);
    assert_int_equal(udp_sock_count(b), DNS_RESOLVER_MAX_PENDING);
    assert_int_equal(dns_cancel(b, on_result, &r), DNS_RESOLVER_MAX_PENDING);
    assert_int_equal(udp_sock_count(b), 0);
    harness_run(&f->h, 10 * SEC);
    assert_int_equal(r.calls, 0);
    assert_int_equal(dns_resolve(b, "bad..name", on_result, &r), -EINVAL);
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    assert_int_equal(dns_resolve(b, longname, on_result, &r), -EINVAL);
    b->dns = 0;
    assert_int_equal(dns_resolve(b, "host.example", on_result, &r), -EDESTADDRREQ);
}

static void test_literal_and_reentrant_callback(void **state)
{
    struct fixture *f = *state;
    struct result r;
    harness_b(&f->h)->dns = 0; /* a literal needs no server */
    resolve(f, "10.9.8.7", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.addr, 0x0a090807u);
    harness_b(&f->h)->dns = SERVER;
    memset(&r, 0, sizeof(r));
    r.resolve_again = true;
    assert_int_equal(dns_resolve(harness_b(&f->h), "host.example", on_result, &r), 0);
    harness_run(&f->h, SEC);
    assert_int_equal(r.calls, 2);
    assert_string_equal(r.name, "alias.example");
}

static void test_destroy_with_pending_queries(void **state)
{
    struct fixture *f = *state;
    struct result r = {0};
    f->s.silent = true;
    assert_int_equal(dns_resolve(harness_b(&f->h), "host.example", on_result, &r), 0);
    assert_int_equal(dns_resolve(harness_b(&f->h), "10.0.0.9", on_result, &r), 0);
    harness_run(&f->h, 10 * MS);
    assert_int_equal(r.calls, 1); /* the literal */
    /* teardown destroys the stack with one query pending: no callback, no leak */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolves_a_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolves_aaaa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_serves_until_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_flush_asks_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_with_doubling_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nxdomain_cached_for_soa_minimum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nodata_servfail_cname_zero_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_answers_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_and_ports_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_bounded_evicts_soonest_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_literal_and_reentrant_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_with_pending_queries, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
