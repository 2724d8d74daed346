/* See test_tcp_util.h. */
#include "test_tcp_util.h"

const struct tcp_callbacks app_callbacks = {
    .on_data = app_on_data,
    .on_writable = app_on_writable,
    .on_eof = app_on_eof,
    .on_close = app_on_close,
};

uint8_t pattern(uint32_t seed, uint64_t i)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    x ^= x >> 29;
    return (uint8_t)(x ^ (x >> 17) ^ (i >> 12));
}

void app_pump(struct app *a)
{
    uint8_t buf[4096];
    while (a->tx_done < a->tx_total) {
        uint64_t left = a->tx_total - a->tx_done;
        size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(a->tx_seed, a->tx_done + i);
        long sent = tcp_send(a->conn, buf, n);
        if (sent <= 0)
            return;
        a->tx_done += (uint64_t)sent;
    }
    if (a->close_when_sent) {
        a->close_when_sent = false;
        tcp_close(a->conn);
    }
}

size_t app_on_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    struct app *a = tcp_user(c);
    if (a->abort_on_data) {
        tcp_abort(c);
        a->closed = true;
        a->close_reason = -ECONNABORTED;
        return 0;
    }
    size_t n = a->hold ? 0 : len;
    if (a->consume_max && n > a->consume_max)
        n = a->consume_max;
    for (size_t i = 0; i < n; i++)
        if (data[i] != pattern(a->rx_seed, a->rx_done + i))
            a->rx_bad++;
    a->rx_done += n;
    if (n < len) { /* explicit backpressure: nothing more until the test resumes */
        a->paused = true;
        tcp_recv_pause(c);
    }
    return n;
}

void app_on_writable(struct tcp_conn *c)
{
    struct app *a = tcp_user(c);
    a->writable_calls++;
    app_pump(a);
}

void app_on_eof(struct tcp_conn *c)
{
    struct app *a = tcp_user(c);
    a->eof = true;
    if (a->close_on_eof && a->tx_done < a->tx_total)
        a->close_when_sent = true; /* finish sending first */
    else if (a->close_on_eof)
        tcp_close(c);
}

void app_on_close(struct tcp_conn *c, int reason)
{
    struct app *a = tcp_user(c);
    a->closed = true;
    a->close_reason = reason;
    a->conn = NULL;
}

void app_on_connected(struct tcp_conn *c, int err)
{
    struct app *a = tcp_user(c);
    a->connect_err = err;
    if (err) {
        a->closed = true;
        a->close_reason = err;
        a->conn = NULL;
        return;
    }
    a->connected = true;
    tcp_set_callbacks(c, &app_callbacks, a);
    app_pump(a);
}

void server_on_accept(struct tcp_conn *c, void *user)
{
    struct server *s = user;
    if (s->n >= MAX_APPS) {
        tcp_abort(c);
        return;
    }
    struct app *a = &s->apps[s->n++];
    *a = s->proto;
    a->conn = c;
    a->accepted = true;
    tcp_set_callbacks(c, &app_callbacks, a);
    app_pump(a);
}

void app_connect(struct app *a, struct inet *from, uint32_t to_addr, uint16_t port)
{
    int err = 0;
    a->conn = tcp_connect(from, unic_addr_ip4(to_addr), port, app_on_connected, a, &err);
    assert_int_equal(err, 0);
    assert_non_null(a->conn);
}

bool app_done(void *arg)
{
    struct app *a = arg;
    return a->closed;
}

bool both_closed(void *arg)
{
    struct app **p = arg;
    return p[0]->closed && p[1]->closed;
}

struct harness *harness_new(const struct harness_opts *o)
{
    struct harness *h = malloc(sizeof(*h));
    assert_non_null(h);
    harness_init(h, o);
    harness_run(h, NSEC_PER_MSEC); /* gratuitous ARPs */
    return h;
}

void harness_free(struct harness *h)
{
    if (getenv("TCP_DEBUG")) {
        inet_print_stats(harness_a(h), 0);
        inet_print_stats(harness_b(h), 0);
    }
    assert_int_equal(harness_destroy(h), 0); /* no buffer leaked */
    free(h);
}

bool bulk_done(void *arg)
{
    struct bulk *b = arg;
    return b->cli.closed && b->srv.n == 1 && b->srv.apps[0].closed;
}

void bulk_start(struct bulk *b, uint64_t up, uint64_t down, uint32_t cli_seed, uint32_t srv_seed)
{
    assert_non_null(tcp_listen(harness_a(b->h), 9, server_on_accept, &b->srv, NULL));
    b->srv.proto = (struct app){
        .tx_seed = srv_seed, .rx_seed = cli_seed, .tx_total = down, .close_when_sent = true};
    b->cli = (struct app){
        .tx_seed = cli_seed, .rx_seed = srv_seed, .tx_total = up, .close_when_sent = true};
    app_connect(&b->cli, harness_b(b->h), ADDR_A, 9);
}

void bulk_check(const struct bulk *b, uint64_t up, uint64_t down)
{
    const struct app *s = &b->srv.apps[0];
    assert_int_equal(s->rx_done, up);
    assert_int_equal(b->cli.rx_done, down);
    assert_int_equal(s->rx_bad, 0);
    assert_int_equal(b->cli.rx_bad, 0);
    assert_int_equal(s->close_reason, 0);
    assert_int_equal(b->cli.close_reason, 0);
}

void bulk_finish(struct bulk *b)
{
    harness_run(b->h, 121 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(b->h)), 0);
    assert_int_equal(tcp_conn_count(harness_b(b->h)), 0);
    harness_free(b->h);
}

void inject_segment(struct harness *hs, enum harness_side to, const struct raw_seg *s)
{
    uint8_t f[1600];
    const uint8_t mac_to[6] = {0x02, 0, 0, 0, 0, (uint8_t)(to + 1)};
    const uint8_t mac_from[6] = {0x02, 0, 0, 0, 0, (uint8_t)(2 - to)};
    memcpy(f, mac_to, 6);
    memcpy(f + 6, mac_from, 6);
    wr16(f + 12, 0x0800);
    uint8_t *t = f + 14 + 20;
    int hl = tcp_emit(t, 60, &s->h);
    assert_true(hl >= 20);
    if (s->len)
        memcpy(t + hl, s->payload, s->len);
    size_t tl = (size_t)hl + s->len;
    tcp_set_checksum(t, tl, s->src, s->dst);
    struct ip4_hdr ip = {.total_len = (uint16_t)(20 + tl),
                         .ttl = 64,
                         .proto = IP4_PROTO_TCP,
                         .src = s->src,
                         .dst = s->dst};
    ip4_emit(f + 14, 20, &ip);
    harness_inject(hs, to, f, 14 + 20 + tl);
}

bool parse_seen(const struct netbuf *nb, struct seen *s)
{
    const uint8_t *ip = nb->data + 14;
    if (nb->len < 14 + 20 + 20 || ip[9] != IP4_PROTO_TCP)
        return false;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4, total = rd16(ip + 2);
    if (total > nb->len - 14 || total < ihl + 20 || tcp_parse(ip + ihl, total - ihl, &s->h) < 0)
        return false;
    s->src = rd32(ip + 12);
    s->dst = rd32(ip + 16);
    s->len = (uint32_t)(total - ihl - s->h.hdr_len);
    s->payload = ip + ihl + s->h.hdr_len;
    return true;
}

void resend_seen(struct harness *h, enum harness_side from, const struct seen *s)
{
    struct raw_seg r = {.src = s->src, .dst = s->dst, .h = s->h, .payload = s->payload};
    r.len = s->len;
    inject_segment(h, from == SIDE_A ? SIDE_B : SIDE_A, &r);
}
