/* The dns service on unic TCP: see dns_tcp_server.h. */
#include "dns_tcp_server.h"

#include <errno.h>
#include <stdlib.h>

#include "unic/log.h"

struct dns_tcp_conn {
    struct dns_tcp_session session;
    struct dns_tcp_server *srv;
    struct tcp_conn *tcp;
    struct timer timer;
    uint64_t last_activity; /* when a query was last consumed or a message sent (ns) */
    uint64_t seen_sent;     /* session.sent at that time                             */
    bool closing;           /* tcp_close was called: waiting for on_close              */
    struct dns_tcp_conn *prev, *next;
};

static const char *const server_stat_names[] = {DNS_TCP_SERVER_STATS(STATS_NAME)};

static long io_send(void *ctx, const void *buf, size_t len)
{
    struct dns_tcp_conn *c = ctx;
    return tcp_send(c->tcp, buf, len);
}

static size_t io_space(void *ctx)
{
    struct dns_tcp_conn *c = ctx;
    return tcp_send_space(c->tcp);
}

static void io_pause(void *ctx)
{
    struct dns_tcp_conn *c = ctx;
    tcp_recv_pause(c->tcp);
}

static void io_resume(void *ctx)
{
    struct dns_tcp_conn *c = ctx;
    tcp_recv_resume(c->tcp);
}

static const struct dns_tcp_io tcp_io = {io_send, io_space, io_pause, io_resume};

static uint64_t now_ns(const struct dns_tcp_conn *c)
{
    return c->srv->timers->now;
}

/* The only place a connection's memory goes back. */
static void conn_free(struct dns_tcp_conn *c)
{
    struct dns_tcp_server *srv = c->srv;
    timer_cancel(srv->timers, &c->timer);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->open--;
    free(c);
}

static void conn_close(struct dns_tcp_conn *c)
{
    c->closing = true;
    tcp_close(c->tcp);
    timer_arm(c->srv->timers, &c->timer, now_ns(c) + c->srv->idle_ns);
}

static void note_activity(struct dns_tcp_conn *c, bool consumed)
{
    if (consumed || c->session.sent != c->seen_sent) {
        c->seen_sent = c->session.sent;
        c->last_activity = now_ns(c);
    }
}

static void on_timer(struct timer *t)
{
    struct dns_tcp_conn *c = t->arg;
    struct dns_tcp_server *srv = c->srv;
    uint64_t deadline = c->last_activity + srv->idle_ns;
    if (c->closing) {
        srv->stats.close_timeouts++;
        tcp_abort(c->tcp);
        conn_free(c);
    } else if (srv->timers->now < deadline) {
        timer_arm(srv->timers, t, deadline);
    } else {
        srv->stats.idle_closed++;
        conn_close(c);
    }
}

static size_t on_data(struct tcp_conn *tcp, const uint8_t *data, size_t len)
{
    struct dns_tcp_conn *c = tcp_user(tcp);
    if (c->closing)
        return len; /* after our FIN nothing more is answered */
    size_t n = dns_tcp_input(&c->session, data, len);
    note_activity(c, n > 0);
    return n;
}

static void on_writable(struct tcp_conn *tcp)
{
    struct dns_tcp_conn *c = tcp_user(tcp);
    if (c->closing)
        return; /* closed for idleness: a transfer under way is not continued */
    dns_tcp_writable(&c->session);
    note_activity(c, false);
}

/* Every whole query before the FIN was answered (input is never paused here): what is left is
 * a frame cut short, dropped with the connection. */
static void on_eof(struct tcp_conn *tcp)
{
    struct dns_tcp_conn *c = tcp_user(tcp);
    if (!c->closing)
        conn_close(c);
}

static void on_close(struct tcp_conn *tcp, int reason)
{
    struct dns_tcp_conn *c = tcp_user(tcp);
    if (reason == 0)
        c->srv->stats.closed++;
    else
        c->srv->stats.reset++;
    conn_free(c);
}

static const struct tcp_callbacks dns_callbacks = {on_data, on_writable, on_eof, on_close};

static void on_accept(struct tcp_conn *tcp, void *user)
{
    struct dns_tcp_server *srv = user;
    struct dns_tcp_conn *c = NULL;
    if (srv->open >= srv->max_conns)
        srv->stats.refused_limit++;
    else if (!(c = calloc(1, sizeof(*c))))
        srv->stats.no_memory++;
    if (!c) {
        tcp_abort(tcp);
        return;
    }
    srv->stats.accepted++;
    bool allowed = acl_match(&srv->xfr_allow, tcp_peer_addr(tcp));
    srv->stats.xfr_allowed_conns += allowed;
    c->srv = srv;
    c->tcp = tcp;
    dns_tcp_session_init(&c->session, &srv->shared, &tcp_io, c, allowed);
    c->last_activity = srv->timers->now;
    c->next = srv->conns;
    if (c->next)
        c->next->prev = c;
    srv->conns = c;
    srv->open++;
    timer_init(&c->timer, on_timer, c);
    timer_arm(srv->timers, &c->timer, c->last_activity + srv->idle_ns);
    tcp_set_callbacks(tcp, &dns_callbacks, c);
    /* Answers leave whole: Nagle would hold back the last segment of one, waiting for an ACK
     * the client delays. */
    tcp_set_nodelay(tcp, true);
}

int dns_tcp_server_start(struct dns_tcp_server *srv, struct inet *inet, struct timer_queue *timers,
                         const struct dns_zone *zone, struct dns_answer_stats *answer_stats,
                         uint16_t port, uint64_t idle_ns, uint32_t max_conns,
                         const struct acl *allow)
{
    int err = 0;
    srv->timers = timers;
    srv->shared.zone = zone;
    srv->shared.answer_stats = answer_stats;
    srv->shared.xfr_soft = DNS_XFR_SOFT_MAX;
    srv->xfr_allow = *allow;
    srv->idle_ns = idle_ns;
    srv->max_conns = max_conns;
    srv->listener = tcp_listen(inet, port, on_accept, srv, &err);
    return srv->listener ? 0 : (err ? err : -ENOMEM);
}

void dns_tcp_server_print_stats(const struct dns_tcp_server *srv)
{
    stats_print("dns_tcp", dns_tcp_stat_names, &srv->shared.stats, dns_tcp_stat_count, 0);
    unic_printf("dns_tcp: open connections %u", srv->open);
    stats_print("dns_tcp_server", server_stat_names, &srv->stats, STATS_COUNT(server_stat_names),
                0);
}

void dns_tcp_server_stop(struct dns_tcp_server *srv)
{
    if (srv->listener)
        tcp_unlisten(srv->listener);
    srv->listener = NULL;
    while (srv->conns) {
        tcp_abort(srv->conns->tcp);
        conn_free(srv->conns);
    }
}
