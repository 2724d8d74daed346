/* TCP: the calls a service makes (include/unic/tcp.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_internal.h"
#include "tcp_test.h"
#include "unic/ip4.h"
#include "unic/ip6.h"

static const char *const state_names[] = {
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT",
};

const char *tcp_state_name(enum tcp_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

int tcp_configure(struct inet *inet, const struct tcp_params *p)
{
    struct tcp *tcp = tcp_attach(inet);
    if (!tcp)
        return -ENOMEM;
    if (p->snd_buf < 4096 || p->rcv_buf < 4096 || p->rcv_buf > (1u << 30) ||
        p->snd_buf > (1u << 30))
        return -EINVAL; /* any budget works: buffers take memory as data comes */
    tcp->params = *p;
    tcp_resolve_params(inet, &tcp->params);
    tcp_pool_set_limit(&tcp->pool, tcp->params.mem_budget);
    return 0;
}

void tcp_test_force_isn(struct inet *inet, uint32_t isn)
{
    struct tcp *tcp = tcp_attach(inet);
    if (tcp) {
        tcp->force_isn = true;
        tcp->forced_isn = isn;
    }
}

void tcp_test_force_port(struct inet *inet, uint16_t port)
{
    struct tcp *tcp = tcp_attach(inet);
    if (tcp)
        tcp->forced_port = port;
}

struct tcp_listener *tcp_listen(struct inet *inet, uint16_t port, tcp_accept_fn on_accept,
                                void *user, int *err)
{
    struct tcp *tcp = tcp_attach(inet);
    int e = 0;
    struct tcp_listener *l = NULL;
    if (!tcp)
        e = -ENOMEM;
    else if (port == 0 || !on_accept)
        e = -EINVAL;
    else if (tcp_find_listener(tcp, port))
        e = -EADDRINUSE;
    else if (!(l = calloc(1, sizeof(*l))))
        e = -ENOMEM;
    if (err)
        *err = e;
    if (e)
        return NULL;
    l->tcp = tcp;
    l->port = port;
    l->on_accept = on_accept;
    l->user = user;
    l->next = tcp->listeners;
    tcp->listeners = l;
    return l;
}

void tcp_unlisten(struct tcp_listener *l)
{
    struct tcp *tcp = l->tcp;
    struct tcp_conn *next;
    for (struct tcp_conn *c = tcp->all; c; c = next) {
        next = c->all_next;
        if (c->listener != l)
            continue;
        if (c->busy) { /* in the middle of input: reset when it would be accepted */
            l->half_open--;
            c->listener = NULL;
            continue;
        }
        tcp_send_rst(c); /* half-open: nobody is left to accept it */
        tcp_conn_closed(c, 0);
    }
    struct tcp_listener **pp = &tcp->listeners;
    while (*pp != l)
        pp = &(*pp)->next;
    *pp = l->next;
    free(l);
}

/* Send now, or, when (c) is busy (in one of its callbacks, on the flush list, or waiting for
 * memory), at the flush of this turn: a connection waiting for memory had its queued data sit
 * until the wake, which may never come when what it sends is what would free memory. */
static void start_output(struct tcp_conn *c)
{
    if (c->busy) {
        c->need_output = true;
        tcp_flush_later(c);
        return;
    }
    c->busy++;
    tcp_output(c);
    c->busy--;
    tcp_conn_put(c);
}

/* (want) as the source towards (dst): one of our usable IPv6 unicast addresses, and a
 * link-local one only towards a destination on the link (RFC 4007 9: routers never forward
 * it, so the SYN would go nowhere). */
static int connect_check_src6(struct inet *inet, struct unic_addr want, struct unic_addr dst)
{
    if (unic_addr_is_ip4(want))
        return -EINVAL;
    if (ip6_addr_is_multicast(want.bytes) || !ip6_is_local(inet, want))
        return -EADDRNOTAVAIL;
    struct unic_addr hop;
    if (ip6_addr_is_link_local(want.bytes) && !ip6_addr_is_link_local(dst.bytes) &&
        (ip6_next_hop(inet, dst, &hop) < 0 || !unic_addr_equal(hop, dst)))
        return -EINVAL;
    return 0;
}

/* Our address towards (dst) in (*src): (want), or the stack's choice when (want) is
 * unspecified; 0 or -errno as tcp_connect_from says. */
static int connect_check(struct inet *inet, struct tcp *tcp, struct unic_addr want,
                         struct unic_addr dst, uint16_t port, struct unic_addr *src)
{
    bool chosen = !unic_addr_is_unspecified(want);
    if (!tcp)
        return -ENOMEM;
    if (!unic_addr_is_ip4(dst)) {
        if (port == 0 || unic_addr_is_unspecified(dst) || dst.bytes[0] == 0xff) /* multicast */
            return -EINVAL;
        if (chosen) {
            *src = want;
            return connect_check_src6(inet, want, dst);
        }
        return ip6_select_src(inet, dst, src) < 0 ? -EADDRNOTAVAIL : 0;
    }
    uint32_t addr = unic_addr_to_ip4(dst);
    if (chosen && !unic_addr_is_ip4(want))
        return -EINVAL;
    if (!inet->addr || (chosen && unic_addr_to_ip4(want) != inet->addr))
        return -EADDRNOTAVAIL; /* an IPv4 stack has one address, the interface's */
    if (port == 0 || addr == 0 || ip4_is_broadcast(inet, addr) || ip4_is_multicast(addr))
        return -EINVAL;
    if (ip4_never_sent_to(addr))
        return -ENETUNREACH; /* 0/8, 127/8: no loopback interface here */
    if (!ip4_next_hop(inet, addr))
        return -EHOSTUNREACH;
    *src = unic_addr_ip4(inet->addr);
    return 0;
}

struct tcp_conn *tcp_connect(struct inet *inet, struct unic_addr dst, uint16_t port,
                             tcp_connected_fn on_connected, void *user, int *err)
{
    return tcp_connect_from(inet, (struct unic_addr){{0}}, dst, port, on_connected, user, err);
}

struct tcp_conn *tcp_connect_from(struct inet *inet, struct unic_addr src, struct unic_addr dst,
                                  uint16_t port, tcp_connected_fn on_connected, void *user,
                                  int *err)
{
    struct tcp *tcp = tcp_attach(inet);
    int e = connect_check(inet, tcp, src, dst, port, &src);
    uint16_t lport = 0;
    if (!e && tcp->forced_port) {
        lport = tcp->forced_port;
        tcp->forced_port = 0;
        if (tcp_tuple_in_use(tcp, src, lport, dst, port))
            e = -EADDRINUSE;
    } else if (!e) {
        e = tcp_pick_port(tcp, src, dst, port, &lport);
    }
    struct tcp_conn *c = NULL;
    if (!e && !(c = tcp_conn_alloc(tcp, src, lport, dst, port)))
        e = -ENOMEM;
    if (!e && tcp_conn_alloc_buffers(c) < 0) {
        tcp_conn_closed(c, 0);
        e = -ENOMEM;
    }
    if (err)
        *err = e;
    if (e)
        return NULL;
    c->on_connected = on_connected;
    c->user = user;
    c->user_done = false;
    c->iss = tcp_isn(tcp, c->laddr, c->lport, c->raddr, c->rport);
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    c->snd_buf_seq = c->iss + 1;
    c->state = TCP_SYN_SENT;
    tcp_send_syn(c);
    return c;
}

void tcp_set_callbacks(struct tcp_conn *conn, const struct tcp_callbacks *cb, void *user)
{
    conn->cb = *cb;
    conn->user = user;
}

void *tcp_user(const struct tcp_conn *conn)
{
    return conn->user;
}

void tcp_set_user(struct tcp_conn *conn, void *user)
{
    conn->user = user;
}

static bool can_send(const struct tcp_conn *c)
{
    return (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT ||
            c->state == TCP_SYN_SENT) &&
           !c->fin_queued && c->snd.size;
}

size_t tcp_send_space(struct tcp_conn *conn)
{
    if (!can_send(conn))
        return 0;
    size_t space = tcp_snd_space(conn); /* within the pool's budget too */
    if (space < conn->snd.size)         /* the service may need more: on_writable when it frees */
        conn->want_writable = true;
    return space;
}

size_t tcp_send_queued(const struct tcp_conn *conn)
{
    return conn->snd.len;
}

/* Queue what fits of (buf); the caller starts the output. */
static long queue_send(struct tcp_conn *conn, const void *buf, size_t len)
{
    if (conn->stack_done)
        return -ENOTCONN;
    size_t n = can_send(conn) ? tcp_snd_space(conn) : 0;
    if (n > len)
        n = len;
    if (n < len) {
        conn->want_writable = true;
        if (n < conn->snd.size - conn->snd.len)
            tcp_mem_wait(conn);
    }
    if (n == 0)
        return 0;
    n = tcp_ring_write_at(&conn->snd, conn->snd.len, buf, (uint32_t)n); /* less: no memory */
    conn->snd.len += (uint32_t)n;
    if (n < len) {
        conn->want_writable = true;
        tcp_mem_wait(conn);
    }
    return (long)n;
}

long tcp_send(struct tcp_conn *conn, const void *buf, size_t len)
{
    long n = queue_send(conn, buf, len);
    if (n > 0 && conn->state != TCP_SYN_SENT)
        start_output(conn);
    return n;
}

/* RFC 9293 3.8.5 with MUST-62: SND.UP is the sequence number after the last urgent byte;
 * segments before it carry URG (tcp_output.c), until it is acknowledged. */
long tcp_send_urgent(struct tcp_conn *conn, const void *buf, size_t len)
{
    long n = queue_send(conn, buf, len);
    if (n <= 0)
        return n;
    conn->snd_up = conn->snd_buf_seq + conn->snd.len;
    conn->snd_urgent = true;
    if (conn->state != TCP_SYN_SENT)
        start_output(conn);
    return n;
}

void tcp_set_on_urgent(struct tcp_conn *conn, tcp_urgent_fn fn)
{
    conn->on_urgent = fn;
}

size_t tcp_urgent_pending(const struct tcp_conn *conn)
{
    uint32_t unread = conn->rcv_nxt - conn->rcv.len; /* the first byte not consumed */
    return conn->rcv_urgent && seq_gt(conn->rcv_up, unread) ? conn->rcv_up - unread : 0;
}

void tcp_recv_pause(struct tcp_conn *conn)
{
    conn->rcv_paused = true;
}

void tcp_recv_resume(struct tcp_conn *conn)
{
    conn->rcv_paused = false;
    conn->rcv_reoffer = true;
    if (conn->rcv.len || (conn->fin_received && !conn->eof_delivered))
        tcp_schedule_event(conn);
}

void tcp_close(struct tcp_conn *c)
{
    switch (c->state) {
    case TCP_SYN_SENT:
        c->user_done = true; /* nothing was said to the peer yet: just forget it */
        tcp_conn_closed(c, 0);
        return;
    case TCP_SYN_RECEIVED: /* simultaneous open, not yet connected */
        c->user_done = true;
        tcp_send_rst(c);
        tcp_conn_closed(c, 0);
        return;
    case TCP_ESTABLISHED:
        tcp_set_state(c, TCP_FIN_WAIT_1);
        break;
    case TCP_CLOSE_WAIT:
        tcp_set_state(c, TCP_LAST_ACK);
        break;
    default:
        return;
    }
    c->fin_queued = true;
    c->fin_seq = c->snd_buf_seq + c->snd.len;
    start_output(c);
}

void tcp_abort(struct tcp_conn *c)
{
    if (c->user_done)
        return;
    c->user_done = true;
    if (c->stack_done) {
        tcp_conn_put(c);
        return;
    }
    if (c->state != TCP_SYN_SENT && c->state != TCP_TIME_WAIT)
        tcp_send_rst(c);
    tcp_conn_closed(c, -ECONNABORTED);
}

void tcp_set_nodelay(struct tcp_conn *conn, bool nodelay)
{
    conn->nodelay = nodelay;
    if (nodelay && conn->snd.len)
        start_output(conn);
}

void tcp_set_keepalive(struct tcp_conn *conn, uint32_t idle_s, uint32_t interval_s, uint32_t count)
{
    conn->keep_idle_s = idle_s;
    conn->keep_intvl_s = interval_s ? interval_s : 75;
    conn->keep_count = count ? count : 9;
    tcp_arm_keepalive(conn);
}

void tcp_set_dscp(struct tcp_conn *conn, uint8_t dscp)
{
    conn->tos = (uint8_t)((dscp & 0x3f) << 2);
}

void tcp_set_data_retries(struct tcp_conn *conn, uint8_t retries)
{
    conn->r2 = retries ? retries : tcp_data_retries(conn->tcp);
}

enum tcp_state tcp_state(const struct tcp_conn *conn)
{
    return conn->state;
}

struct unic_addr tcp_peer_addr(const struct tcp_conn *conn)
{
    return conn->raddr;
}

uint16_t tcp_peer_port(const struct tcp_conn *conn)
{
    return conn->rport;
}

struct unic_addr tcp_local_addr(const struct tcp_conn *conn)
{
    return conn->laddr;
}

uint16_t tcp_local_port(const struct tcp_conn *conn)
{
    return conn->lport;
}
