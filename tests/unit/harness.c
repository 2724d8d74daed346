/* The two-stack virtual wire of the unit tests (see harness.h). */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_platform.h"
#include "unic/log.h"
#include "unic/platform.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/eth.h"
#include "unic/wire/tcp.h"
#include "unic/wire/vnet_hdr.h"
#include "unic/wire/wire.h"

#define HARNESS_ADDR_A 0x0a000001u
#define HARNESS_ADDR_B 0x0a000002u

/* Context of one side's link_output: which harness, which side. */
struct harness_link {
    struct harness *h;
    enum harness_side side;
};

static void wire_enqueue(struct harness *h, enum harness_side to, struct netbuf *nb)
{
    struct harness_frame *f = malloc(sizeof(*f));
    if (!f) {
        netbuf_free(nb);
        return;
    }
    f->nb = nb;
    f->due = h->timers.now + h->latency_ns;
    f->to = to;
    f->next = NULL;
    if (h->wire_tail)
        h->wire_tail->next = f;
    else
        h->wire_head = f;
    h->wire_tail = f;
}

/* After the fault injector of the sending side. */
static void wire_after_faults(void *ctx, struct netbuf *nb)
{
    struct harness_link *l = ctx;
    struct harness *h = l->h;
    if (h->tap && !h->tap(h, l->side, nb)) {
        netbuf_free(nb);
        return;
    }
    h->frames_sent[l->side]++;
    wire_enqueue(h, l->side == SIDE_A ? SIDE_B : SIDE_A, nb);
}

/* Check a TCP super-packet as a NIC would take it: its headers, segments that fit the MTU,
 * and a partial checksum that, completed, verifies (the NIC completes it per segment). */
static bool tso_is_ip6(const uint8_t *f)
{
    return rd16(f + 12) == ETH_TYPE_IP6;
}

/* The TCP pseudo-header sum of the (tcp_len)-byte segment of frame (f), either family. */
static uint32_t tso_pseudo(const uint8_t *f, size_t tcp_len)
{
    const uint8_t *ip = f + ETH_HDR_LEN;
    if (tso_is_ip6(f))
        return csum_pseudo_ip6(ip + 8, ip + 24, IP4_PROTO_TCP, (uint32_t)tcp_len);
    return csum_pseudo_ip4(rd32(ip + 12), rd32(ip + 16), IP4_PROTO_TCP, (uint16_t)tcp_len);
}

static bool tso_frame_ok(const struct inet *inet, uint8_t *f, size_t len, size_t l4, size_t hdrs,
                         uint16_t mss)
{
    uint8_t type = tso_is_ip6(f) ? VNET_HDR_GSO_TCPV6 : VNET_HDR_GSO_TCPV4;
    struct vnet_hdr vh = {.flags = VNET_HDR_F_NEEDS_CSUM,
                          .gso_type = type,
                          .hdr_len = (uint16_t)hdrs,
                          .gso_size = mss,
                          .csum_start = (uint16_t)l4,
                          .csum_offset = 16};
    if (len <= hdrs || hdrs - ETH_HDR_LEN + mss > inet->mtu || len - ETH_HDR_LEN > inet->tso_max)
        return false;
    if (vnet_hdr_check(&vh, len, VNET_HDR_GSO_BIT(type)) != WIRE_OK)
        return false;
    uint8_t *copy = malloc(len); /* completing in place would leave a full checksum behind */
    if (!copy)
        return false;
    memcpy(copy, f, len);
    bool ok = vnet_hdr_complete_csum(copy, len, &vh) == WIRE_OK &&
              tcp_checksum_ok_sum(copy + l4, len - l4, tso_pseudo(f, len - l4));
    free(copy);
    return ok;
}

/* One wire segment of the super-packet (f): payload [off, off + n), the (index)th. */
static struct netbuf *tso_cut(struct harness *h, const uint8_t *f, size_t l4, size_t hdrs,
                              size_t off, size_t n, unsigned index, bool last)
{
    struct netbuf *seg = netbuf_alloc_size(&h->pool, hdrs + n);
    if (!seg)
        return NULL;
    uint8_t *p = netbuf_put(seg, hdrs + n);
    memcpy(p, f, hdrs);
    memcpy(p + hdrs, f + hdrs + off, n);
    uint8_t *ip = p + ETH_HDR_LEN, *th = p + l4;
    if (tso_is_ip6(p)) {
        wr16(ip + 4, (uint16_t)(hdrs - l4 + n)); /* payload length; no ID, no header sum */
    } else {
        wr16(ip + 2, (uint16_t)(hdrs - ETH_HDR_LEN + n));
        wr16(ip + 4, (uint16_t)(rd16(ip + 4) + index));
        wr16(ip + 10, 0);
        wr16(ip + 10, ip_checksum(ip, l4 - ETH_HDR_LEN));
    }
    wr32(th + 4, rd32(th + 4) + (uint32_t)off);
    if (!last)
        th[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
    tcp_set_checksum_sum(th, hdrs - l4 + n, tso_pseudo(p, hdrs - l4 + n));
    return seg;
}

/* The TSO link: cut (nb) into segments of nb->tso_mss payload bytes, each then on the wire.
 * Not inlined: bench_stack counts the plain path's instructions through this link. */
__attribute__((noinline)) static void tso_output(struct harness_link *l, struct netbuf *nb)
{
    struct harness *h = l->h;
    uint8_t *f = nb->data;
    size_t l4 = ETH_HDR_LEN + (tso_is_ip6(f) ? 40 : (size_t)(f[ETH_HDR_LEN] & 0x0f) * 4);
    size_t hdrs = l4 + (size_t)(f[l4 + 12] >> 4) * 4;
    uint16_t mss = nb->tso_mss;
    if (!tso_frame_ok(&h->stack[l->side], f, nb->len, l4, hdrs, mss)) {
        h->tso_bad[l->side]++;
        netbuf_free(nb);
        return;
    }
    h->tso_frames[l->side]++;
    size_t payload = nb->len - hdrs;
    if (payload > h->tso_payload_max[l->side])
        h->tso_payload_max[l->side] = payload;
    unsigned index = 0;
    for (size_t off = 0; off < payload; off += mss, index++) {
        size_t n = payload - off < mss ? payload - off : mss;
        struct netbuf *seg = tso_cut(h, f, l4, hdrs, off, n, index, off + n == payload);
        if (!seg) {
            h->tso_bad[l->side]++;
            continue; /* lost, as on a NIC out of descriptors */
        }
        h->tso_segments[l->side]++;
        fault_process(&h->fault[l->side], FAULT_TX, seg);
    }
    netbuf_free(nb);
}

static int harness_link_output(void *ctx, struct netbuf *nb)
{
    struct harness_link *l = ctx;
    if (l->h->refuse && l->h->refuse(l->h, l->side, nb)) {
        l->h->refused[l->side]++;
        netbuf_free(nb);
        return -ENOBUFS;
    }
    if (nb->tso_mss)
        tso_output(l, nb);
    else
        fault_process(&l->h->fault[l->side], FAULT_TX, nb);
    return 0;
}

void harness_init(struct harness *h, const struct harness_opts *opts)
{
    static const struct harness_opts defaults;
    if (!opts)
        opts = &defaults;
    memset(h, 0, sizeof(*h));
    fake_console_quiet(getenv("UNIC_TEST_VERBOSE") == NULL);
    timer_queue_init(&h->timers, plat_clock_monotonic());
    if (netbuf_pool_init(&h->pool, opts->pool_buffers ? opts->pool_buffers : 4096, 8u << 20) < 0)
        abort();
    h->latency_ns = opts->latency_ns ? opts->latency_ns : 100 * NSEC_PER_USEC;
    uint8_t prefix = opts->prefix_len ? opts->prefix_len : 24;
    uint32_t addr[2] = {opts->addr_a ? opts->addr_a : HARNESS_ADDR_A,
                        opts->addr_b ? opts->addr_b : HARNESS_ADDR_B};
    for (int s = 0; s < 2; s++) {
        struct harness_link *l = malloc(sizeof(*l));
        if (!l)
            abort();
        l->h = h;
        l->side = (enum harness_side)s;
        struct inet_config ic = {.mtu = opts->mtu ? opts->mtu : 1500, .prefix_len = prefix};
        memcpy(ic.mac, (uint8_t[6]){0x02, 0, 0, 0, 0, (uint8_t)(s + 1)}, 6);
        if (!(s == SIDE_B && opts->unconfigured_b))
            ic.addr = addr[s];
        fault_init(&h->fault[s], &opts->fault[s], &h->pool, &h->timers);
        fault_set_output(&h->fault[s], FAULT_TX, wire_after_faults, l);
        if (inet_init(&h->stack[s], &ic, &h->pool, &h->timers, harness_link_output, l) < 0)
            abort();
        h->stack[s].tso_max = opts->tso_max[s];
    }
}

size_t harness_destroy(struct harness *h)
{
    while (h->wire_head) {
        struct harness_frame *f = h->wire_head;
        h->wire_head = f->next;
        netbuf_free(f->nb);
        free(f);
    }
    h->wire_tail = NULL;
    for (int s = 0; s < 2; s++) {
        void *link = h->stack[s].link_ctx;
        fault_destroy(&h->fault[s]);
        inet_destroy(&h->stack[s]);
        free(link);
    }
    size_t leaked = h->pool.in_use;
    netbuf_pool_destroy(&h->pool);
    return leaked;
}

unsigned harness_in_flight(const struct harness *h)
{
    unsigned n = 0;
    for (const struct harness_frame *f = h->wire_head; f; f = f->next)
        n++;
    return n;
}

static void flush_modules(struct harness *h)
{
    for (int s = 0; s < 2; s++)
        for (struct inet_module *m = h->stack[s].modules; m; m = m->next)
            if (m->flush)
                m->flush(&h->stack[s]);
}

/* Deliver every frame due by now; true if any was delivered. */
static bool deliver_due(struct harness *h)
{
    bool any = false;
    while (h->wire_head && h->wire_head->due <= h->timers.now) {
        struct harness_frame *f = h->wire_head;
        h->wire_head = f->next;
        if (!h->wire_head)
            h->wire_tail = NULL;
        h->frames_delivered[f->to]++;
        inet_input(&h->stack[f->to], f->nb);
        free(f);
        any = true;
    }
    return any;
}

static void advance_to(struct harness *h, uint64_t t)
{
    fake_clock_set(t);
    timer_queue_run(&h->timers, t);
}

bool harness_run_until(struct harness *h, bool (*done)(void *arg), void *arg, uint64_t max_ns)
{
    uint64_t end = h->timers.now + max_ns;
    for (;;) {
        advance_to(h, h->timers.now);
        while (deliver_due(h))
            flush_modules(h);
        flush_modules(h);
        if (done && done(arg))
            return true;
        uint64_t next = timer_queue_next(&h->timers);
        if (h->wire_head && h->wire_head->due < next)
            next = h->wire_head->due;
        if (next > end) {
            advance_to(h, end);
            return done ? done(arg) : false;
        }
        advance_to(h, next);
    }
}

void harness_run(struct harness *h, uint64_t duration_ns)
{
    harness_run_until(h, NULL, NULL, duration_ns);
}

void harness_inject(struct harness *h, enum harness_side to, const void *frame, size_t len)
{
    struct netbuf *nb = netbuf_alloc_size(&h->pool, len);
    if (!nb)
        return;
    memcpy(netbuf_put(nb, len), frame, len);
    wire_enqueue(h, to, nb);
}
