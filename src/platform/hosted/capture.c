/*
 * --pcap FILE: every frame in and out, as the device saw it (after fault injection on the way
 * out, before it on the way in), written with libpcap so tcpdump -r and Wireshark read it.
 * Frames are buffered by stdio; the buffer is flushed whenever the process is about to sleep
 * (so the file is current whenever the service is idle) and at exit.
 */
#include <string.h>
#include <sys/time.h>

#include "hosted.h"

#define CAPTURE_SNAPLEN PLAT_NET_MAX_FRAME /* whole super-packets of a TAP with offloads */

static pcap_t *capture_dead;
static pcap_dumper_t *capture_dumper;

int capture_open(const char *path, char *err, size_t errlen)
{
    capture_dead = pcap_open_dead(DLT_EN10MB, CAPTURE_SNAPLEN);
    if (!capture_dead)
        return hosted_fail(err, errlen, "cannot start a capture: out of memory");
    capture_dumper = pcap_dump_open(capture_dead, path);
    if (!capture_dumper) {
        hosted_fail(err, errlen, "cannot write capture %s: %s", path, pcap_geterr(capture_dead));
        pcap_close(capture_dead);
        capture_dead = NULL;
        return -1;
    }
    return 0;
}

void capture_frame(const void *frame, size_t len)
{
    if (!capture_dumper)
        return;
    struct pcap_pkthdr hdr;
    memset(&hdr, 0, sizeof(hdr));
    gettimeofday(&hdr.ts, NULL);
    hdr.len = (bpf_u_int32)len;
    hdr.caplen = (bpf_u_int32)(len < CAPTURE_SNAPLEN ? len : CAPTURE_SNAPLEN);
    pcap_dump((u_char *)capture_dumper, &hdr, frame);
}

bool capture_active(void)
{
    return capture_dumper != NULL;
}

void capture_flush(void)
{
    if (capture_dumper && pcap_dump_flush(capture_dumper) < 0)
        hosted_warn("capture: write failed");
}

void capture_close(void)
{
    if (capture_dumper) {
        capture_flush();
        pcap_dump_close(capture_dumper);
        capture_dumper = NULL;
    }
    if (capture_dead) {
        pcap_close(capture_dead);
        capture_dead = NULL;
    }
}
