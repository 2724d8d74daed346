/*
 * The authoritative DNS server as a unic service: one UDP socket, answers written in place, and
 * a TCP listener on the same port (dns_tcp_server.h: RFC 7766, zone transfers).
 *
 * on_query -> udp_alloc (headroom for UDP/IP/Ethernet) -> dns_answer writes the answer straight
 * into the buffer's payload area -> udp_send_buf. The query is read in place in the received
 * frame, so apart from building the answer nothing is copied.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unic.h"
#include "unic/udp.h"

#include "answer.h"
#include "dns_service.h"
#include "dns_tcp_server.h"

#if UNIC_PLATFORM_hosted
#define ZONE_FILE_MAX (64u << 20)
#endif

#define SERVICE_STATS(X) X(no_buffer) X(send_failed)

struct service_stats {
    SERVICE_STATS(STATS_FIELD)
};
static const char *const service_stat_names[] = {SERVICE_STATS(STATS_NAME)};

static struct dns_zone zone;
static struct dns_answer_stats answer_stats;
static struct service_stats service_stats;
static struct udp_sock *sock;
static struct dns_tcp_server tcp_server;

static void on_query(struct udp_sock *s, const struct udp_meta *meta, const uint8_t *data,
                     size_t len)
{
    struct netbuf *nb = udp_alloc(s, DNS_ANSWER_EDNS_MAX);
    if (!nb) {
        service_stats.no_buffer++;
        return;
    }
    size_t n = dns_answer(&zone, data, len, nb->data, netbuf_tailroom(nb), &answer_stats);
    if (n == 0) {
        netbuf_free(nb);
        return;
    }
    netbuf_put(nb, n);
    /* From the address the query was sent to (an IPv6 stack has several; a broadcast or
     * multicast one means our unicast address). */
    if (udp_send_buf_from(s, meta->dst, meta->src, meta->sport, nb) != 0)
        service_stats.send_failed++;
}

#if UNIC_PLATFORM_hosted
/* The whole zone file in a malloc'd buffer (bounded), or NULL with a message in (err). */
static char *read_zone_file(const char *path, size_t *len, char *err, size_t errlen)
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
    snprintf(err, errlen, "dns: cannot read zone file %s%s", path,
             size > (long)ZONE_FILE_MAX ? " (over 64 MiB)" : "");
    free(text);
    if (f)
        fclose(f);
    return NULL;
}
#endif

/* The zone file's text, or NULL when there is none; -EINVAL when it cannot be had. */
static int zone_text(const struct dns_service_args *a, char **text, size_t *len, char *err,
                     size_t errlen)
{
    *text = NULL;
    *len = 0;
    if (!a->zone_file)
        return 0;
#if UNIC_PLATFORM_hosted
    *text = read_zone_file(a->zone_file, len, err, errlen);
    return *text ? 0 : -EINVAL;
#else
    snprintf(err, errlen,
             "dns: --zone is not available on this platform (no file system); "
             "use --records N");
    return -EINVAL;
#endif
}

static void dns_print_stats(void)
{
    stats_print("dns", dns_answer_stat_names, &answer_stats, dns_answer_stat_count, 0);
    stats_print("dns_service", service_stat_names, &service_stats, STATS_COUNT(service_stat_names),
                0);
    dns_tcp_server_print_stats(&tcp_server);
}

const struct unic_service unic_service = {
    .summary = "authoritative DNS server over UDP and TCP, with zone transfers",
    .options = dns_service_options,
    .option_count = DNS_SERVICE_OPTION_COUNT,
    .print_stats = dns_print_stats,
};

static int setup(char *err, size_t errlen)
{
    struct dns_service_args args;
    dns_service_args_from(unic_options(), false, &args);
    int rc;
    char *text;
    size_t len;
    if (zone_text(&args, &text, &len, err, errlen))
        return -EINVAL;
    uint8_t key[16];
    random_bytes(key, sizeof(key));
    zone_init(&zone, key, ZONE_DEFAULT_BUDGET);
    rc = dns_service_build_zone(&zone, &args, text, len, err, errlen);
    free(text);
    if (rc)
        return rc;
    struct acl allow;
    char why[128];
    if (acl_parse(&allow, args.axfr_allow, why, sizeof(why))) {
        snprintf(err, errlen, "dns: --axfr-allow: %s", why);
        return -EINVAL;
    }
    int bind_err = 0;
    sock = udp_bind(unic_inet(), args.port, on_query, NULL, &bind_err);
    if (!sock) {
        snprintf(err, errlen, "dns: cannot bind UDP port %u (%d)", args.port, bind_err);
        return -EINVAL;
    }
    bind_err = dns_tcp_server_start(&tcp_server, unic_inet(), unic_timers(), &zone, &answer_stats,
                                    args.port, args.tcp_idle_timeout_s * NSEC_PER_SEC,
                                    args.tcp_max_conns, &allow);
    if (bind_err) {
        snprintf(err, errlen, "dns: cannot listen on TCP port %u (%d)", args.port, bind_err);
        return -EINVAL;
    }
    char origin[DNS_MAX_NAME_TEXT];
    dns_name_to_text(&zone.origin, origin, sizeof(origin));
    unic_printf("dns: %u records in zone %s, answering on UDP and TCP port %u (transfers: %s)",
                zone_record_count(&zone), origin, args.port,
                allow.count ? args.axfr_allow : "nobody");
    return 0;
}

int service_start(int argc, char **argv)
{
    (void)argc, (void)argv;
    char err[256];
    if (setup(err, sizeof(err)) == 0)
        return 0;
    unic_printf("%s", err);
    zone_destroy(&zone);
    return 2;
}

void service_stop(void)
{
    dns_tcp_server_stop(&tcp_server);
    if (sock)
        udp_close(sock);
    zone_destroy(&zone);
}
