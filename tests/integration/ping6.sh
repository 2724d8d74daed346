#!/bin/bash
# IPv6 (RFC 8200, 4443, 4861): hello, IPv6 only (--ip6 ... --no-dhcp, no --ip), answers
# Linux's ping -6 in a namespace of its own:
#  - at its static --ip6 address (after duplicate address detection) and at its link-local
#    address (modified EUI-64 of --mac), 20 pings each, 0% loss;
#  - ping -6 -s 8000: fragmented both ways (the TAP capture counts fragment headers);
#  - ndisc6 resolves both addresses to the service's MAC (neighbour solicitation/advert).
# Usage: ping6.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" ping6
unic_need ndisc6 tcpdump

unic_netns
unic_netns6
mac=02:00:00:00:00:02
ll=$(unic_eui64_ll $mac)
bin=$(unic_service_binary hello) || exit $?
if [ "$UNIC_PLATFORM" = hosted ]; then
    ip netns exec "$UNIC_NS" "$bin" --tap "$UNIC_TAP" --mac $mac --ip6 "$UNIC_SVC_IP6/64" \
        --no-dhcp >"$UNIC_LOG" 2>&1 &
    UNIC_PID=$!
else
    unic_boot "$bin" --mac $mac --ip6 "$UNIC_SVC_IP6/64" --no-dhcp
fi
unic_wait_ping6 "$UNIC_SVC_IP6"
grep -q "no IPv4 address" "$UNIC_LOG" || unic_fail "IPv6 only: the log does not say no IPv4"
! unic_ns -t 5 ping -c 1 -W 1 "$UNIC_SVC_IP" >/dev/null 2>&1 || unic_fail "IPv4 answers too"

ping_check() {
    local out=$1 count=$2 what=$3 tx rx
    tx=$(grep -o '[0-9]* packets transmitted' <<<"$out" | cut -d' ' -f1)
    rx=$(grep -o '[0-9]* received' <<<"$out" | cut -d' ' -f1)
    unic_figure "$what: transmitted=${tx:-?} received=${rx:-?}"
    [ "$tx" = "$count" ] && [ "$rx" = "$count" ] || unic_fail "$what: expected $count/$count: $out"
}

out=$(unic_ns -t 30 ping -6 -q -c 20 -i 0.05 -W 2 "$UNIC_SVC_IP6" 2>&1)
ping_check "$out" 20 "ping -6 global"
out=$(unic_ns -t 30 ping -6 -q -c 20 -i 0.05 -W 2 "$ll%$UNIC_TAP" 2>&1)
ping_check "$out" 20 "ping -6 link-local"

cap=$UNIC_TMP/frag6.pcap
unic_capture "$cap"
out=$(unic_ns -t 30 ping -6 -c 5 -i 0.2 -W 3 -s 8000 "$UNIC_SVC_IP6" 2>&1)
unic_capture_stop
ping_check "$out" 5 "ping -6 -s 8000"
full=$(grep -c "^8008 bytes from $UNIC_SVC_IP6" <<<"$out")
[ "$full" -eq 5 ] || unic_fail "ping -6 -s 8000: $full of 5 replies carried all 8008 bytes"
# ip6[6] is the next header: 44 is a fragment header right after the fixed one.
out_frags=$(tcpdump -nr "$cap" "ip6 src $UNIC_SVC_IP6 and ip6[6] == 44" 2>/dev/null | wc -l)
in_frags=$(tcpdump -nr "$cap" "ip6 dst $UNIC_SVC_IP6 and ip6[6] == 44" 2>/dev/null | wc -l)
unic_figure "ping -6 -s 8000: fragments to the service=$in_frags, from the service=$out_frags"
[ "$in_frags" -ge 30 ] && [ "$out_frags" -ge 30 ] ||
    unic_fail "expected >= 6 fragments per packet in each direction"

for a in "$UNIC_SVC_IP6" "$ll"; do
    out=$(unic_ns -t 20 ndisc6 -r 3 -w 2000 "$a" "$UNIC_TAP" 2>&1)
    grep -qi "$mac" <<<"$out" || unic_fail "ndisc6 $a: no answer with $mac: $out"
done
unic_figure "ndisc6: $UNIC_SVC_IP6 and $ll at $mac"

unic_stop
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after stop, expected 0"
unic_pass "IPv6 only: ping -6 global and link-local, -s 8000 fragmented both ways, ndisc6"
