#!/bin/bash
# A burst of malformed frames (tests/tools/malformed.py: truncated Ethernet/ARP/IPv4/ICMP, bad
# IP and ICMP checksums, bogus total and header lengths, bad options, fragments with bogus
# offsets, overlapping fragments, a flood of unfinished fragment trains, and 2000 randomly
# mutated frames) is sent into the TAP. Afterwards the service is still alive, still answers
# ping (small and fragmented) with 0% loss, and exits cleanly on SIGTERM.
# With UNIC_HOSTED_BIN=build/asan/bin the same run checks for memory errors.
# Usage: malformed.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" malformed
unic_need python3

unic_netns
unic_start hello
unic_wait_ready

svc_mac=$(ip -n "$UNIC_NS" neigh show "$UNIC_SVC_IP" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2)
tap_mac=$(ip -n "$UNIC_NS" link show "$UNIC_TAP" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
[ -n "$svc_mac" ] && [ -n "$tap_mac" ] || unic_fail "cannot find the MACs (service '$svc_mac', TAP '$tap_mac')"

tool=$UNIC_SOURCE_DIR/tests/tools/malformed.py
out=$(unic_ns -t 120 python3 "$tool" "$UNIC_TAP" --src-mac "$tap_mac" --dst-mac "$svc_mac" \
    --src-ip "$UNIC_HOST_IP" --dst-ip "$UNIC_SVC_IP" --random 2000 --seed "${UNIC_SEED:-1}" \
    --verbose 2>&1) || unic_fail "the frame sender failed: $out"
echo "$out" | sed 's/^/    /' >&2
dropped=$(ip -n "$UNIC_NS" -s link show "$UNIC_TAP" | awk '/TX:/ { getline; print $4 }')
unic_figure "$(tail -n 1 <<<"$out"), not delivered by the TAP queue: ${dropped:-?}"
sent=$(tail -n 1 <<<"$out" | grep -o 'sent=[0-9]*' | cut -d= -f2)
# A busy host slows QEMU down; a quarter lost still leaves ~1900 frames that reached it.
[ "${dropped:-0}" -le $((sent / 4)) ] ||
    unic_fail "the TAP queue dropped $dropped of $sent frames: the service saw too little of the burst"

sleep 0.5
unic_alive || unic_fail "the service died during the burst"

out=$(unic_ns -t 30 ping -q -c 20 -i 0.05 -W 1 "$UNIC_SVC_IP" 2>&1)
rx=$(grep -o '[0-9]* received' <<<"$out" | cut -d' ' -f1)
unic_figure "ping -c 20 after the burst: received ${rx:-0}"
[ "${rx:-0}" -eq 20 ] || unic_fail "ping after the burst: ${rx:-0} of 20 replies"

# Reassembly must not be wedged by the unfinished trains of the burst.
out=$(unic_ns -t 30 ping -q -c 3 -i 0.2 -W 2 -s 3000 "$UNIC_SVC_IP" 2>&1)
rx=$(grep -o '[0-9]* received' <<<"$out" | cut -d' ' -f1)
unic_figure "ping -c 3 -s 3000 after the burst: received ${rx:-0}"
[ "${rx:-0}" -eq 3 ] || unic_fail "fragmented ping after the burst: ${rx:-0} of 3 replies"

unic_alive || unic_fail "the service died"
unic_stop # kvm: the power button; the guest's own exit status either way
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after stop, expected 0"
! grep -Eq 'panic|AddressSanitizer|runtime error' "$UNIC_LOG" ||
    unic_fail "the service log reports a panic or a sanitizer error"
# The drop counters explain where the burst went (informational).
grep -E '^stats (eth|arp|ip4|reass|icmp):' "$UNIC_LOG" | sed 's/^/    /' >&2
unic_pass "service alive and answering after the malformed burst"
