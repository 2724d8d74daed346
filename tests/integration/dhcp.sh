#!/bin/bash
# hello started WITHOUT --ip gets its address from a real DHCP server, dnsmasq, run in the
# test's own namespace on the TAP only:
#  - the service logs "dhcp: bound A.B.C.D/24 gw G dns D lease 120s" with the values dnsmasq
#    hands out (address inside the range, router and DNS options), within 15 s;
#  - dnsmasq recorded the lease for the service's MAC;
#  - 20 pings to the leased address: 0% loss;
#  - renewal: at T1 (10 s, option 58 from dnsmasq; without it 60 s of the 120 s lease) the
#    service renews with a REQUEST unicast from its address to the server (seen on the TAP) and
#    dnsmasq ACKs it (seen in dnsmasq's log); the address still answers ping afterwards.
# Set UNIC_DHCP_SKIP_RENEW=1 to stop after the ping (saves ~10 s).
# Usage: dhcp.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" dhcp
unic_need dnsmasq awk

bin=$(unic_service_binary hello) || exit $?
# kvm: the runner must be able to use our TAP (lib.sh's interface: qemu-run --tap IF IMAGE...)
# and leave the address to DHCP.
if [ "$UNIC_PLATFORM" = kvm ] && ! "$UNIC_QEMU_RUN" --help 2>&1 | grep -q -- "--tap"; then
    unic_skip "$UNIC_QEMU_RUN has no --tap option yet"
fi
unic_netns

net=${UNIC_HOST_IP%.1} # 10.N.0
lease_s=120            # dnsmasq's minimum
t1_s=10                # option 58 from dnsmasq: the client must take T1 from the server
mac=02:00:00:d0:0c:01
leases=$UNIC_TMP/dnsmasq.leases
dlog=$UNIC_TMP/dnsmasq.log
# Foreground, the TAP only, no config file, DNS off (port 0), every file in the temp dir.
unic_bg ip netns exec "$UNIC_NS" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --port=0 --interface="$UNIC_TAP" --bind-interfaces --except-interface=lo \
    --dhcp-range="$net.100,$net.150,255.255.255.0,${lease_s}s" \
    --dhcp-option=option:router,"$UNIC_HOST_IP" \
    --dhcp-option=option:dns-server,"$UNIC_HOST_IP" \
    --dhcp-option=option:T1,$t1_s --dhcp-option=option:T2,$((t1_s * 2)) \
    --dhcp-leasefile="$leases" --pid-file="$UNIC_TMP/dnsmasq.pid" --user=root \
    --log-dhcp --log-facility="$dlog"
dnsmasq_pid=$UNIC_BG_PID
for ((i = 0; i < 50; i++)); do
    grep -q "DHCP, IP range" "$dlog" 2>/dev/null && break
    sleep 0.1
done
grep -q "DHCP, IP range" "$dlog" 2>/dev/null || unic_fail "dnsmasq did not start: $(cat "$dlog")"

# The service without --ip: the stack asks DHCP.
t0=$(date +%s.%N)
if [ "$UNIC_PLATFORM" = hosted ]; then
    ip netns exec "$UNIC_NS" "$bin" --tap "$UNIC_TAP" --mac "$mac" ${UNIC_DHCP_EXTRA:-} >"$UNIC_LOG" 2>&1 &
else
    ip netns exec "$UNIC_NS" "$UNIC_QEMU_RUN" --tap "$UNIC_TAP" "$bin" --mac "$mac" \
        >"$UNIC_LOG" 2>&1 &
fi
UNIC_PID=$!
unic_log "started hello (pid $UNIC_PID) without --ip in $UNIC_NS"

limit=15
[ "$UNIC_PLATFORM" = kvm ] && limit=60
end=$((SECONDS + limit))
line=""
while [ $SECONDS -lt $end ]; do
    unic_alive || unic_fail "the service exited before it was bound"
    line=$(grep -m1 "dhcp: bound" "$UNIC_LOG")
    [ -n "$line" ] && break
    sleep 0.1
done
[ -n "$line" ] || unic_fail "no 'dhcp: bound' line within $limit s"
t1=$(date +%s.%N)
unic_log "service: $line"
unic_figure "time from start to bound: $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"

# "dhcp: bound A.B.C.D/N gw G dns D lease Ns"
read -r addr gw dns lease < <(sed -E 's/.*dhcp: bound ([0-9.]+)\/24 gw ([0-9.]+) dns ([0-9.]+) lease ([0-9]+)s.*/\1 \2 \3 \4/' <<<"$line")
last=${addr##*.}
[ "${addr%.*}" = "$net" ] && [ "$last" -ge 100 ] && [ "$last" -le 150 ] ||
    unic_fail "bound address '$addr' is not in $net.100-150 (line: $line)"
[ "$gw" = "$UNIC_HOST_IP" ] || unic_fail "gateway '$gw', expected $UNIC_HOST_IP"
[ "$dns" = "$UNIC_HOST_IP" ] || unic_fail "dns '$dns', expected $UNIC_HOST_IP"
[ "$lease" = "$lease_s" ] || unic_fail "lease '$lease' s, expected $lease_s"
grep -q "$mac $addr" "$leases" || unic_fail "dnsmasq has no lease of $addr for $mac: $(cat "$leases")"

out=$(unic_ns -t 30 ping -q -c 20 -i 0.05 -W 1 "$addr" 2>&1)
loss=$(grep -o '[0-9.]*% packet loss' <<<"$out")
unic_figure "ping -c 20 $addr: $loss"
[ "$loss" = "0% packet loss" ] || unic_fail "ping of the leased address: $out"

if [ "${UNIC_DHCP_SKIP_RENEW:-0}" != 1 ]; then
    # T1 = $t1_s s after the REQUEST (option 58). dnsmasq logs every DHCPACK; the first was the
    # initial lease. Wait for a second one (bounded: T1 + 30 s).
    acks() { grep -c "DHCPACK($UNIC_TAP) $addr $mac" "$dlog"; }
    [ "$(acks)" -eq 1 ] || unic_fail "expected one DHCPACK so far, dnsmasq log: $(cat "$dlog")"
    cap=$UNIC_TMP/renew.pcap
    unic_capture "$cap"
    end=$((SECONDS + t1_s + 30))
    while [ $SECONDS -lt $end ] && [ "$(acks)" -lt 2 ]; do
        unic_alive || unic_fail "the service died while bound"
        sleep 1
    done
    t2=$(date +%s.%N)
    unic_capture_stop
    [ "$(acks)" -ge 2 ] || unic_fail "no renewal within $((t1_s + 30)) s of the lease"
    unic_figure "renewal DHCPACK $(awk "BEGIN { printf \"%.1f\", $t2 - $t1 }") s after bound (T1 = $t1_s s from the server)"
    # A renewal is a REQUEST from the bound address (ciaddr): dnsmasq logs it as such.
    grep -q "DHCPREQUEST($UNIC_TAP) $addr $mac" "$dlog" || unic_fail "no DHCPREQUEST logged"
    unicast=$(tcpdump -nr "$cap" "udp and src host $addr and dst host $UNIC_HOST_IP and src port 68 and dst port 67" 2>/dev/null | wc -l)
    bcast=$(tcpdump -nr "$cap" "udp and dst host 255.255.255.255 and dst port 67" 2>/dev/null | wc -l)
    unic_figure "renewal REQUESTs on the TAP: unicast to the server=$unicast, broadcast=$bcast"
    [ "$unicast" -ge 1 ] && [ "$bcast" -eq 0 ] || unic_fail "the renewal was not a unicast REQUEST"
    unic_ns -t 10 ping -q -c 3 -i 0.2 -W 1 "$addr" >/dev/null ||
        unic_fail "no ping answer after the renewal"
fi

unic_stop
if [ "$UNIC_PLATFORM" = hosted ]; then
    [ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after SIGTERM, expected 0"
fi
kill -TERM "$dnsmasq_pid" 2>/dev/null
unic_pass "DHCP lease $addr from dnsmasq, ping 0% loss$([ "${UNIC_DHCP_SKIP_RENEW:-0}" = 1 ] || echo ", renewed at T1")"
