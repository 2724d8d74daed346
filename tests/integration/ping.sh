#!/bin/bash
# hello answers Linux's own ping and arping, in a namespace of its own:
#  - 100 pings at 20 ms intervals, 0% loss;
#  - ping -s 8000 (an 8028-byte IP packet: fragmented on the way in and on the way out; the
#    fragments of both directions are counted on the TAP), 0% loss, full-size replies;
#  - arping gets answers;
#  - left idle for 10 s, the service uses < 20 ms of CPU (hosted; for kvm QEMU's CPU time is
#    reported and only a busy loop fails: > 2 s).
# Usage: ping.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" ping
unic_need arping tcpdump awk

unic_netns
unic_start hello
unic_wait_ready

# ping's summary line: "N packets transmitted, M received, [+E errors, ]L% packet loss"
ping_check() {
    local out=$1 count=$2 what=$3
    local tx rx
    tx=$(grep -o '[0-9]* packets transmitted' <<<"$out" | cut -d' ' -f1)
    rx=$(grep -o '[0-9]* received' <<<"$out" | cut -d' ' -f1)
    unic_figure "$what: transmitted=${tx:-?} received=${rx:-?} ($(grep -o '[0-9.]*% packet loss' <<<"$out"))"
    [ "$tx" = "$count" ] && [ "$rx" = "$count" ] || unic_fail "$what: expected $count/$count replies"
    ! grep -q errors <<<"$out" || unic_fail "$what: ping reported errors"
}

# 1. Many small pings, closely spaced.
out=$(unic_ns -t 30 ping -q -c 100 -i 0.02 -W 1 "$UNIC_SVC_IP" 2>&1)
ping_check "$out" 100 "ping -c 100 -i 0.02"

# 2. Large pings: both directions fragment (MTU 1500). Capture the TAP to see fragments.
cap=$UNIC_TMP/frag.pcap
unic_capture "$cap"
out=$(unic_ns -t 30 ping -c 10 -i 0.1 -W 2 -s 8000 "$UNIC_SVC_IP" 2>&1)
unic_capture_stop
ping_check "$out" 10 "ping -c 10 -s 8000"
full=$(grep -c "^8008 bytes from $UNIC_SVC_IP" <<<"$out")
[ "$full" -eq 10 ] || unic_fail "ping -s 8000: $full of 10 replies carried all 8008 bytes"
# Fragments (MF set or offset non-zero) from the service and to it.
frag_filter='(ip[6:2] & 0x3fff) != 0'
out_frags=$(tcpdump -nr "$cap" "src host $UNIC_SVC_IP and $frag_filter" 2>/dev/null | wc -l)
in_frags=$(tcpdump -nr "$cap" "dst host $UNIC_SVC_IP and $frag_filter" 2>/dev/null | wc -l)
unic_figure "ping -s 8000: fragments to the service=$in_frags, from the service=$out_frags"
[ "$in_frags" -ge 60 ] && [ "$out_frags" -ge 60 ] ||
    unic_fail "expected >= 6 fragments per packet in each direction"

# 3. arping: three requests, three replies.
out=$(unic_ns -t 20 arping -c 3 -w 10 -I "$UNIC_TAP" "$UNIC_SVC_IP" 2>&1)
replies=$(grep -o 'Received [0-9]* response' <<<"$out" | grep -o '[0-9]*')
unic_figure "arping -c 3: ${replies:-0} replies"
[ "${replies:-0}" -eq 3 ] || unic_fail "arping: expected 3 replies: $out"

# 4. Idle: no traffic for 10 s. Let the last exchanges settle first.
sleep 1
cpu0=$(unic_cpu_ms "$UNIC_PID")
us0=$(unic_cpu_us "$UNIC_PID")
wake0=$(unic_wakeups "$UNIC_PID")
sleep 10
unic_alive || unic_fail "the service died while idle"
cpu=$(($(unic_cpu_ms "$UNIC_PID") - cpu0))
us1=$(unic_cpu_us "$UNIC_PID")
wakes=$(($(unic_wakeups "$UNIC_PID") - wake0))
exact=""
[ -n "$us0" ] && [ -n "$us1" ] && exact=" (schedstat: $((us1 - us0)) us)"
unic_figure "idle 10 s: utime+stime=${cpu} ms$exact, wake-ups=$wakes"
if [ "$UNIC_PLATFORM" = hosted ]; then
    [ "$cpu" -lt 20 ] || unic_fail "idle CPU ${cpu} ms >= 20 ms"
    [ -z "$exact" ] || [ $((us1 - us0)) -lt 20000 ] || unic_fail "idle CPU$exact >= 20 ms"
else
    [ "$cpu" -lt 2000 ] || unic_fail "idle QEMU used ${cpu} ms of CPU in 10 s: a busy loop?"
fi

# Still answering after the idle period, and a clean exit on SIGTERM.
unic_ns -t 10 ping -c 1 -W 2 "$UNIC_SVC_IP" >/dev/null || unic_fail "no answer after idling"
unic_stop # kvm: the power button; the guest's own exit status either way
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after stop, expected 0"
unic_pass "100 pings, ping -s 8000 fragmented both ways, arping, idle CPU"
