/*
 * resolve: the stack's DNS resolver from a service, for trying it against real servers.
 *
 *   resolve [--ip A.B.C.D/N --dns S | (DHCP)] -- [--repeat] [--exit] [--aaaa] NAME...
 *
 * Once the stack has an address (at once with --ip, else when DHCP is bound: inet_on_up) each
 * NAME is resolved and one line printed per answer; an IPv6-only stack (no IPv4 address) starts
 * as soon as a router announced a DNS server (RDNSS), asking every 250 ms for up to 60 s:
 *   resolve: NAME A.B.C.D ttl N        or        resolve: NAME error: REASON
 * --repeat resolves every name a second time once all have answered (the cache answers that
 * round); --exit ends the service after the last answer, with status 0 if every name resolved;
 * --aaaa asks for an IPv6 address first and an IPv4 one when the name has none
 * (dns_resolve_type, DNS_WANT_AAAA_A).
 */
#include <errno.h>
#include <string.h>

#include "unic.h"
#include "unic/dns_resolver.h"

#define RESOLVE_MAX_NAMES 16
#define RESOLVE_WAIT_NS (250 * 1000 * 1000ull) /* between tries while no server is known */
#define RESOLVE_WAIT_TRIES 240

struct resolve_state {
    const char *names[RESOLVE_MAX_NAMES];
    int count, answered, failed, round;
    bool repeat, exit_when_done;
    enum dns_want want;
    struct timer wait; /* no DNS server yet (IPv6 only, before RDNSS): try again */
    int waits;
};

static struct resolve_state st;

static const char *resolve_reason(int status)
{
    switch (status) {
    case -ENOENT:
        return "no such name";
    case -ETIMEDOUT:
        return "timed out";
    case -EIO:
        return "server failure";
    default:
        return "error";
    }
}

static void resolve_round(struct inet *inet);

static void resolve_done(struct inet *inet, const char *name, int status, struct unic_addr addr,
                         uint32_t ttl, void *arg)
{
    (void)arg;
    char a[UNIC_ADDR_STRLEN];
    if (status == 0) {
        unic_printf("resolve: %s %s ttl %u", name, unic_addr_format(addr, a), (unsigned)ttl);
    } else {
        unic_printf("resolve: %s error: %s", name, resolve_reason(status));
        st.failed++;
    }
    if (++st.answered < st.count)
        return;
    if (st.repeat && st.round == 1) {
        resolve_round(inet);
    } else if (st.exit_when_done) {
        unic_shutdown(st.failed ? 1 : 0);
    }
}

static void resolve_round(struct inet *inet)
{
    st.round++;
    st.answered = 0;
    for (int i = 0; i < st.count; i++) {
        int r = dns_resolve_type(inet, st.names[i], st.want, resolve_done, NULL);
        if (r == -EDESTADDRREQ && st.round == 1 && ++st.waits < RESOLVE_WAIT_TRIES) {
            dns_cancel(inet, resolve_done, NULL); /* the whole round again, later */
            st.round = 0;
            timer_arm_in(unic_timers(), &st.wait, RESOLVE_WAIT_NS);
            return;
        }
        if (r < 0) {
            unic_printf("resolve: %s error: cannot start (%d)", st.names[i], r);
            st.failed++;
            st.answered++;
        }
    }
    if (st.answered == st.count && st.exit_when_done)
        unic_shutdown(1);
}

static void resolve_wait(struct timer *t)
{
    (void)t;
    if (st.round == 0)
        resolve_round(unic_inet());
}

static void resolve_on_up(struct inet *inet, void *arg)
{
    (void)arg;
    if (st.round == 0)
        resolve_round(inet);
}

static const struct option_spec resolve_options[] = {
    {"--repeat", OPTION_FLAG, NULL, NULL, 0, 0, "resolve every name again (from the cache)"},
    {"--exit", OPTION_FLAG, NULL, NULL, 0, 0,
     "end after the last answer (status 0 if every name resolved)"},
    {"--aaaa", OPTION_FLAG, NULL, NULL, 0, 0,
     "ask for an IPv6 address (AAAA), then IPv4 (A) if the name has none"},
};

const struct unic_service unic_service = {
    .summary = "resolves each NAME with the stack's DNS resolver",
    .options = resolve_options,
    .option_count = sizeof(resolve_options) / sizeof(resolve_options[0]),
    .operands = "NAME...",
    .min_operands = 1,
    .max_operands = RESOLVE_MAX_NAMES,
};

int service_start(int argc, char **argv)
{
    st.repeat = options_flag(unic_options(), "--repeat");
    st.exit_when_done = options_flag(unic_options(), "--exit");
    st.want = options_flag(unic_options(), "--aaaa") ? DNS_WANT_AAAA_A : DNS_WANT_A;
    for (int i = 1; i < argc; i++) /* 1..RESOLVE_MAX_NAMES of them, checked by the OS */
        st.names[st.count++] = argv[i];
    struct inet *inet = unic_inet();
    timer_init(&st.wait, resolve_wait, NULL);
    inet_on_up(inet, resolve_on_up, NULL);
    /* With an IPv4 address, or a DNS server known some other way (RDNSS): now; without a
     * server the round waits (resolve_round) unless DHCP's on_up comes first. */
    resolve_round(inet);
    return 0;
}
