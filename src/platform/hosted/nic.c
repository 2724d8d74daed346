/*
 * The NIC table behind plat_net_*: NIC 0 is the TAP of --tap or the capture of --replay.
 * Every frame that crosses a NIC, in either direction, also goes to the --pcap writer.
 */
#include <errno.h>
#include <string.h>

#include "hosted.h"

static struct hosted_nic nics[PLAT_MAX_NICS];
static unsigned nic_count;

/* A random locally administered unicast MAC, unless --mac gave one. */
static void nic_pick_mac(struct hosted_nic *nic, const struct unic_config *cfg)
{
    if (cfg->have_mac) {
        memcpy(nic->info.mac, cfg->mac, 6);
        return;
    }
    plat_random(nic->info.mac, 6);
    nic->info.mac[0] = (uint8_t)((nic->info.mac[0] & 0xfe) | 0x02);
}

int nic_open_all(const struct unic_config *cfg, char *err, size_t errlen, int *status)
{
    *status = 2;
    if (cfg->tap && cfg->replay)
        return hosted_fail(err, errlen, "--tap and --replay cannot be used together");
    if (!cfg->tap && !cfg->replay)
        return hosted_fail(err, errlen, "no network device: give --tap IF (or --replay FILE)");
    if (cfg->tap_create && !cfg->tap)
        return hosted_fail(err, errlen, "--tap-create needs --tap IF");
    *status = 1;
    struct hosted_nic *nic = &nics[0];
    memset(nic, 0, sizeof(*nic));
    nic->fd = -1;
    int r = cfg->tap ? tap_open(nic, cfg->tap, cfg->tap_create, config_offload(cfg), err, errlen)
                     : replay_open(nic, cfg->replay, err, errlen);
    if (r < 0)
        return r;
    nic_pick_mac(nic, cfg);
    nic_count = 1;
    if (cfg->pcap && capture_open(cfg->pcap, err, errlen) < 0) {
        nic_close_all();
        return -1;
    }
    return 0;
}

struct hosted_nic *nic_get(unsigned nic)
{
    return nic < nic_count ? &nics[nic] : NULL;
}

bool nic_any_failed(void)
{
    for (unsigned i = 0; i < nic_count; i++)
        if (nics[i].failed)
            return true;
    return false;
}

void nic_print_stats(void)
{
    for (unsigned i = 0; i < nic_count; i++)
        if (nics[i].kind == HOSTED_NIC_TAP)
            tap_print_stats(&nics[i]);
}

void nic_flush_all(void)
{
    for (unsigned i = 0; i < nic_count; i++)
        if (nics[i].kind == HOSTED_NIC_TAP)
            uring_flush(&nics[i]);
}

void nic_close_all(void)
{
    for (unsigned i = 0; i < nic_count; i++) {
        if (nics[i].kind == HOSTED_NIC_TAP)
            tap_close(&nics[i]);
        else
            replay_close(&nics[i]);
    }
    nic_count = 0;
}

unsigned plat_net_count(void)
{
    return nic_count;
}

int plat_net_info(unsigned nic, struct plat_net_info *out)
{
    struct hosted_nic *n = nic_get(nic);
    if (!n)
        return -ENODEV;
    *out = n->info;
    return 0;
}

int plat_net_send(unsigned nic, const void *frame, size_t len, const struct plat_net_tso *tso)
{
    struct hosted_nic *n = nic_get(nic);
    if (!n)
        return -ENODEV;
    if (n->kind == HOSTED_NIC_REPLAY) {
        /* There is no wire behind a replay: the frame only goes to the capture. */
        if (len == 0 || len > 65535 || tso)
            return -EINVAL;
        capture_frame(frame, len);
        return 0;
    }
    int r = tap_send(n, frame, len, tso); /* a super-packet is captured as it is */
    if (r == 0)
        capture_frame(frame, len);
    else if (r == -EAGAIN)
        wait_watch_writable(nic); /* the platform contract: wake the loop when there is room */
    return r;
}

int plat_net_recv(unsigned nic, struct plat_net_rx *rx)
{
    struct hosted_nic *n = nic_get(nic);
    if (!n)
        return -ENODEV;
    int r = n->kind == HOSTED_NIC_TAP ? tap_recv(n, rx) : replay_recv(n, rx);
    if (r == 0)
        capture_frame(rx->in_large ? rx->large : rx->buf, rx->len);
    return r;
}
