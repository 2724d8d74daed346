#!/bin/bash
# --pcap FILE records every frame in and out, readable by tcpdump -r: after 5 pings (and a
# -s 3000 one, fragmented) and a SIGTERM, the file holds the 5 echo requests and the 5 replies
# with matching sequence numbers, the ARP exchange, and the fragments of the large ping. The
# file is also readable while the service runs (it is flushed whenever the service goes idle).
# Hosted only: --pcap is a hosted option (kvm: skipped).
# Usage: pcap.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" pcap
[ "$UNIC_PLATFORM" = hosted ] || unic_skip "--pcap is a hosted platform option"
unic_need tcpdump

cap=$UNIC_TMP/hello.pcap
unic_netns
unic_start hello --pcap "$cap"
unic_wait_ready
# unic_wait_ready's pings are in the file too: count only the ICMP id of the pings below, which
# ping takes from its pid; so use a fixed identifier instead (-e, iputils >= 20210202).
ident=4242
unic_ns -t 20 ping -q -c 5 -i 0.05 -W 1 -e $ident "$UNIC_SVC_IP" >/dev/null ||
    unic_fail "ping failed"
unic_ns -t 20 ping -q -c 1 -W 2 -s 3000 -e $((ident + 1)) "$UNIC_SVC_IP" >/dev/null ||
    unic_fail "ping -s 3000 failed"

# Flushed while idle: readable before the service stops.
sleep 0.5
live=$(tcpdump -nr "$cap" "icmp[icmptype] = icmp-echoreply and icmp[4:2] = $ident" 2>/dev/null |
    wc -l)
unic_figure "replies in the capture while running: $live"
[ "$live" -eq 5 ] || unic_fail "the capture is not current while idle ($live of 5 replies)"

unic_stop
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after SIGTERM"

tcpdump -nr "$cap" >"$UNIC_TMP/dump.txt" 2>"$UNIC_TMP/dump.err" ||
    unic_fail "tcpdump -r cannot read the capture: $(cat "$UNIC_TMP/dump.err")"
grep -q "link-type EN10MB" "$UNIC_TMP/dump.err" || unic_fail "capture is not Ethernet"

count() {
    tcpdump -nr "$cap" "$1" 2>/dev/null | wc -l
}
requests=$(count "icmp[icmptype] = icmp-echo and icmp[4:2] = $ident and dst host $UNIC_SVC_IP")
replies=$(count "icmp[icmptype] = icmp-echoreply and icmp[4:2] = $ident and src host $UNIC_SVC_IP")
arp_replies=$(count "arp and arp[6:2] = 2 and src host $UNIC_SVC_IP")
frags_in=$(count "dst host $UNIC_SVC_IP and (ip[6:2] & 0x3fff) != 0")
frags_out=$(count "src host $UNIC_SVC_IP and (ip[6:2] & 0x3fff) != 0")
unic_figure "capture: $(wc -l <"$UNIC_TMP/dump.txt") frames; echo requests=$requests replies=$replies" \
    "arp replies=$arp_replies fragments in=$frags_in out=$frags_out"
[ "$requests" -eq 5 ] || unic_fail "expected the 5 echo requests, found $requests"
[ "$replies" -eq 5 ] || unic_fail "expected the 5 echo replies, found $replies"
[ "$arp_replies" -ge 1 ] || unic_fail "the ARP reply is not in the capture"
[ "$frags_in" -ge 3 ] && [ "$frags_out" -ge 3 ] ||
    unic_fail "the fragments of ping -s 3000 are missing (in=$frags_in out=$frags_out)"

# Each request's sequence number comes back in a reply.
for seq in 1 2 3 4 5; do
    n=$(count "icmp[icmptype] = icmp-echoreply and icmp[4:2] = $ident and icmp[6:2] = $seq")
    [ "$n" -eq 1 ] || unic_fail "echo reply seq $seq: found $n"
done
unic_pass "tcpdump -r reads the capture: 5 requests, 5 replies, ARP, fragments"
