/*
 * The same authoritative DNS server as a plain Linux program on POSIX UDP sockets: the Linux
 * side of the IncludeOS DNS comparison. Same service logic, same arguments (plus --listen).
 *
 * main -> setup (arguments, zone) -> serve: recvmmsg a batch (blocking for the first datagram)
 * -> dns_answer each into its own buffer -> sendmmsg the batch. Single-threaded, like unic.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unic/platform.h"

#include "answer.h"
#include "dns_service.h"

#define BATCH 32
#define QUERY_MAX 4096
#define ZONE_FILE_MAX (64u << 20)

struct batch {
    struct mmsghdr rx[BATCH], tx[BATCH];
    struct iovec rx_iov[BATCH], tx_iov[BATCH];
    struct sockaddr_storage peer[BATCH]; /* either family */
    uint8_t query[BATCH][QUERY_MAX];
    uint8_t answer[BATCH][DNS_ANSWER_EDNS_MAX];
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* random.c (linked for siphash24) draws its seed from the platform: here, the kernel. */
void plat_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            perror("dns-linux: getrandom");
            exit(1);
        }
        p += got;
        n -= (size_t)got;
    }
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (size_t)size <= ZONE_FILE_MAX && (text = malloc((size_t)size + 1)) != NULL &&
        fread(text, 1, (size_t)size, f) == (size_t)size) {
        fclose(f);
        *len = (size_t)size;
        return text;
    }
    fprintf(stderr, "dns-linux: cannot read zone file %s\n", path);
    free(text);
    if (f)
        fclose(f);
    return NULL;
}

/* A UDP socket bound to --listen, an IPv4 or an IPv6 address. */
static int open_socket(const struct dns_service_args *a)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    const char *listen = a->listen ? a->listen : "0.0.0.0";
    socklen_t len = sizeof(*in4);
    if (inet_pton(AF_INET, listen, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(a->port);
    } else if (inet_pton(AF_INET6, listen, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        len = sizeof(*in6);
    } else {
        fprintf(stderr, "dns-linux: --listen needs an IPv4 or IPv6 address, not '%s'\n", listen);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0) {
        fprintf(stderr, "dns-linux: cannot bind %s port %u: %s\n", listen, a->port,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void batch_init(struct batch *b)
{
    memset(b->rx, 0, sizeof(b->rx));
    for (int i = 0; i < BATCH; i++) {
        b->rx_iov[i] = (struct iovec){.iov_base = b->query[i], .iov_len = QUERY_MAX};
        b->rx[i].msg_hdr = (struct msghdr){.msg_name = &b->peer[i],
                                           .msg_namelen = sizeof(b->peer[i]),
                                           .msg_iov = &b->rx_iov[i],
                                           .msg_iovlen = 1};
    }
}

/* Answer (n) received datagrams; returns how many answers to send. */
static unsigned answer_batch(const struct dns_zone *z, struct batch *b, unsigned n,
                             struct dns_answer_stats *st)
{
    unsigned out = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t len = dns_answer(z, b->query[i], b->rx[i].msg_len, b->answer[out],
                                sizeof(b->answer[out]), st);
        b->rx[i].msg_hdr.msg_namelen = sizeof(b->peer[i]); /* reset for the next recvmmsg */
        if (len == 0)
            continue;
        b->tx_iov[out] = (struct iovec){.iov_base = b->answer[out], .iov_len = len};
        b->tx[out].msg_hdr = (struct msghdr){.msg_name = &b->peer[i],
                                             .msg_namelen = sizeof(b->peer[i]),
                                             .msg_iov = &b->tx_iov[out],
                                             .msg_iovlen = 1};
        out++;
    }
    return out;
}

static void serve(int fd, const struct dns_zone *z, struct dns_answer_stats *st)
{
    static struct batch b; /* ~200 KiB: not on the stack */
    batch_init(&b);
    while (!stopping) {
        int n = recvmmsg(fd, b.rx, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno != EINTR)
                perror("dns-linux: recvmmsg");
            continue;
        }
        unsigned out = answer_batch(z, &b, (unsigned)n, st);
        for (unsigned sent = 0; sent < out;) {
            int k = sendmmsg(fd, b.tx + sent, out - sent, 0);
            if (k <= 0)
                break; /* a full socket buffer drops the rest, as a NIC ring would */
            sent += (unsigned)k;
        }
    }
}

static void print_stats(const struct dns_answer_stats *st)
{
    const uint64_t *v = (const uint64_t *)st;
    printf("stats dns:");
    for (size_t i = 0; i < dns_answer_stat_count; i++)
        if (v[i])
            printf(" %s=%llu", dns_answer_stat_names[i], (unsigned long long)v[i]);
    printf("\n");
}

static int setup_zone(struct dns_zone *z, const struct dns_service_args *a)
{
    char *text = NULL, err[256];
    size_t len = 0;
    if (a->zone_file && !(text = read_file(a->zone_file, &len)))
        return -1;
    uint8_t key[16];
    plat_random(key, sizeof(key));
    zone_init(z, key, ZONE_DEFAULT_BUDGET);
    int rc = dns_service_build_zone(z, a, text, len, err, sizeof(err));
    free(text);
    if (rc)
        fprintf(stderr, "%s\n", err);
    return rc;
}

/* The options (dns_linux_options: no TCP here) into (args). 0, 1 after --help, or 2. */
static int parse_args(int argc, char **argv, struct dns_service_args *args)
{
    static struct option_set opts;
    size_t count = DNS_LINUX_OPTION_COUNT;
    char err[256];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            static char help[4096];
            options_help(dns_linux_options, count, help, sizeof(help));
            printf("usage: dns-linux [options]\n%s", help);
            return 1;
        }
    }
    if (options_parse(&opts, dns_linux_options, count, 0, argc - 1, argv + 1, err, sizeof(err)) <
        0) {
        fprintf(stderr, "dns-linux: %s\n", err);
        return 2;
    }
    dns_service_args_from(&opts, true, args);
    return 0;
}

int main(int argc, char **argv)
{
    struct dns_service_args args;
    int rc = parse_args(argc, argv, &args);
    if (rc)
        return rc == 1 ? 0 : 2;
    static struct dns_zone zone;
    static struct dns_answer_stats stats;
    if (setup_zone(&zone, &args))
        return 2;
    int fd = open_socket(&args);
    if (fd < 0)
        return 2;
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: recvmmsg returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char origin[DNS_MAX_NAME_TEXT];
    dns_name_to_text(&zone.origin, origin, sizeof(origin));
    printf("dns-linux: %u records in zone %s, answering on UDP %s port %u\n",
           zone_record_count(&zone), origin, args.listen ? args.listen : "0.0.0.0", args.port);
    fflush(stdout);
    serve(fd, &zone, &stats);
    print_stats(&stats);
    close(fd);
    zone_destroy(&zone);
    return 0;
}
