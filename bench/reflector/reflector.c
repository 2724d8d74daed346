/*
 * tap_reflector: the floor of the hosted DNS benchmark. A process on a TAP that does no protocol
 * work: one blocking read() per frame, and for a frame it answers one write(). It answers
 *   - ARP requests for its address (so the namespace can reach it), and
 *   - IPv4 UDP datagrams to port 53 with at least a DNS header: the frame is turned around in
 *     place (MACs, addresses and ports swapped), the header gets QR and one answer after the
 *     question, an A record that points back at it (0xc00c) with (--answer ADDR), so the reply
 *     has the size and shape of the real service's (an EDNS record is dropped); the UDP
 *     checksum is sent as 0 (none, legal in IPv4).
 * Everything else is dropped. No stack, no timers, no allocation: what a TAP and a process
 * cost per query, which bench/dns/run puts beside unic's dns as unic / floor.
 *
 *   tap_reflector --tap IF --ip ADDR [--answer ADDR] [--max-seconds S]
 *
 * The TAP must exist (bench/dns/run creates it in its namespace). Stops on SIGTERM/SIGINT or
 * after --max-seconds (default 3600), so a forgotten one does not run on. Exit status 2 for bad
 * options, 1 for a device that cannot be opened.
 */
#define _GNU_SOURCE /* sigaction, O_CLOEXEC, struct ifreq under -std=c11 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_tun.h>

#define ETH_HLEN 14
#define ARP_LEN 28
#define IP_MIN_HLEN 20
#define UDP_HLEN 8
#define DNS_HLEN 12
#define ANSWER_LEN 16 /* name pointer, type, class, TTL, length, IPv4 address */
#define FRAME_MAX 2048

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
    uint8_t t[6];
    memcpy(t, a, n);
    memcpy(a, b, n);
    memcpy(b, t, n);
}

/* The IPv4 header checksum over (len) bytes (20 without options: cheap, and a reply the
 * kernel drops for a bad one would measure nothing). */
static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += rd16(p + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* An ARP request for (ip): the reply in place; its length, or 0 to drop. */
static size_t answer_arp(uint8_t *f, size_t len, const uint8_t mac[6], const uint8_t ip[4])
{
    uint8_t *a = f + ETH_HLEN;
    if (len < ETH_HLEN + ARP_LEN || rd16(a) != 1 || rd16(a + 2) != 0x0800 || a[4] != 6 ||
        a[5] != 4 || rd16(a + 6) != 1 || memcmp(a + 24, ip, 4) != 0)
        return 0;
    memcpy(f, a + 8, 6); /* to the asker */
    memcpy(f + 6, mac, 6);
    wr16(a + 6, 2);
    memcpy(a + 18, a + 8, 10); /* target = the sender's MAC and address */
    memcpy(a + 8, mac, 6);
    memcpy(a + 14, ip, 4);
    return ETH_HLEN + ARP_LEN;
}

/* The end of the one question of the DNS message (d) of (len) bytes (its name, type and class),
 * or 0 when it does not fit: the answer goes there and whatever followed (EDNS) is dropped. */
static size_t question_end(const uint8_t *d, size_t len)
{
    size_t at = DNS_HLEN;
    while (at < len && d[at] != 0 && d[at] < 64)
        at += 1 + (size_t)d[at];
    return at < len && d[at] == 0 && at + 5 <= len ? at + 5 : 0;
}

/* A UDP/53 query to (ip): the answer in place; its length, or 0 to drop. */
static size_t answer_dns(uint8_t *f, size_t len, const uint8_t ip[4], const uint8_t answer[4])
{
    uint8_t *h = f + ETH_HLEN;
    if (len < ETH_HLEN + IP_MIN_HLEN || (h[0] >> 4) != 4 || h[9] != 17 ||
        memcmp(h + 16, ip, 4) != 0 || (rd16(h + 6) & 0x3fff) != 0)
        return 0;
    size_t ihl = (size_t)(h[0] & 0x0f) * 4;
    size_t ip_len = rd16(h + 2);
    if (ihl < IP_MIN_HLEN || ip_len < ihl + UDP_HLEN + DNS_HLEN || ETH_HLEN + ip_len > len)
        return 0;
    uint8_t *u = h + ihl, *d = u + UDP_HLEN;
    size_t dns_len = ip_len - ihl - UDP_HLEN;
    size_t q_end = question_end(d, dns_len);
    if (rd16(u + 2) != 53 || rd16(u + 4) != ip_len - ihl || (d[2] & 0x80) || rd16(d + 4) != 1 ||
        !q_end || ETH_HLEN + ihl + UDP_HLEN + q_end + ANSWER_LEN > FRAME_MAX)
        return 0;
    static const uint8_t rr[12] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4};
    memcpy(d + q_end, rr, sizeof(rr));
    memcpy(d + q_end + sizeof(rr), answer, 4);
    d[2] = (uint8_t)(d[2] | 0x84); /* QR, AA; opcode and RD kept */
    d[3] = 0;                      /* no RA, RCODE 0 */
    wr16(d + 6, 1);                /* ANCOUNT */
    wr16(d + 8, 0);                /* NSCOUNT, ARCOUNT: an EDNS record is not echoed */
    wr16(d + 10, 0);
    ip_len = ihl + UDP_HLEN + q_end + ANSWER_LEN;
    swap(f, f + 6, 6);
    swap(h + 12, h + 16, 4);
    swap(u, u + 2, 2);
    wr16(u + 4, (uint16_t)(ip_len - ihl));
    wr16(u + 6, 0);
    wr16(h + 2, (uint16_t)ip_len);
    h[8] = 64;
    wr16(h + 10, 0);
    wr16(h + 10, ip_checksum(h, ihl));
    return ETH_HLEN + ip_len;
}

static int usage(void)
{
    fprintf(stderr, "usage: tap_reflector --tap IF --ip ADDR [--answer ADDR] [--max-seconds S]\n");
    return 2;
}

static int open_tap(const char *name)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        return -1;
    }
    (void)ioctl(fd, TUNSETOFFLOAD, 0ul); /* plain frames, whatever an earlier user set */
    return fd;
}

int main(int argc, char **argv)
{
    const char *tap = NULL;
    uint8_t ip[4], answer[4] = {10, 128, 0, 1};
    bool have_ip = false;
    long max_seconds = 3600;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            return usage();
        if (!strcmp(argv[i], "--tap"))
            tap = argv[i + 1];
        else if (!strcmp(argv[i], "--ip") && inet_pton(AF_INET, argv[i + 1], ip) == 1)
            have_ip = true;
        else if (!strcmp(argv[i], "--answer") && inet_pton(AF_INET, argv[i + 1], answer) == 1)
            continue;
        else if (!strcmp(argv[i], "--max-seconds") && (max_seconds = atol(argv[i + 1])) > 0)
            continue;
        else
            return usage();
    }
    if (!tap || !have_ip)
        return usage();
    int fd = open_tap(tap);
    if (fd < 0) {
        fprintf(stderr, "tap_reflector: cannot open TAP %s: %s\n", tap, strerror(errno));
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: read() returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)max_seconds);
    const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x53};
    static uint8_t f[FRAME_MAX];
    unsigned long answered = 0;
    while (!stop) {
        ssize_t n = read(fd, f, sizeof(f) - ANSWER_LEN);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "tap_reflector: read: %s\n", strerror(errno));
            return 1;
        }
        size_t out = answer_dns(f, (size_t)n, ip, answer);
        if (!out)
            out = answer_arp(f, (size_t)n, mac, ip);
        if (out && write(fd, f, out) == (ssize_t)out)
            answered++;
    }
    fprintf(stderr, "tap_reflector: %lu frames answered\n", answered);
    close(fd);
    return 0;
}
