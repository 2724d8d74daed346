/*
 * The event loop and the OS entry point shared by every platform.
 *
 * unic_main: set up pool, timers, the stack on NIC 0 (through the fault injector), call
 * service_start(), then loop:
 *   retry the transmit backlog -> run due timers -> plat_wait(next deadline) -> retry the
 *   backlog -> drain each ready NIC into the stack (bounded batch; before the timers due
 *   meanwhile) -> module flush hooks -> again.
 * No periodic tick: when nothing is armed, plat_wait() gets no deadline and the process sleeps.
 * After a full batch the NIC is read again without sleeping; a flood that never lets the NIC run
 * dry still gets a non-blocking plat_wait() every few batches (loop_consult_platform), so a
 * signal stops the service within a few batches.
 *
 * Transmit backlog: when the device queue is full (plat_net_send -EAGAIN: the virtio ring during
 * a burst, a TAP whose socket buffer is full), frames wait in a bounded FIFO instead of being
 * dropped, and every later frame goes behind them, so the wire sees the order the stack sent.
 * The platform wakes plat_wait() once the device takes frames again. Past LOOP_TX_BACKLOG
 * frames the newest is dropped (tx_backlog_drops): TCP retransmits it, like a loss on the wire.
 *
 * Large frames: a NIC with receive offloads (plat_net_info.rx_max_frame beyond a pool buffer:
 * the hosted TAP hands up TCP super-packets of up to 64 KB) is offered a pool buffer and a spare
 * buffer of that size from the pool's large budget (plat_net_rx): a small frame lands in the
 * pool buffer and the spare is kept; a large one goes up in the spare (rx_large), and the next
 * read takes a new one. Without a spare (large budget exhausted) frames are read into pool
 * buffers and the device drops those that do not fit (rx_too_long). A frame the NIC vouches
 * for (PLAT_NET_RX_CSUM_OK) goes up with netbuf.csum_ok: TCP and UDP skip their checksum.
 */
#include <errno.h>
#include <string.h>

#include "unic.h"
#include "unic/dhcp.h"
#include "unic/fault.h"
#include "unic/inet_internal.h"
#include "unic/platform.h"
#include "unic/wire/bytes.h"
#include "unic/wire/eth.h"

#define LOOP_POOL_BUFFERS 2048 /* 3.4 MiB of frames: the packet pool with memory to spare */
#define LOOP_POOL_MIN 256      /* twice the transmit backlog, with room to receive */
#define LOOP_LARGE_BUDGET (4u << 20)
#define LOOP_RX_BATCH 128
#define LOOP_TX_BACKLOG 128 /* frames; about two virtio rings' worth, 1/16 of the pool */
/* Under sustained receive the platform is still asked (without sleeping) after this many full
 * batches, or after one batch once this much time has passed since it was last asked. */
#define LOOP_CONSULT_BATCHES 4
#define LOOP_CONSULT_NS (10 * 1000000ull)

/* clang-format does not settle on one layout for X-macro lists. */
/* clang-format off */
#define LOOP_STATS(X)                                                                              \
    X(iterations) X(waits) X(polls)                                                                \
    X(rx_frames) X(rx_large) X(rx_no_buffer) X(rx_too_long) X(rx_bad_offload) X(rx_errors)         \
    X(tx_frames) X(tx_tso_frames) X(tx_errors) X(tx_too_long)                                      \
    X(tx_backlogged) X(tx_backlog_drops) X(tx_backlog_peak)
/* clang-format on */
struct loop_stats {
    LOOP_STATS(STATS_FIELD)
};
static const char *const loop_stat_names[] = {LOOP_STATS(STATS_NAME)};

struct unic_os {
    struct unic_config *cfg;
    struct timer_queue timers;
    struct netbuf_pool pool;
    struct inet inet;
    struct fault_injector fault;
    unsigned nic;
    size_t rx_max_frame;     /* 0: every frame fits a pool buffer                 */
    struct netbuf *rx_spare; /* large-frame NICs: the buffer the next frame goes in */
    struct netbuf *tx_backlog[LOOP_TX_BACKLOG]; /* FIFO of frames the device refused */
    unsigned tx_backlog_head, tx_backlog_len;
    unsigned full_batches; /* full receive batches since the platform was last asked */
    uint64_t last_consult; /* when it was last asked (plat_wait returned)            */
    bool stop;
    int status;
    struct loop_stats stats;
    struct timer stats_timer; /* --stats-interval */
};

static struct unic_os os;

struct inet *unic_inet(void)
{
    return &os.inet;
}

struct timer_queue *unic_timers(void)
{
    return &os.timers;
}

uint64_t unic_now(void)
{
    return os.timers.now;
}

const struct unic_config *unic_config(void)
{
    return os.cfg;
}

const struct option_set *unic_options(void)
{
    return &os.cfg->service;
}

void unic_shutdown(int status)
{
    os.stop = true;
    os.status = status;
}

/* Describe the TCP super-packet (nb) for the NIC: where its headers and checksum are. The
 * stack built the frame (Ethernet, IPv4 or IPv6 without extension headers, TCP), so its header
 * lengths are trusted. */
static void loop_tso_describe(const struct netbuf *nb, struct plat_net_tso *tso)
{
    const uint8_t *ip = nb->data + ETH_HDR_LEN;
    tso->ip6 = rd16(nb->data + 12) == ETH_TYPE_IP6;
    uint16_t l4 = (uint16_t)(ETH_HDR_LEN + (tso->ip6 ? IP6_HDR_LEN : (ip[0] & 0x0f) * 4));
    tso->gso_size = nb->tso_mss;
    tso->csum_start = l4;
    tso->csum_offset = 16;
    tso->hdr_len = (uint16_t)(l4 + (nb->data[l4 + 12] >> 4) * 4);
}

/* Hand (nb) to the device. False when the device queue is full (-EAGAIN): the caller keeps
 * (nb). Otherwise the frame was sent or counted as an error, and is freed. */
static bool loop_device_send(struct netbuf *nb)
{
    struct plat_net_tso tso;
    if (nb->tso_mss)
        loop_tso_describe(nb, &tso);
    int r = plat_net_send(os.nic, nb->data, nb->len, nb->tso_mss ? &tso : NULL);
    if (r == -EAGAIN)
        return false;
    if (r == 0 && nb->tso_mss)
        os.stats.tx_tso_frames++;
    if (r == 0)
        os.stats.tx_frames++;
    else if (r == -EINVAL)
        os.stats.tx_too_long++;
    else
        os.stats.tx_errors++;
    netbuf_free(nb);
    return true;
}

/* Send backlogged frames, oldest first, until the backlog is empty or the device is full. */
static void loop_tx_backlog_flush(void)
{
    while (os.tx_backlog_len) {
        if (!loop_device_send(os.tx_backlog[os.tx_backlog_head]))
            return;
        os.tx_backlog[os.tx_backlog_head] = NULL;
        os.tx_backlog_head = (os.tx_backlog_head + 1) % LOOP_TX_BACKLOG;
        os.tx_backlog_len--;
    }
}

static void loop_tx_backlog_push(struct netbuf *nb)
{
    if (os.tx_backlog_len == LOOP_TX_BACKLOG) {
        os.stats.tx_backlog_drops++;
        netbuf_free(nb);
        return;
    }
    os.tx_backlog[(os.tx_backlog_head + os.tx_backlog_len) % LOOP_TX_BACKLOG] = nb;
    os.tx_backlog_len++;
    os.stats.tx_backlogged++;
    if (os.tx_backlog_len > os.stats.tx_backlog_peak)
        os.stats.tx_backlog_peak = os.tx_backlog_len;
}

/* At exit: what the device never took is dropped and counted. */
static void loop_tx_backlog_discard(void)
{
    loop_tx_backlog_flush();
    while (os.tx_backlog_len) {
        netbuf_free(os.tx_backlog[os.tx_backlog_head]);
        os.tx_backlog_head = (os.tx_backlog_head + 1) % LOOP_TX_BACKLOG;
        os.tx_backlog_len--;
        os.stats.tx_backlog_drops++;
    }
}

/* After the fault injector: put the frame on the wire, behind any backlog. */
static void loop_wire_send(void *ctx, struct netbuf *nb)
{
    (void)ctx;
    loop_tx_backlog_flush(); /* the device may have taken frames since the last try */
    if (os.tx_backlog_len || !loop_device_send(nb))
        loop_tx_backlog_push(nb);
}

static int loop_link_output(void *ctx, struct netbuf *nb)
{
    (void)ctx;
    fault_process(&os.fault, FAULT_TX, nb);
    return 0;
}

static void loop_stack_input(void *ctx, struct netbuf *nb)
{
    inet_input(ctx, nb);
}

/* Count a failed receive; returns (r). */
static int loop_rx_failed(int r)
{
    if (r == -EMSGSIZE)
        os.stats.rx_too_long++;
    else if (r == -EBADMSG)
        os.stats.rx_bad_offload++;
    else if (r != -EAGAIN)
        os.stats.rx_errors++;
    return r;
}

/* Read and discard one frame when no buffer is free, so the device does not stay full. */
static int loop_drop_frame(unsigned nic)
{
    static uint8_t scratch[NETBUF_POOL_BUF_SIZE];
    struct plat_net_rx rx = {.buf = scratch, .cap = sizeof(scratch)};
    os.stats.rx_no_buffer++;
    int r = plat_net_recv(nic, &rx);
    return r == 0 ? -ENOBUFS : loop_rx_failed(r);
}

/* The frame (rx) describes went into (nb): its length and what the NIC said of it. */
static void loop_rx_fill(struct netbuf *nb, const struct plat_net_rx *rx)
{
    nb->len = rx->len;
    nb->csum_ok = (rx->flags & PLAT_NET_RX_CSUM_OK) != 0;
}

/* One frame of (nic) into a pool buffer (*out), or, for a NIC whose frames may exceed one (see
 * the top), into the large spare when it is longer. 0, -EAGAIN when none, or another -errno
 * when a frame was dropped (counted). */
static int loop_recv(unsigned nic, struct netbuf **out)
{
    struct netbuf *nb = netbuf_alloc(&os.pool);
    if (!nb)
        return loop_drop_frame(nic);
    if (os.rx_max_frame && !os.rx_spare)
        os.rx_spare = netbuf_alloc_size(&os.pool, os.rx_max_frame);
    struct netbuf *big = os.rx_max_frame ? os.rx_spare : NULL;
    struct plat_net_rx rx = {.buf = nb->data,
                             .cap = netbuf_tailroom(nb),
                             .large = big ? big->data : NULL,
                             .large_cap = big ? netbuf_tailroom(big) : 0};
    int r = plat_net_recv(nic, &rx);
    if (r < 0) {
        netbuf_free(nb);
        return loop_rx_failed(r);
    }
    if (rx.in_large) {
        netbuf_free(nb);
        os.rx_spare = NULL;
        os.stats.rx_large++;
        nb = big;
    }
    loop_rx_fill(nb, &rx);
    *out = nb;
    return 0;
}

/* Deliver up to LOOP_RX_BATCH frames of (nic); true if it may have more. Stops at once when
 * the service called unic_shutdown(): it has closed its sockets and gets no more frames. */
static bool loop_drain(unsigned nic)
{
    for (unsigned i = 0; i < LOOP_RX_BATCH && !os.stop; i++) {
        struct netbuf *nb = NULL;
        int r = loop_recv(nic, &nb);
        if (r == -EAGAIN)
            return false;
        if (r < 0)
            continue;
        nb->nic = (uint8_t)nic;
        os.stats.rx_frames++;
        fault_process(&os.fault, FAULT_RX, nb);
    }
    return true;
}

static void loop_flush_modules(void)
{
    for (struct inet_module *m = os.inet.modules; m; m = m->next)
        if (m->flush)
            m->flush(&os.inet);
}

static void loop_print_all_stats(void);

/* The ready set for this iteration. After a full batch (more) the NIC is read again without
 * sleeping, but a NIC that never runs dry must not keep the platform waiting: every
 * LOOP_CONSULT_BATCHES batches, or after LOOP_CONSULT_NS, plat_wait is called with a deadline
 * already past (a poll that does not block), so signals, the shutdown request and the other
 * devices are seen within a few batches. Otherwise: sleep until the next timer. */
static uint64_t loop_consult_platform(bool more)
{
    uint64_t ready;
    if (more) {
        os.full_batches++;
        if (os.full_batches < LOOP_CONSULT_BATCHES &&
            plat_clock_monotonic() - os.last_consult < LOOP_CONSULT_NS)
            return 1ull << os.nic;
        os.stats.polls++;
        ready = plat_wait(0) | 1ull << os.nic;
    } else {
        os.stats.waits++;
        ready = plat_wait(timer_queue_next(&os.timers));
    }
    os.full_batches = 0;
    os.last_consult = plat_clock_monotonic();
    return ready;
}

static void loop_run(void)
{
    bool more = false;
    os.last_consult = plat_clock_monotonic();
    while (!os.stop) {
        os.stats.iterations++;
        loop_tx_backlog_flush();
        timer_queue_run(&os.timers, plat_clock_monotonic());
        loop_flush_modules();
        if (os.stop)
            break;
        uint64_t ready = loop_consult_platform(more);
        if (ready & PLAT_WAIT_SHUTDOWN)
            break;
        if (ready & PLAT_WAIT_STATS)
            loop_print_all_stats();
        loop_tx_backlog_flush(); /* the device may have signalled room (see plat_wait) */
        /* Frames before timers: what arrived while the process waited (or was not run) is
         * taken in before the timers due meanwhile, as a kernel handles packets before a
         * timeout: an idle timeout must not abort a connection whose request is queued, nor a
         * retransmission go for data the queued ACK acknowledges. The timers run at the top
         * of the next turn. The clock the stack reads moves on now, though. */
        timer_queue_set_now(&os.timers, plat_clock_monotonic());
        more = (ready & (1ull << os.nic)) && loop_drain(os.nic);
        loop_flush_modules();
    }
}

static void loop_print_stats(void)
{
    stats_print("loop", loop_stat_names, &os.stats, STATS_COUNT(loop_stat_names), 0);
    unic_printf("stats pool: in_use=%zu allocs=%llu exhausted=%llu large_refused=%llu",
                os.pool.in_use, (unsigned long long)os.pool.stats.allocs,
                (unsigned long long)os.pool.stats.exhausted,
                (unsigned long long)os.pool.stats.large_refused);
    fault_print_stats(&os.fault);
    inet_print_stats(&os.inet, 0);
}

static void loop_print_service_stats(void)
{
    if (&unic_service && unic_service.print_stats)
        unic_service.print_stats();
}

/* On demand (PLAT_WAIT_STATS) and every --stats-interval: the service's counters, the OS's
 * and the platform's devices', each group one "stats NAME: key=value ..." line. */
static void loop_print_all_stats(void)
{
    loop_print_service_stats();
    loop_print_stats();
    plat_print_stats();
}

static void loop_stats_tick(struct timer *t)
{
    loop_print_all_stats();
    timer_arm_in(&os.timers, t, (uint64_t)os.cfg->stats_interval_s * NSEC_PER_SEC);
}

static void loop_stats_interval_start(void)
{
    timer_init(&os.stats_timer, loop_stats_tick, NULL);
    if (os.cfg->stats_interval_s)
        timer_arm_in(&os.timers, &os.stats_timer,
                     (uint64_t)os.cfg->stats_interval_s * NSEC_PER_SEC);
}

static int loop_setup_stack(struct unic_config *cfg)
{
    struct plat_net_info info;
    if (plat_net_count() == 0 || plat_net_info(0, &info) < 0) {
        log_error("no network device");
        return -ENODEV;
    }
    struct inet_config ic = {.mtu = info.mtu ? info.mtu : 1500};
    if (info.rx_max_frame > NETBUF_POOL_BUF_SIZE - NETBUF_HEADROOM)
        os.rx_max_frame =
            info.rx_max_frame < PLAT_NET_MAX_FRAME ? info.rx_max_frame : PLAT_NET_MAX_FRAME;
    memcpy(ic.mac, cfg->have_mac ? cfg->mac : info.mac, 6);
    int r = inet_init(&os.inet, &ic, &os.pool, &os.timers, loop_link_output, NULL);
    if (r < 0)
        return r;
    size_t heap;
    plat_heap(&heap);
    os.inet.mem_size = heap; /* TCP sizes its buffer budget and connection limit from it */
    /* Faults are drawn per wire frame: with any, TCP sends wire-sized segments. */
    const struct fault_config *f = &cfg->fault;
    bool faults = f->loss_ppb || f->duplicate_ppb || f->reorder_ppb || f->corrupt_ppb || f->ce_ppb;
    if (!faults && info.tx_tso_max > os.inet.mtu)
        os.inet.tso_max = info.tx_tso_max < 65535 ? info.tx_tso_max : 65535;
    fault_init(&os.fault, &cfg->fault, &os.pool, &os.timers);
    fault_set_output(&os.fault, FAULT_TX, loop_wire_send, NULL);
    fault_set_output(&os.fault, FAULT_RX, loop_stack_input, &os.inet);
    os.inet.dns = cfg->dns;
    return 0;
}

/* IPv6 unless --no-ip6: the link-local address and SLAAC, and the --ip6 addresses (each
 * usable once duplicate address detection has passed, about 1-2 s). */
static void loop_start_ip6(struct unic_config *cfg)
{
    char text[UNIC_ADDR_STRLEN];
    if (cfg->no_ip6)
        return;
    ip6_start(&os.inet, true);
    os.inet.ip6.gateway = cfg->gw6;
    for (unsigned i = 0; i < cfg->ip6_count; i++) {
        int r = ip6_addr_add(&os.inet, cfg->ip6[i].addr, cfg->ip6[i].prefix_len, IP6_ORIGIN_STATIC,
                             TIMER_NEVER, TIMER_NEVER);
        unic_addr_format(cfg->ip6[i].addr, text);
        if (r < 0)
            log_error("net: --ip6 %s/%u: %s", text, cfg->ip6[i].prefix_len, unic_strerror(r));
        else
            log_info("net: ip6 %s/%u (after duplicate address detection)", text,
                     cfg->ip6[i].prefix_len);
    }
}

static void loop_start_network(struct unic_config *cfg)
{
    char ip[16];
    loop_start_ip6(cfg);
    if (cfg->no_dhcp && !cfg->have_ip) {
        log_info("net: no --ip and --no-dhcp: no IPv4 address");
    } else if (cfg->have_ip) {
        inet_set_addr(&os.inet, cfg->ip, cfg->prefix_len, cfg->gateway);
        log_info("net: %s/%u mtu %u mac %02x:%02x:%02x:%02x:%02x:%02x", ip4_ntoa(cfg->ip, ip),
                 cfg->prefix_len, os.inet.mtu, os.inet.mac[0], os.inet.mac[1], os.inet.mac[2],
                 os.inet.mac[3], os.inet.mac[4], os.inet.mac[5]);
    } else if (dhcp_start(&os.inet) < 0) {
        log_error("net: no --ip given and DHCP could not start");
    } else {
        log_info("net: no --ip, asking DHCP");
    }
}

/* The packet pool takes at most an eighth of the heap (at least LOOP_POOL_MIN buffers), so that
 * an image in a few MiB of RAM keeps most of it for its service's data (dns: 10,000 hosts in
 * 4 MiB); with 32 MiB or more, or a platform that does not say, it is the full LOOP_POOL_BUFFERS
 * and LOOP_LARGE_BUDGET. */
static void loop_pool_size(size_t *buffers, size_t *large)
{
    size_t heap;
    plat_heap(&heap);
    size_t share = heap ? heap / 8 : SIZE_MAX; /* 0: the platform does not say */
    size_t n = share / NETBUF_POOL_BUF_SIZE;
    *buffers = n > LOOP_POOL_BUFFERS ? LOOP_POOL_BUFFERS : n < LOOP_POOL_MIN ? LOOP_POOL_MIN : n;
    *large = share > LOOP_LARGE_BUDGET ? LOOP_LARGE_BUDGET : share;
}

int unic_main(struct unic_config *cfg)
{
    memset(&os, 0, sizeof(os));
    os.cfg = cfg;
    log_set_level(cfg->verbosity < 0   ? UNIC_LOG_WARN
                  : cfg->verbosity > 0 ? UNIC_LOG_DEBUG
                                       : UNIC_LOG_INFO);
    timer_queue_init(&os.timers, plat_clock_monotonic());
    size_t buffers, large;
    loop_pool_size(&buffers, &large);
    if (netbuf_pool_init(&os.pool, buffers, large) < 0) {
        log_error("out of memory for packet buffers");
        return 1;
    }
    if (loop_setup_stack(cfg) < 0)
        return 1;
    loop_start_network(cfg);
    int r = service_start(cfg->service_argc, cfg->service_argv);
    if (r != 0) {
        netbuf_free(os.rx_spare);
        loop_tx_backlog_discard();
        inet_destroy(&os.inet);
        netbuf_pool_destroy(&os.pool);
        return r;
    }
    loop_stats_interval_start();
    loop_run();
    timer_cancel(&os.timers, &os.stats_timer);
    loop_print_service_stats();
    if (service_stop)
        service_stop();
    loop_tx_backlog_discard();
    netbuf_free(os.rx_spare);
    os.rx_spare = NULL;
    loop_print_stats();
    fault_destroy(&os.fault);
    inet_destroy(&os.inet);
    netbuf_pool_destroy(&os.pool); /* unic_main may run again in one process (unit tests) */
    return os.status;
}
