/*
 * libFuzzer harness for DNS over TCP (examples/dns/dns_tcp.h): the framing of a byte stream,
 * pipelining, back-pressure and zone transfers.
 *
 * Input: one byte N (its low 4 bits), N control bytes, then the stream the client sends. The
 * control bytes, taken in turn, are the sizes of the pieces the stream arrives in (a piece of
 * 1..256 bytes) and the send space freed at each writable (64..16384 bytes); the first one's
 * low bit says whether the client may transfer the zone. The stream is fed
 *  1. through a session that gets it in those pieces with that little send space, with
 *     unconsumed bytes offered again the way unic TCP does, then send space until it is done;
 *  2. through a session that gets it whole with unlimited space.
 * Both must send the same bytes (the split and the back-pressure change nothing), never
 * consume more than offered, and send only well-framed DNS responses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_service.h"
#include "dns_tcp.h"
#include "unic/wire/bytes.h"

#define OUT_CAP (16u << 20)
#define MAX_STREAM 8192

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_zone zone;
static struct dns_answer_stats answer_stats;
static struct dns_tcp_shared shared;

static const char zone_text[] = "$ORIGIN example.\n"
                                "@ SOA ns1 hostmaster 5 3600 600 86400 60\n"
                                "@ NS ns1\n"
                                "@ MX 10 mail\n"
                                "ns1 A 10.0.0.53\n"
                                "mail A 10.0.0.25\n"
                                "alias CNAME ns1\n"
                                "t TXT \"hello\" \"world\"\n"
                                "sub NS ns.sub\n"
                                "ns.sub A 10.0.0.77\n";

struct conn {
    struct dns_tcp_session s;
    uint8_t *pending;
    size_t npending;
    uint8_t *out;
    size_t nout;
    size_t space; /* SIZE_MAX: unlimited */
    bool paused;
    unsigned resumes;
};

static long io_send(void *ctx, const void *buf, size_t len)
{
    struct conn *c = ctx;
    if (len > c->space || c->nout + len > OUT_CAP)
        abort(); /* the session sends only what space() allowed */
    memcpy(c->out + c->nout, buf, len);
    c->nout += len;
    if (c->space != SIZE_MAX)
        c->space -= len;
    return (long)len;
}

static size_t io_space(void *ctx)
{
    return ((struct conn *)ctx)->space;
}

static void io_pause(void *ctx)
{
    ((struct conn *)ctx)->paused = true;
}

static void io_resume(void *ctx)
{
    struct conn *c = ctx;
    c->paused = false;
    c->resumes++;
}

static const struct dns_tcp_io io = {io_send, io_space, io_pause, io_resume};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const uint8_t key[16] = {7};
    struct dns_service_args a = {
        .records = 40, .records_given = true, .wide = 60, .zone_file = "fuzz"};
    char err[256];
    zone_init(&zone, key, ZONE_DEFAULT_BUDGET);
    if (dns_service_build_zone(&zone, &a, zone_text, strlen(zone_text), err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    shared.zone = &zone;
    shared.answer_stats = &answer_stats;
    shared.xfr_soft = 512; /* many transfer messages from a small zone */
    return 0;
}

static void conn_init(struct conn *c, size_t space, bool allowed)
{
    static uint8_t out_a[OUT_CAP], out_b[OUT_CAP];
    static bool second;
    memset(c, 0, sizeof(*c));
    c->out = second ? out_b : out_a;
    second = !second;
    c->space = space;
    dns_tcp_session_init(&c->s, &shared, &io, c, allowed);
}

static void offer(struct conn *c)
{
    if (c->paused || c->npending == 0)
        return;
    size_t used = dns_tcp_input(&c->s, c->pending, c->npending);
    if (used > c->npending)
        abort();
    memmove(c->pending, c->pending + used, c->npending - used);
    c->npending -= used;
}

static void writable(struct conn *c, size_t n)
{
    c->space += n;
    unsigned before = c->resumes;
    dns_tcp_writable(&c->s);
    if (c->resumes != before)
        offer(c);
}

/* Every frame of (c)'s output holds a DNS response. */
static void check_frames(const struct conn *c)
{
    size_t pos = 0;
    while (pos < c->nout) {
        if (c->nout - pos < 2)
            abort();
        size_t n = rd16(c->out + pos);
        struct dns_hdr h;
        if (pos + 2 + n > c->nout || dns_hdr_parse(c->out + pos + 2, n, &h) != 0 ||
            !(h.flags & DNS_FLAG_QR))
            abort();
        pos += 2 + n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t nctl = data[0] & 15;
    if (nctl == 0 || size < 1 + nctl || size - 1 - nctl > MAX_STREAM)
        return 0;
    const uint8_t *ctl = data + 1, *stream = data + 1 + nctl;
    size_t len = size - 1 - nctl;
    bool allowed = ctl[0] & 1;
    static struct conn a, b;
    static uint8_t pend_a[MAX_STREAM], pend_b[MAX_STREAM];

    conn_init(&a, 64 + (size_t)ctl[0] * 4, allowed);
    a.pending = pend_a;
    size_t k = 0;
    for (size_t off = 0; off < len; k++) {
        size_t piece = 1 + ctl[k % nctl];
        piece = piece < len - off ? piece : len - off;
        memcpy(a.pending + a.npending, stream + off, piece);
        a.npending += piece;
        off += piece;
        offer(&a);
        if (a.paused)
            writable(&a, 64 + (size_t)ctl[(k + 1) % nctl] * 64);
    }
    for (unsigned round = 0; round < 100000 && (a.paused || dns_tcp_busy(&a.s)); round++, k++)
        writable(&a, 64 + (size_t)ctl[k % nctl] * 64);
    if (dns_tcp_busy(&a.s))
        abort(); /* space came and came, and the session still waits */

    conn_init(&b, SIZE_MAX, allowed);
    b.pending = pend_b;
    memcpy(b.pending, stream, len);
    b.npending = len;
    offer(&b);
    if (dns_tcp_busy(&b.s) || a.npending != b.npending)
        abort();
    if (a.nout != b.nout || memcmp(a.out, b.out, a.nout) != 0)
        abort();
    check_frames(&b);
    return 0;
}
