/* TCP receive and send semantics as a service sees them (include/unic/tcp.h, "Receiving" and
 * "Backpressure"): a line reader that returns 0 until a line is complete, fed one byte per
 * segment, lines split across segments and across the wrap of the receive buffer, pipelined
 * lines, pause/resume under load, EOF with an unterminated last line, a service woken by
 * on_writable after tcp_send_space() said too little, and calls back into the stack from
 * inside the callbacks. */
#include <stdio.h>

#include "test_tcp_util.h"

#define PORT 6000
#define MAX_LINE 600

/* ------------------------------------------------------------------ the lines of a stream */

/* Line (i) of the test stream: "<i> " then (i * 37) % 300 letters, then LF (without the LF
 * here). Lengths vary from 2 to ~310 bytes, so lines fall on every offset of the buffer. */
static size_t make_line(unsigned i, char *out)
{
    int n = snprintf(out, MAX_LINE, "%u ", i);
    size_t len = (size_t)n, extra = (i * 37u) % 300u;
    for (size_t k = 0; k < extra; k++)
        out[len++] = (char)('a' + (i + k) % 26);
    return len;
}

/* The first (lines) lines, each ended by LF. */
static uint8_t *make_stream(unsigned lines, size_t *len)
{
    uint8_t *s = malloc((size_t)lines * MAX_LINE);
    assert_non_null(s);
    size_t at = 0;
    for (unsigned i = 0; i < lines; i++) {
        at += make_line(i, (char *)s + at);
        s[at++] = '\n';
    }
    *len = at;
    return s;
}

/* ------------------------------------------------------------------------ the line reader */

struct reader {
    struct tcp_conn *conn;
    unsigned lines, bad; /* lines complete and checked, lines that were wrong */
    unsigned data_calls, eof_calls, writable_calls;
    bool one_per_call; /* take one line per call, tcp_recv_resume() if more may be there */
    bool take_tail_at_eof;
    unsigned pause_every; /* tcp_recv_pause() after this many lines (0: never) */
    bool paused;
    bool echo;        /* answer every line with "ok <n>\n" from inside on_data */
    unsigned quit_at; /* tcp_close() from inside on_data after this many lines (0: never) */
    size_t tail;      /* the unterminated last line taken after EOF */
    bool eof, closed;
    int close_reason;
};

static bool check_line(struct reader *r, const uint8_t *p, size_t len)
{
    char want[MAX_LINE];
    size_t wl = make_line(r->lines, want);
    bool ok = wl == len && memcmp(want, p, len) == 0;
    r->bad += !ok;
    r->lines++;
    return ok;
}

static size_t reader_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    struct reader *r = tcp_user(c);
    r->data_calls++;
    size_t used = 0;
    if (r->eof && r->take_tail_at_eof) { /* no more will come: take what is left */
        r->tail = len;
        return len;
    }
    for (;;) {
        const uint8_t *nl = memchr(data + used, '\n', len - used);
        if (!nl)
            break; /* an incomplete line: 0 (or what came before it) until the rest arrives */
        check_line(r, data + used, (size_t)(nl - (data + used)));
        used = (size_t)(nl - data) + 1;
        if (r->echo) {
            char ok[32];
            int n = snprintf(ok, sizeof(ok), "ok %u\n", r->lines);
            assert_int_equal(tcp_send(c, ok, (size_t)n), n);
        }
        if (r->quit_at && r->lines == r->quit_at) {
            tcp_close(c);
            return len; /* the rest is dropped: the service is done reading */
        }
        if (r->pause_every && r->lines % r->pause_every == 0) {
            r->paused = true;
            tcp_recv_pause(c);
            break;
        }
        if (r->one_per_call) {
            if (used < len)
                tcp_recv_resume(c); /* more lines may wait: offer them again */
            break;
        }
    }
    return used;
}

static void reader_eof(struct tcp_conn *c)
{
    struct reader *r = tcp_user(c);
    r->eof = true;
    r->eof_calls++;
    if (r->take_tail_at_eof)
        tcp_recv_resume(c);
    tcp_close(c);
}

static void reader_writable(struct tcp_conn *c)
{
    struct reader *r = tcp_user(c);
    r->writable_calls++;
}

static void reader_close(struct tcp_conn *c, int reason)
{
    struct reader *r = tcp_user(c);
    r->closed = true;
    r->close_reason = reason;
    r->conn = NULL;
}

static const struct tcp_callbacks reader_cb = {
    .on_data = reader_data,
    .on_writable = reader_writable,
    .on_eof = reader_eof,
    .on_close = reader_close,
};

static void reader_accept(struct tcp_conn *c, void *user)
{
    struct reader *r = user;
    r->conn = c;
    tcp_set_callbacks(c, &reader_cb, r);
}

/* ----------------------------------------------------------------------------- the sender */

/* The client on B: sends (buf) as fast as TCP takes it, or one byte per segment. */
struct sender {
    struct tcp_conn *conn;
    const uint8_t *buf;
    size_t len, off;
    bool connected, closed, close_when_sent; /* close_when_sent: tcp_close() still owed */
    uint64_t got;                            /* bytes the server sent back */
};

static void sender_pump(struct sender *s)
{
    while (s->off < s->len) {
        long n = tcp_send(s->conn, s->buf + s->off, s->len - s->off);
        if (n <= 0)
            return;
        s->off += (size_t)n;
    }
    if (s->close_when_sent) {
        s->close_when_sent = false;
        tcp_close(s->conn);
    }
}

static size_t sender_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)data;
    struct sender *s = tcp_user(c);
    s->got += len;
    return len;
}

static void sender_writable(struct tcp_conn *c)
{
    sender_pump(tcp_user(c));
}

static void sender_close(struct tcp_conn *c, int reason)
{
    (void)reason;
    struct sender *s = tcp_user(c);
    s->closed = true;
    s->conn = NULL;
}

static const struct tcp_callbacks sender_cb = {
    .on_data = sender_data, .on_writable = sender_writable, .on_close = sender_close};

static void sender_connected(struct tcp_conn *c, int err)
{
    struct sender *s = tcp_user(c);
    assert_int_equal(err, 0);
    s->connected = true;
    tcp_set_callbacks(c, &sender_cb, s);
}

static bool is_connected(void *arg)
{
    return ((struct sender *)arg)->connected;
}

/* A listens with (r) (receive buffer (rcv_buf), 0: default); B connects with (s). */
static struct harness *setup(struct reader *r, struct sender *s, uint32_t rcv_buf)
{
    struct harness *h = harness_new(NULL);
    if (rcv_buf) {
        struct tcp_params p;
        tcp_default_params(&p);
        p.rcv_buf = rcv_buf;
        assert_int_equal(tcp_configure(harness_a(h), &p), 0);
    }
    assert_non_null(tcp_listen(harness_a(h), PORT, reader_accept, r, NULL));
    int err = 0;
    s->conn = tcp_connect(harness_b(h), unic_addr_ip4(ADDR_A), PORT, sender_connected, s, &err);
    assert_non_null(s->conn);
    assert_true(harness_run_until(h, is_connected, s, NSEC_PER_SEC));
    harness_run(h, NSEC_PER_MSEC); /* A accepts on the handshake's last ACK */
    assert_non_null(r->conn);
    return h;
}

static bool reader_closed(void *arg)
{
    return ((struct reader *)arg)->closed;
}

/* Both sides closed cleanly and nothing is left after TIME_WAIT. */
static bool all_handed_over(void *arg)
{
    struct sender *s = arg;
    return s->off == s->len;
}

static void finish(struct harness *h, struct reader *r, struct sender *s)
{
    assert_true(harness_run_until(h, all_handed_over, s, 10 * NSEC_PER_SEC));
    if (s->conn && !s->closed && !s->close_when_sent)
        tcp_close(s->conn);
    assert_true(harness_run_until(h, reader_closed, r, 5 * NSEC_PER_SEC));
    assert_int_equal(r->close_reason, 0);
    harness_run(h, 61 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(h)), 0);
    assert_int_equal(tcp_conn_count(harness_b(h)), 0);
    harness_free(h);
}

/* --------------------------------------------------------------------------------- tests */

/* Every byte in a segment of its own: the reader returns 0 for every byte but the LF, and
 * every line arrives. (Before: on_data len=1 once, then delivery paused for good.) */
static void test_line_reader_one_byte_segments(void **state)
{
    (void)state;
    struct reader r = {0};
    struct sender s = {0};
    struct harness *h = setup(&r, &s, 0);
    size_t len;
    uint8_t *stream = make_stream(12, &len);
    tcp_set_nodelay(s.conn, true);
    int64_t segs = tcp_stat(harness_b(h), "tx_data_segments");
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(tcp_send(s.conn, stream + i, 1), 1);
        harness_run(h, 2 * NSEC_PER_MSEC);
    }
    assert_true(tcp_stat(harness_b(h), "tx_data_segments") - segs >= (int64_t)len);
    assert_int_equal(r.lines, 12);
    assert_int_equal(r.bad, 0);
    assert_true(r.data_calls >= len); /* offered again with every byte */
    finish(h, &r, &s);
    free(stream);
}

/* 2000 lines (~300 KB) through a 4 KiB receive buffer in full segments: lines are cut by
 * segments and by the wrap of the buffer; the reader still sees each one whole. Also with a
 * reader that takes one line per call and asks for the rest with tcp_recv_resume(). */
static void run_split_lines(bool one_per_call)
{
    struct reader r = {.one_per_call = one_per_call};
    struct sender s = {.close_when_sent = true};
    struct harness *h = setup(&r, &s, 4096);
    size_t len;
    uint8_t *stream = make_stream(2000, &len);
    s.buf = stream;
    s.len = len;
    sender_pump(&s);
    finish(h, &r, &s);
    assert_int_equal(r.lines, 2000);
    assert_int_equal(r.bad, 0);
    assert_true(r.eof);
    free(stream);
}

static void test_lines_split_across_segments_and_wrap(void **state)
{
    (void)state;
    run_split_lines(false);
}

static void test_pipelined_lines_one_per_call(void **state)
{
    (void)state;
    run_split_lines(true);
}

/* Many short lines in one segment, answered from inside on_data: every answer comes back. */
static void test_pipelined_lines_answered_inside_on_data(void **state)
{
    (void)state;
    struct reader r = {.echo = true};
    struct sender s = {0};
    struct harness *h = setup(&r, &s, 0);
    size_t len;
    uint8_t *stream = make_stream(40, &len);
    s.buf = stream;
    s.len = len > 1400 ? 1400 : len; /* the lines that fit in one segment, and a cut one */
    sender_pump(&s);
    harness_run(h, 50 * NSEC_PER_MSEC);
    unsigned first = r.lines;
    assert_true(first >= 5 && first < 40);
    s.len = len;
    sender_pump(&s);
    harness_run(h, 50 * NSEC_PER_MSEC);
    assert_int_equal(r.lines, 40);
    assert_int_equal(r.bad, 0);
    size_t answers = 0; /* "ok N\n" for N = 1..40 */
    for (unsigned i = 1; i <= 40; i++)
        answers += (size_t)snprintf(NULL, 0, "ok %u\n", i);
    assert_int_equal(s.got, answers);
    finish(h, &r, &s);
    free(stream);
}

static void resume_later(struct timer *t)
{
    struct reader *r = t->arg;
    if (r->paused && r->conn) {
        r->paused = false;
        tcp_recv_resume(r->conn);
    }
}

/* The reader pauses every 50 lines and a timer resumes it 20 ms later, while the sender
 * pushes 4000 lines through a 4 KiB buffer: the window closes and opens, nothing is lost or
 * reordered, and EOF comes only after the last line. */
static void test_pause_resume_under_load(void **state)
{
    (void)state;
    struct reader r = {.pause_every = 50};
    struct sender s = {.close_when_sent = true};
    struct harness *h = setup(&r, &s, 4096);
    struct timer t;
    timer_init(&t, resume_later, &r);
    size_t len;
    uint8_t *stream = make_stream(4000, &len);
    s.buf = stream;
    s.len = len;
    sender_pump(&s);
    unsigned pauses = 0;
    for (int i = 0; i < 20000 && !r.closed; i++) {
        if (r.paused && !timer_armed(&t)) {
            assert_false(r.eof); /* no EOF while paused */
            pauses++;
            timer_arm_in(&h->timers, &t, 20 * NSEC_PER_MSEC);
        }
        harness_run(h, NSEC_PER_MSEC);
    }
    assert_int_equal(r.lines, 4000);
    assert_int_equal(r.bad, 0);
    assert_int_equal(pauses, 4000 / 50);
    assert_int_equal(r.eof_calls, 1);
    timer_cancel(&h->timers, &t);
    finish(h, &r, &s);
    free(stream);
}

/* The peer closes after a line without LF: on_eof still comes (the reader left bytes), and a
 * tcp_recv_resume() from on_eof offers them once more. */
static void test_eof_with_unterminated_line(void **state)
{
    (void)state;
    struct reader r = {.take_tail_at_eof = true};
    struct sender s = {.close_when_sent = true};
    struct harness *h = setup(&r, &s, 0);
    static const uint8_t text[] = "0 \nno end";
    s.buf = text;
    s.len = sizeof(text) - 1;
    sender_pump(&s);
    finish(h, &r, &s);
    assert_int_equal(r.lines, 1);
    assert_int_equal(r.bad, 0);
    assert_int_equal(r.eof_calls, 1);
    assert_int_equal(r.tail, 6);
}

/* A reader that left bytes while busy asks for them again with tcp_recv_resume() though
 * nothing new arrives; and tcp_close() from inside on_data with lines still queued. */
static void test_resume_without_new_data_and_close_inside_on_data(void **state)
{
    (void)state;
    struct reader r = {.pause_every = 3, .quit_at = 5};
    struct sender s = {0};
    struct harness *h = setup(&r, &s, 0);
    size_t len;
    uint8_t *stream = make_stream(8, &len);
    s.buf = stream;
    s.len = len;
    sender_pump(&s);
    harness_run(h, 50 * NSEC_PER_MSEC);
    assert_int_equal(r.lines, 3);
    assert_true(r.paused);
    r.paused = false;
    tcp_recv_resume(r.conn); /* nothing new arrived: the queued lines come again */
    harness_run(h, 50 * NSEC_PER_MSEC);
    assert_int_equal(r.lines, 5);
    assert_int_equal(r.bad, 0);
    finish(h, &r, &s);
    free(stream);
}

/* ------------------------------------------------------------------------- on_writable */

/* A writer that sends only whole records of 6000 bytes, checking tcp_send_space() first and
 * never making a short tcp_send(): on_writable wakes it each time space frees. (Before:
 * on_writable only followed a short tcp_send(), so this writer stalled once the buffer held
 * less than a record.) */
#define RECORD 6000
#define RECORDS 100

struct writer {
    struct tcp_conn *conn;
    unsigned records, wakeups;
    bool closed;
};

static void writer_pump(struct tcp_conn *c)
{
    struct writer *w = tcp_user(c);
    static uint8_t record[RECORD];
    while (w->records < RECORDS && tcp_send_space(c) >= RECORD) {
        assert_int_equal(tcp_send(c, record, RECORD), RECORD);
        w->records++;
    }
    if (w->records == RECORDS) {
        w->records++;
        tcp_close(c);
    }
}

static void writer_writable(struct tcp_conn *c)
{
    struct writer *w = tcp_user(c);
    w->wakeups++;
    writer_pump(c);
}

static void writer_close(struct tcp_conn *c, int reason)
{
    (void)reason;
    struct writer *w = tcp_user(c);
    w->closed = true;
}

static const struct tcp_callbacks writer_cb = {.on_writable = writer_writable,
                                               .on_close = writer_close};

static void writer_accept(struct tcp_conn *c, void *user)
{
    struct writer *w = user;
    w->conn = c;
    tcp_set_callbacks(c, &writer_cb, w);
    writer_pump(c);
}

static bool app_eof(void *arg)
{
    return ((struct app *)arg)->eof;
}

static void test_writable_after_send_space(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct tcp_params p;
    tcp_default_params(&p);
    p.snd_buf = 16384; /* two records fit, a third does not */
    assert_int_equal(tcp_configure(harness_a(h), &p), 0);
    struct writer w = {0};
    assert_non_null(tcp_listen(harness_a(h), PORT, writer_accept, &w, NULL));
    struct app cli = {.close_on_eof = true};
    app_connect(&cli, harness_b(h), ADDR_A, PORT);
    assert_true(harness_run_until(h, app_eof, &cli, 10 * NSEC_PER_SEC));
    assert_int_equal(cli.rx_done, (uint64_t)RECORD * RECORDS);
    assert_true(w.wakeups >= RECORDS / 2 - 1);
    harness_run(h, 61 * NSEC_PER_SEC);
    assert_true(w.closed);
    assert_int_equal(tcp_conn_count(harness_a(h)), 0);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_reader_one_byte_segments),
        cmocka_unit_test(test_lines_split_across_segments_and_wrap),
        cmocka_unit_test(test_pipelined_lines_one_per_call),
        cmocka_unit_test(test_pipelined_lines_answered_inside_on_data),
        cmocka_unit_test(test_pause_resume_under_load),
        cmocka_unit_test(test_eof_with_unterminated_line),
        cmocka_unit_test(test_resume_without_new_data_and_close_inside_on_data),
        cmocka_unit_test(test_writable_after_send_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
