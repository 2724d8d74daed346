/*
 * The event loop and the OS entry point shared by every platform.
 *
 * unic_main: set up pool, timers, the stack on NIC 0 (through the fault injector), call
 * service_start(), then loop:
 *   retry the transmit backlog -> run due timers -> plat_wait(next deadline) -> retry the
 *   backlog -> drain each ready NIC into the stack (bounded batch) -> module flush hooks -> again.
 * No periodic tick: when nothing is armed, plat_wait() gets no deadline and the process sleeps.
 *
 * Transmit backlog: when the device queue is full (plat_net_send -EAGAIN: the virtio ring during
 * a burst, a TAP whose socket buffer is full), frames wait in a bounded FIFO instead of being
 * dropped, and every later frame goes behind them, so the wire sees the order the stack sent.
 * The platform wakes plat_wait() once the device takes frames again. Past LOOP_TX_BACKLOG
 * frames the newest is dropped (tx_backlog_drops): TCP retransmits it, like a loss on the wire.
 */
#include <errno.h>
#include <string.h>

#include "unic.h"
#include "unic/dhcp.h"
#include "unic/fault.h"
#include "unic/platform.h"

#define LOOP_POOL_BUFFERS 2048
#define LOOP_LARGE_BUDGET (4u << 20)
#define LOOP_RX_BATCH 128
#define LOOP_TX_BACKLOG 128 /* frames; about two virtio rings' worth, 1/16 of the pool */

/* clang-format does not settle on one layout for X-macro lists. */
/* clang-format off */
#define LOOP_STATS(X)                                                                              \
    X(iterations)                                                                                  \
    X(waits)                                                                                       \
    X(rx_frames) X(rx_no_buffer) X(rx_errors) X(tx_frames) X(tx_errors) X(tx_too_long)             \
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
    struct netbuf *tx_backlog[LOOP_TX_BACKLOG]; /* FIFO of frames the device refused */
    unsigned tx_backlog_head, tx_backlog_len;
    bool stop;
    int status;
    struct loop_stats stats;
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

void unic_shutdown(int status)
{
    os.stop = true;
    os.status = status;
}

/* Hand (nb) to the device. False when the device queue is full (-EAGAIN): the caller keeps
 * (nb). Otherwise the frame was sent or counted as an error, and is freed. */
static bool loop_device_send(struct netbuf *nb)
{
    int r = plat_net_send(os.nic, nb->data, nb->len);
    if (r == -EAGAIN)
        return false;
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

/* Read and discard one frame when no buffer is free, so the device does not stay full. */
static int loop_drop_frame(unsigned nic)
{
    static uint8_t scratch[NETBUF_POOL_BUF_SIZE];
    size_t len;
    os.stats.rx_no_buffer++;
    return plat_net_recv(nic, scratch, sizeof(scratch), &len);
}

/* Deliver up to LOOP_RX_BATCH frames of (nic); true if it may have more. */
static bool loop_drain(unsigned nic)
{
    for (unsigned i = 0; i < LOOP_RX_BATCH; i++) {
        struct netbuf *nb = netbuf_alloc(&os.pool);
        if (!nb) {
            if (loop_drop_frame(nic) == -EAGAIN)
                return false;
            continue;
        }
        size_t len = 0;
        int r = plat_net_recv(nic, nb->data, netbuf_tailroom(nb), &len);
        if (r < 0) {
            netbuf_free(nb);
            if (r == -EAGAIN)
                return false;
            os.stats.rx_errors++;
            continue;
        }
        nb->len = len;
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

static void loop_run(void)
{
    bool more = false;
    while (!os.stop) {
        os.stats.iterations++;
        loop_tx_backlog_flush();
        timer_queue_run(&os.timers, plat_clock_monotonic());
        loop_flush_modules();
        if (os.stop)
            break;
        uint64_t ready;
        if (more) {
            ready = 1ull << os.nic; /* a full batch was read: poll again without sleeping */
        } else {
            os.stats.waits++;
            ready = plat_wait(timer_queue_next(&os.timers));
        }
        if (ready & PLAT_WAIT_SHUTDOWN)
            break;
        loop_tx_backlog_flush(); /* the device may have signalled room (see plat_wait) */
        timer_queue_run(&os.timers, plat_clock_monotonic());
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

static int loop_setup_stack(struct unic_config *cfg)
{
    struct plat_net_info info;
    if (plat_net_count() == 0 || plat_net_info(0, &info) < 0) {
        log_error("no network device");
        return -ENODEV;
    }
    struct inet_config ic = {.mtu = info.mtu ? info.mtu : 1500};
    memcpy(ic.mac, cfg->have_mac ? cfg->mac : info.mac, 6);
    int r = inet_init(&os.inet, &ic, &os.pool, &os.timers, loop_link_output, NULL);
    if (r < 0)
        return r;
    fault_init(&os.fault, &cfg->fault, &os.pool, &os.timers);
    fault_set_output(&os.fault, FAULT_TX, loop_wire_send, NULL);
    fault_set_output(&os.fault, FAULT_RX, loop_stack_input, &os.inet);
    os.inet.dns = cfg->dns;
    return 0;
}

static void loop_start_network(struct unic_config *cfg)
{
    char ip[16];
    if (cfg->have_ip) {
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

int unic_main(struct unic_config *cfg)
{
    memset(&os, 0, sizeof(os));
    os.cfg = cfg;
    log_set_level(cfg->verbosity < 0 ? LOG_WARN : cfg->verbosity > 0 ? LOG_DEBUG : LOG_INFO);
    timer_queue_init(&os.timers, plat_clock_monotonic());
    if (netbuf_pool_init(&os.pool, LOOP_POOL_BUFFERS, LOOP_LARGE_BUDGET) < 0) {
        log_error("out of memory for packet buffers");
        return 1;
    }
    if (loop_setup_stack(cfg) < 0)
        return 1;
    loop_start_network(cfg);
    int r = service_start(cfg->service_argc, cfg->service_argv);
    if (r != 0) {
        loop_tx_backlog_discard();
        inet_destroy(&os.inet);
        netbuf_pool_destroy(&os.pool);
        return r;
    }
    loop_run();
    if (service_stop)
        service_stop();
    loop_tx_backlog_discard();
    loop_print_stats();
    fault_destroy(&os.fault);
    inet_destroy(&os.inet);
    netbuf_pool_destroy(&os.pool); /* unic_main may run again in one process (unit tests) */
    return os.status;
}
