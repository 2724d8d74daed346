#!/bin/bash
# ctest: heavy
# TCP over IPv6 against the real Linux stack, with examples/echo, in a namespace of its own:
#  - N MB through echo (port 7) with nc -6: sha256 of what came back equals what was sent
#    (TCP6_ECHO_MB, default 100 on hosted, 10 on kvm: QEMU under TCG in CI), in TCP/IPv6
#    super-packets both ways through the NIC's offloads (hosted TAP, kvm virtio-net);
#  - F MB the same with the service's NIC at --loss 0.02 --reorder 0.02 (a fresh service run;
#    TCP6_ECHO_FAULT_MB, default 3: echo at 2% loss each way runs at ~6-10 Mbit/s against
#    Linux's nc, over IPv4 as over IPv6, so 100 MB takes over 2 minutes: a manual run);
#  - UDP echo over IPv6;
#  - at the stop the service reports zero open connections.
# Usage: tcp6_echo.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" tcp6_echo
unic_need nc sha256sum head awk
if [ "$UNIC_PLATFORM" = kvm ]; then
    [ -f "$UNIC_KVM_BIN/echo.elf" ] || unic_skip "no $UNIC_KVM_BIN/echo.elf"
fi
MB=${TCP6_ECHO_MB:-100}
[ "$UNIC_PLATFORM" = kvm ] && MB=${TCP6_ECHO_MB:-10}
FMB=${TCP6_ECHO_FAULT_MB:-3}
data=$UNIC_TMP/data
head -c $((MB * 1024 * 1024)) /dev/urandom >"$data"
want=$(sha256sum <"$data" | cut -d' ' -f1)
fdata=$UNIC_TMP/fdata
head -c $((FMB * 1024 * 1024)) "$data" >"$fdata"
fwant=$(sha256sum <"$fdata" | cut -d' ' -f1)

unic_netns
unic_netns6
SVC6=$UNIC_SVC_IP6

# echo6 LABEL FILE MB SHA256
echo6() {
    local label=$1 file=$2 mb=$3 sum=$4 t0 t1 got
    t0=$(date +%s.%N)
    got=$(unic_ns -t 240 sh -c "nc -6 -N $SVC6 7 <'$file' | sha256sum" | cut -d' ' -f1)
    t1=$(date +%s.%N)
    unic_figure "$label echo over IPv6 ${mb} MB: $(awk -v a="$t0" -v b="$t1" -v m="$mb" 'BEGIN { printf "%.2f s, %.0f Mbit/s each way", b - a, m * 8.388608 / (b - a) }')"
    [ "$got" = "$sum" ] || unic_fail "$label: echo over IPv6 returned sha256 $got, sent $sum"
}

stop_check() {
    local label=$1 open
    sleep 1
    unic_stop 30
    [ "$UNIC_STATUS" -eq 0 ] || unic_fail "$label: exit status $UNIC_STATUS"
    open=$(grep -o "echo: accepted=.*" "$UNIC_LOG" | tail -n 1 | tr ' ' '\n' | awk -F= '$1 == "open" { print $2 }')
    unic_figure "$label: $(grep -o 'stats tcp: .*' "$UNIC_LOG" | tail -n 1)"
    [ "$open" = 0 ] || unic_fail "$label: $open connections open at the stop"
}

unic_start echo --ip6 "$SVC6/64"
unic_wait_ping6 "$SVC6"
echo6 clean "$data" "$MB" "$want"
udp=$(unic_ns -t 10 sh -c "echo ping-udp6 | nc -6 -u -w 1 $SVC6 7")
[ "$udp" = ping-udp6 ] || unic_fail "UDP echo over IPv6 returned '$udp'"
stop_check clean
# The offloads carry IPv6 too: TCP/IPv6 super-packets both ways (TAP: TUN_F_TSO6 and GSO TCPV6;
# virtio-net: GUEST_TSO6 and HOST_TSO6).
nic=tap
[ "$UNIC_PLATFORM" = kvm ] && nic=kvm.net0
nic_stats=$(grep -o "stats $nic: .*" "$UNIC_LOG" | tail -n 1)
tso=$(sed -n 's/.* tx_tso_frames=\([0-9]*\).*/\1/p' <<<"$nic_stats")
gso=$(sed -n 's/.* rx_gso_frames=\([0-9]*\).*/\1/p' <<<"$nic_stats")
unic_figure "clean: $nic sent $tso and received $gso TCP/IPv6 super-packets"
[ "${tso:-0}" -gt 0 ] && [ "${gso:-0}" -gt 0 ] ||
    unic_fail "no IPv6 super-packets through the NIC's offloads: $nic_stats"

unic_start echo --ip6 "$SVC6/64" --loss 0.02 --reorder 0.02 --seed 7
unic_wait_ping6 "$SVC6" 30
echo6 faults "$fdata" "$FMB" "$fwant"
stop_check faults

unic_pass "${MB} MB echo over IPv6 clean, ${FMB} MB at 2% loss + 2% reordering (sha256 equal), UDP echo over IPv6"
