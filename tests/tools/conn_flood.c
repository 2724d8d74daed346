/*
 * conn_flood: open N TCP connections to an echo service at once, hold them all until every one
 * is established (and then --hold seconds more), round-trip --bytes on each (checked), close.
 * One epoll loop, non-blocking sockets; client addresses taken in turn from --src so that more
 * than one address's worth of ports can be used. Exit 0 only if every connection echoed.
 *
 *   conn_flood --addr A.B.C.D [--port 7] [--conns N] [--src A,B,...] [--hold S] [--bytes N]
 *              [--connecting N] [--echoing N] [--echo-at UNIX_SECONDS] [--linger S]
 *              [--timeout S]
 *   conn_flood --serve PORT      (an epoll echo server on Linux sockets, for bench/conns)
 *
 * --linger S keeps each connection open S seconds after the last one echoed (memory is
 * measured then: "idle after moving data").
 *
 * Prints one line: "conn_flood: conns=N established=N echoed=N failed=N connect_s=F
 * echo_p50_ms=F echo_p99_ms=F". Bad arguments: one line on stderr and exit status 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SRC 64
#define MAX_BYTES 65536

enum phase { IDLE, CONNECTING, OPEN, SENDING, DONE, FAILED };

struct conn {
    int fd;
    enum phase phase;
    uint32_t sent, got;
    double t_start;
};

static struct {
    struct sockaddr_in dst;
    struct in_addr src[MAX_SRC];
    unsigned n_src, conns, connecting_max, echoing_max, bytes;
    double hold_s, timeout_s, echo_at, linger_s;
    unsigned serve_port; /* echo_at: wall-clock second to start echoing */
} opt = {.conns = 1000, .connecting_max = 1000, .echoing_max = 1000, .bytes = 64, .timeout_s = 120};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t pattern(unsigned conn, uint32_t i)
{
    return (uint8_t)((conn * 131u + i * 7u) ^ (i >> 8));
}

static _Noreturn void usage(const char *msg)
{
    fprintf(stderr,
            "conn_flood: %s (usage: conn_flood --addr A.B.C.D [--port P] [--conns N] "
            "[--src A,B] [--hold S] [--bytes N] [--connecting N] [--echoing N] "
            "[--timeout S])\n",
            msg);
    exit(2);
}

static unsigned long number(const char *s, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        usage("bad number");
    return v;
}

static void parse_src(char *list)
{
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (opt.n_src == MAX_SRC || inet_pton(AF_INET, tok, &opt.src[opt.n_src]) != 1)
            usage("bad --src");
        opt.n_src++;
    }
}

static void parse_args(int argc, char **argv)
{
    opt.dst.sin_family = AF_INET;
    opt.dst.sin_port = htons(7);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage("missing value");
        i++;
        if (!strcmp(a, "--addr") && inet_pton(AF_INET, v, &opt.dst.sin_addr) == 1)
            continue;
        else if (!strcmp(a, "--port"))
            opt.dst.sin_port = htons((uint16_t)number(v, 65535));
        else if (!strcmp(a, "--conns"))
            opt.conns = (unsigned)number(v, 10000000);
        else if (!strcmp(a, "--src"))
            parse_src(argv[i]);
        else if (!strcmp(a, "--hold"))
            opt.hold_s = (double)number(v, 86400);
        else if (!strcmp(a, "--bytes"))
            opt.bytes = (unsigned)number(v, MAX_BYTES);
        else if (!strcmp(a, "--connecting"))
            opt.connecting_max = (unsigned)number(v, 10000000);
        else if (!strcmp(a, "--echoing"))
            opt.echoing_max = (unsigned)number(v, 10000000);
        else if (!strcmp(a, "--linger"))
            opt.linger_s = (double)number(v, 86400);
        else if (!strcmp(a, "--serve"))
            opt.serve_port = (unsigned)number(v, 65535);
        else if (!strcmp(a, "--echo-at"))
            opt.echo_at = (double)number(v, 1ul << 40);
        else if (!strcmp(a, "--timeout"))
            opt.timeout_s = (double)number(v, 86400);
        else
            usage("unknown or bad option");
    }
    if (opt.serve_port)
        return;
    if (!opt.dst.sin_addr.s_addr || !opt.conns || !opt.connecting_max || !opt.echoing_max)
        usage("--addr and positive counts needed");
}

static void raise_nofile(unsigned need)
{
    struct rlimit rl = {.rlim_cur = need + 64, .rlim_max = need + 64};
    struct rlimit cur;
    if (getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_max > rl.rlim_max)
        rl.rlim_max = cur.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        fprintf(stderr, "conn_flood: cannot raise RLIMIT_NOFILE to %u: %s\n", need + 64,
                strerror(errno));
        exit(2);
    }
}

static struct conn *conns;
static int ep;
static unsigned next_open, connecting, established, echoing, next_echo, echoed, failed;
static double *rtts;

static void watch(struct conn *c, unsigned i, uint32_t events, int op)
{
    struct epoll_event ev = {.events = events, .data.u32 = i};
    if (epoll_ctl(ep, op, c->fd, &ev) < 0) {
        perror("conn_flood: epoll_ctl");
        exit(1);
    }
}

/* Why connections failed, printed after the summary when any did. */
enum why {
    WHY_SOCKET,
    WHY_CONNECT,
    WHY_HELD_RESET,
    WHY_HELD_EOF,
    WHY_HELD,
    WHY_LINGER,
    WHY_SEND,
    WHY_EOF,
    WHY_RESET,
    WHY_DATA,
    WHY_TIMEOUT,
    WHY_N
};
static const char *const why_name[WHY_N] = {"socket",    "connect", "held_reset", "held_eof",
                                            "held_data", "linger",  "send",       "eof",
                                            "reset",     "data",    "timeout"};
static unsigned why_count[WHY_N];

static void fail_why(struct conn *c, enum why why)
{
    why_count[why]++;
    if (c->phase == CONNECTING)
        connecting--;
    if (c->phase == SENDING)
        echoing--;
    c->phase = FAILED;
    failed++;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void open_one(unsigned i)
{
    struct conn *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    c->phase = CONNECTING;
    connecting++;
    if (c->fd < 0) {
        fail_why(c, WHY_SOCKET);
        return;
    }
    if (opt.n_src) {
        int one = 1;
        struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr = opt.src[i % opt.n_src]};
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
            fail_why(c, WHY_SOCKET);
            return;
        }
    }
    if (connect(c->fd, (struct sockaddr *)&opt.dst, sizeof(opt.dst)) < 0 && errno != EINPROGRESS) {
        fail_why(c, WHY_CONNECT);
        return;
    }
    watch(c, i, EPOLLOUT, EPOLL_CTL_ADD);
}

static void send_some(struct conn *c, unsigned i)
{
    uint8_t buf[MAX_BYTES];
    uint32_t n = opt.bytes - c->sent;
    for (uint32_t k = 0; k < n; k++)
        buf[k] = pattern(i, c->sent + k);
    ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN) {
        fail_why(c, WHY_SEND);
        return;
    }
    if (w > 0)
        c->sent += (uint32_t)w;
    watch(c, i, EPOLLIN | EPOLLRDHUP | (c->sent < opt.bytes ? EPOLLOUT : 0), EPOLL_CTL_MOD);
}

static void start_echo(unsigned i)
{
    struct conn *c = &conns[i];
    if (c->phase != OPEN)
        return;
    c->phase = SENDING;
    c->t_start = now_s();
    echoing++;
    send_some(c, i);
}

static void receive(struct conn *c, unsigned i)
{
    uint8_t buf[MAX_BYTES];
    ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
    if (r < 0 && errno == EAGAIN)
        return;
    if (r <= 0 || c->got + (uint32_t)r > opt.bytes) {
        fail_why(c, r == 0 ? WHY_EOF : r < 0 ? WHY_RESET : WHY_DATA);
        return;
    }
    for (ssize_t k = 0; k < r; k++)
        if (buf[k] != pattern(i, c->got + (uint32_t)k)) {
            fail_why(c, WHY_DATA);
            return;
        }
    c->got += (uint32_t)r;
    if (c->got < opt.bytes)
        return;
    rtts[echoed++] = now_s() - c->t_start;
    echoing--;
    c->phase = DONE;
    if (opt.linger_s > 0) { /* closed at the end; meanwhile EOF or data would be an error */
        watch(c, i, EPOLLRDHUP, EPOLL_CTL_MOD);
        return;
    }
    close(c->fd);
    c->fd = -1;
}

static void event(unsigned i, uint32_t ev)
{
    struct conn *c = &conns[i];
    if (c->phase == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (ev & (EPOLLERR | EPOLLHUP))) {
            fail_why(c, WHY_CONNECT);
            return;
        }
        c->phase = OPEN;
        connecting--;
        established++;
        watch(c, i, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
    } else if (c->phase == OPEN) {
        /* anything on a held connection (data, FIN, RST) is wrong */
        fail_why(c, ev & (EPOLLERR | EPOLLHUP) ? WHY_HELD_RESET
                    : ev & EPOLLRDHUP          ? WHY_HELD_EOF
                                               : WHY_HELD);
    } else if (c->phase == DONE) {
        fail_why(c, WHY_LINGER); /* lingering: the peer closed or sent more */
        echoed--;
    } else if (c->phase == SENDING) {
        if (ev & EPOLLOUT && c->sent < opt.bytes)
            send_some(c, i);
        if (c->phase == SENDING && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
            receive(c, i);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Echo server: every byte back, non-blocking; a connection whose peer does not read is dropped
 * rather than buffered without bound. Runs until killed. */
static int serve(void)
{
    raise_nofile(19900 - 64); /* under the hard limit of 20,000 here */
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.serve_port)};
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 4096) < 0) {
        perror("conn_flood: listen");
        return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int k = 0; k < n; k++) {
            int fd = evs[k].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct epoll_event e = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
                }
                continue;
            }
            uint8_t buf[MAX_BYTES];
            ssize_t r = recv(fd, buf, sizeof(buf), 0);
            if (r > 0 && send(fd, buf, (size_t)r, MSG_NOSIGNAL) == r)
                continue;
            if (r < 0 && errno == EAGAIN)
                continue;
            close(fd);
        }
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    if (opt.serve_port) {
        ep = epoll_create1(0);
        return ep < 0 ? 1 : serve();
    }
    raise_nofile(opt.conns);
    conns = calloc(opt.conns, sizeof(*conns));
    rtts = calloc(opt.conns, sizeof(*rtts));
    ep = epoll_create1(0);
    if (!conns || !rtts || ep < 0) {
        fprintf(stderr, "conn_flood: out of memory\n");
        return 1;
    }
    double t0 = now_s(), deadline = t0 + opt.timeout_s, t_open = 0, hold_until = 0;
    double linger_until = 0;
    struct epoll_event evs[1024];
    while (now_s() < deadline) {
        while (next_open < opt.conns && connecting < opt.connecting_max)
            open_one(next_open++);
        bool all_open = next_open == opt.conns && connecting == 0;
        if (all_open && t_open == 0) {
            t_open = now_s();
            hold_until = t_open + opt.hold_s;
            printf("conn_flood: all %u established, holding\n", established);
            fflush(stdout);
            if (opt.echo_at > 0) /* processes sharing one hold: the same wall-clock instant */
                hold_until = t_open + (opt.echo_at - (double)time(NULL));
        }
        if (all_open && now_s() >= hold_until)
            while (next_echo < opt.conns && echoing < opt.echoing_max)
                start_echo(next_echo++);
        if (all_open && next_echo == opt.conns && echoing == 0) {
            if (opt.linger_s > 0 && linger_until == 0) {
                printf("conn_flood: all echoed, lingering %.0f s\n", opt.linger_s);
                fflush(stdout);
                linger_until = now_s() + opt.linger_s;
            }
            if (now_s() >= linger_until)
                break;
        }
        int n = epoll_wait(ep, evs, 1024, 100);
        for (int k = 0; k < n; k++)
            event(evs[k].data.u32, evs[k].events);
    }
    for (unsigned i = 0; i < opt.conns; i++) {
        if (conns[i].fd >= 0 && conns[i].phase != DONE)
            fail_why(&conns[i], WHY_TIMEOUT);
        else if (conns[i].fd >= 0)
            close(conns[i].fd);
    }
    qsort(rtts, echoed, sizeof(*rtts), cmp_double);
    double p50 = echoed ? rtts[echoed / 2] : 0, p99 = echoed ? rtts[echoed * 99 / 100] : 0;
    printf("conn_flood: conns=%u established=%u echoed=%u failed=%u connect_s=%.2f "
           "echo_p50_ms=%.3f echo_p99_ms=%.3f\n",
           opt.conns, established, echoed, failed, t_open ? t_open - t0 : -1.0, p50 * 1e3,
           p99 * 1e3);
    if (failed) {
        fprintf(stderr, "conn_flood: failed:");
        for (int w = 0; w < WHY_N; w++)
            if (why_count[w])
                fprintf(stderr, " %s=%u", why_name[w], why_count[w]);
        fprintf(stderr, "\n");
    }
    return echoed == opt.conns ? 0 : 1;
}
