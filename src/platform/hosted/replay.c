/*
 * A NIC that replays a pcap file into the stack, for regression tests: each plat_net_recv()
 * delivers the next frame of the capture, as fast as the stack takes them (timestamps are not
 * honoured: the stack's behaviour must not depend on the pace of a recorded trace). Frames the
 * stack sends are not put on any wire; --pcap records them. Once the capture is exhausted,
 * plat_wait() reports a shutdown, so the process ends cleanly and flushes its own capture.
 * A truncated or corrupt capture is a failed NIC: one line names the file and the damage, the
 * process stops and exits with status 1 (main.c), so a regression run cannot pass on it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hosted.h"

int replay_open(struct hosted_nic *nic, const char *path, char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline(path, perr);
    if (!p)
        return hosted_fail(err, errlen, "cannot replay %s: %s", path, perr);
    if (pcap_datalink(p) != DLT_EN10MB) {
        int dlt = pcap_datalink(p);
        pcap_close(p);
        return hosted_fail(err, errlen, "cannot replay %s: link type %d is not Ethernet", path,
                           dlt);
    }
    nic->kind = HOSTED_NIC_REPLAY;
    nic->fd = -1;
    nic->replay = p;
    nic->exhausted = false;
    snprintf(nic->name, sizeof(nic->name), "%s", path);
    nic->info.mtu = 1500;
    nic->info.features = 0;
    nic->info.rx_max_frame = PLAT_NET_MAX_FRAME; /* a capture may hold super-packets */
    return 0;
}

int replay_recv(struct hosted_nic *nic, struct plat_net_rx *rx)
{
    if (nic->exhausted)
        return -EAGAIN;
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int r = pcap_next_ex(nic->replay, &hdr, &data);
    if (r == PCAP_ERROR_BREAK) {
        nic->exhausted = true;
        return -EAGAIN;
    }
    if (r != 1) { /* a regression run on a damaged capture must not pass: the NIC fails */
        hosted_warn("replay %s: damaged capture after %llu frames: %s", nic->name,
                    (unsigned long long)nic->replayed, pcap_geterr(nic->replay));
        nic->exhausted = true;
        nic->failed = true;
        return -EIO;
    }
    nic->replayed++;
    return plat_net_rx_copy(rx, data, hdr->caplen);
}

void replay_close(struct hosted_nic *nic)
{
    if (nic->replay)
        pcap_close(nic->replay);
    nic->replay = NULL;
}
