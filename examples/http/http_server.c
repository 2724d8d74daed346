/* The HTTP example on unic TCP (see http_server.h). */
#include "http_server.h"

#include <errno.h>
#include <stdlib.h>

#include "unic/log.h"

struct http_conn {
    struct http_session session;
    struct http_server *srv;
    struct tcp_conn *tcp;
    struct timer timer;
    uint64_t last_progress; /* when session.progress last changed (ns)   */
    uint64_t seen_progress; /* session.progress at that time             */
    bool closing;           /* tcp_close was called: waiting for on_close */
    bool awaiting_ack;      /* idle but for an unacknowledged answer (on_timer) */
    struct http_conn *prev, *next;
};

/* Idle timeouts a connection between requests may wait for its answer to be acknowledged. */
#define HTTP_UNACKED_WAIT 4

static const char *const server_stat_names[] = {HTTP_SERVER_STATS(STATS_NAME)};

void http_server_default_config(struct http_server_config *cfg)
{
    cfg->port = 80;
    cfg->max_conns = 1024;
    cfg->idle_timeout_ns = 30 * NSEC_PER_SEC;
    cfg->tcp_rcv_buf = 32 * 1024;
    http_default_limits(&cfg->limits);
}

static uint64_t now_ns(const struct http_conn *c)
{
    return c->srv->timers->now;
}

static long io_send(void *ctx, const void *buf, size_t len)
{
    struct http_conn *c = ctx;
    return tcp_send(c->tcp, buf, len);
}

static size_t io_space(void *ctx)
{
    struct http_conn *c = ctx;
    return tcp_send_space(c->tcp);
}

static void io_close(void *ctx)
{
    struct http_conn *c = ctx;
    c->closing = true;
    tcp_close(c->tcp);
    timer_arm(c->srv->timers, &c->timer, now_ns(c) + c->srv->cfg.idle_timeout_ns);
}

static void io_resume(void *ctx)
{
    struct http_conn *c = ctx;
    tcp_recv_resume(c->tcp);
}

static const struct http_io tcp_io = {io_send, io_space, io_close, io_resume};

/* The only place a connection's memory goes back. */
static void conn_free(struct http_conn *c)
{
    struct http_server *srv = c->srv;
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

/* Let go of the connection without the peer: RST, and no on_close will follow. */
static void conn_abort(struct http_conn *c)
{
    c->srv->stats.conn_aborted++;
    tcp_abort(c->tcp);
    conn_free(c);
}

static void note_progress(struct http_conn *c)
{
    if (c->session.progress != c->seen_progress) {
        c->seen_progress = c->session.progress;
        c->last_progress = now_ns(c);
        c->awaiting_ack = false;
    }
}

static void on_timer(struct timer *t)
{
    struct http_conn *c = t->arg;
    struct http_server *srv = c->srv;
    uint64_t now = srv->timers->now, limit = srv->cfg.idle_timeout_ns;
    if (c->closing) {
        srv->stats.close_timeouts++;
        conn_abort(c);
    } else if (now < c->last_progress + limit) {
        timer_arm(srv->timers, t, c->last_progress + limit);
    } else if (http_session_idle(&c->session) && tcp_send_queued(c->tcp) &&
               now < c->last_progress + HTTP_UNACKED_WAIT * limit) {
        /* Between requests, but our answer is not acknowledged yet: TCP is still sending it
         * (its retransmission backoff under loss can pass a short idle timeout), and the peer
         * may send its next request once it has it. Not idle, up to HTTP_UNACKED_WAIT
         * timeouts; TCP's own retransmission limit ends a peer that is gone. Looked at again
         * every eighth of the timeout, so the idle time counts from about the ACK. */
        c->awaiting_ack = true;
        timer_arm(srv->timers, t, now + limit / 8);
    } else if (c->awaiting_ack) {
        c->awaiting_ack = false;
        c->last_progress = now; /* the answer was acknowledged: idle from here */
        timer_arm(srv->timers, t, now + limit);
    } else if (http_session_idle(&c->session)) {
        srv->stats.idle_closed++;
        http_session_close(&c->session); /* io_close re-arms the timer for the close */
    } else {
        srv->stats.idle_aborted++;
        conn_abort(c);
    }
}

static size_t on_data(struct tcp_conn *tcp, const uint8_t *data, size_t len)
{
    struct http_conn *c = tcp_user(tcp);
    size_t n = http_session_input(&c->session, data, len);
    note_progress(c);
    if (n < len) /* the session's buffer is full: no more until io_resume */
        tcp_recv_pause(tcp);
    return n;
}

static void on_writable(struct tcp_conn *tcp)
{
    struct http_conn *c = tcp_user(tcp);
    http_session_writable(&c->session);
    note_progress(c);
}

static void on_eof(struct tcp_conn *tcp)
{
    struct http_conn *c = tcp_user(tcp);
    http_session_eof(&c->session);
}

static void on_close(struct tcp_conn *tcp, int reason)
{
    struct http_conn *c = tcp_user(tcp);
    if (reason == 0)
        c->srv->stats.conn_closed++;
    else
        c->srv->stats.conn_reset++;
    conn_free(c);
}

static const struct tcp_callbacks http_callbacks = {on_data, on_writable, on_eof, on_close};

static void on_accept(struct tcp_conn *tcp, void *user)
{
    struct http_server *srv = user;
    struct http_conn *c = NULL;
    if (srv->open >= srv->cfg.max_conns) {
        srv->stats.conn_refused++;
    } else if (!(c = calloc(1, sizeof(*c)))) {
        srv->stats.no_memory++;
    }
    if (!c) {
        tcp_abort(tcp);
        return;
    }
    srv->stats.conn_accepted++;
    c->srv = srv;
    c->tcp = tcp;
    http_session_init(&c->session, &tcp_io, c, &srv->cfg.limits, &srv->session_stats);
    c->last_progress = srv->timers->now;
    c->next = srv->conns;
    if (c->next)
        c->next->prev = c;
    srv->conns = c;
    srv->open++;
    timer_init(&c->timer, on_timer, c);
    timer_arm(srv->timers, &c->timer, c->last_progress + srv->cfg.idle_timeout_ns);
    tcp_set_callbacks(tcp, &http_callbacks, c);
    /* Responses leave in whole pieces: Nagle would only hold back the last segment of one
     * while the client's delayed ACK holds back its acknowledgement. */
    tcp_set_nodelay(tcp, true);
}

int http_server_start(struct http_server *srv, struct inet *inet, struct timer_queue *timers,
                      const struct http_server_config *cfg)
{
    int err = 0;
    *srv = (struct http_server){.inet = inet, .timers = timers, .cfg = *cfg};
    if (srv->cfg.limits.max_head > HTTP_SESSION_IN_CAP)
        srv->cfg.limits.max_head = HTTP_SESSION_IN_CAP;
    struct tcp_params params;
    tcp_default_params(&params);
    params.rcv_buf = cfg->tcp_rcv_buf;
    err = tcp_configure(inet, &params);
    if (err)
        return err;
    srv->listener = tcp_listen(inet, cfg->port, on_accept, srv, &err);
    return srv->listener ? 0 : (err ? err : -ENOMEM);
}

void http_server_print_stats(const struct http_server *srv)
{
    unic_printf("http: open connections %u", srv->open);
    stats_print("http", server_stat_names, &srv->stats, STATS_COUNT(server_stat_names), 0);
    stats_print("http_session", http_session_stat_names, &srv->session_stats,
                http_session_stat_count, 0);
}

void http_server_stop(struct http_server *srv)
{
    if (srv->listener)
        tcp_unlisten(srv->listener);
    srv->listener = NULL;
    while (srv->conns)
        conn_abort(srv->conns);
}
