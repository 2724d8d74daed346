#!/bin/bash
# SLAAC (RFC 4862) from radvd, and RDNSS (RFC 8106): hello started with no address option at
# all gets its link-local address and, from radvd's router advertisement in the namespace, a
# global address (the /64 prefix + modified EUI-64 of its MAC) that Linux then pings; ndisc6
# resolves it, rdisc6 shows what radvd announced, and the service logs the RDNSS server.
# Usage: slaac6.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" slaac6
unic_need radvd rdisc6 ndisc6

unic_netns
unic_netns6
mac=02:00:00:00:00:02
ll=$(unic_eui64_ll $mac)
prefix=${UNIC_PREFIX6%::}:1::
slaac=${prefix}${ll#fe80::}
# Linux is the router here: it has an address in the announced prefix, so it routes to it.
ip -n "$UNIC_NS" addr add "${prefix}1/64" dev "$UNIC_TAP" nodad || unic_fail "cannot add ${prefix}1"
conf=$UNIC_TMP/radvd.conf
cat >"$conf" <<CONF
interface $UNIC_TAP {
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 4;
    AdvDefaultLifetime 60;
    prefix $prefix/64 { AdvOnLink on; AdvAutonomous on; AdvValidLifetime 300; AdvPreferredLifetime 120; };
    RDNSS $UNIC_HOST_IP6 { AdvRDNSSLifetime 60; };
};
CONF

# No address options: the link-local address and SLAAC are the defaults (DHCP asks in vain).
bin=$(unic_service_binary hello) || exit $?
if [ "$UNIC_PLATFORM" = hosted ]; then
    ip netns exec "$UNIC_NS" "$bin" --tap "$UNIC_TAP" --mac $mac >"$UNIC_LOG" 2>&1 &
    UNIC_PID=$!
else
    unic_boot "$bin" --mac $mac
fi
unic_bg ip netns exec "$UNIC_NS" radvd -n -m stderr -C "$conf" -p "$UNIC_TMP/radvd.pid" \
    2>"$UNIC_TMP/radvd.log"
unic_log "started hello (pid $UNIC_PID) and radvd, prefix $prefix/64, expecting $slaac"

limit=30
[ "$UNIC_PLATFORM" = kvm ] && limit=90
unic_wait_ping6 "$slaac" $limit
out=$(unic_ns -t 30 ping -6 -q -c 20 -i 0.05 -W 2 "$slaac" 2>&1)
rx=$(grep -o '[0-9]* received' <<<"$out" | cut -d' ' -f1)
unic_figure "ping -6 SLAAC address $slaac: received=${rx:-0}/20"
[ "${rx:-0}" = 20 ] || unic_fail "ping -6 $slaac: $out"
unic_ns -t 10 ping -6 -c 2 -W 2 "$ll%$UNIC_TAP" >/dev/null || unic_fail "no answer at $ll"

out=$(unic_ns -t 20 ndisc6 -r 3 -w 2000 "$slaac" "$UNIC_TAP" 2>&1)
grep -qi "$mac" <<<"$out" || unic_fail "ndisc6 $slaac: no answer with $mac: $out"
out=$(unic_ns -t 20 rdisc6 -r 3 -w 2000 "$UNIC_TAP" 2>&1)
grep -q "$prefix" <<<"$out" || unic_fail "rdisc6: radvd announces no $prefix: $out"
grep -q "DNS server $UNIC_HOST_IP6 (RDNSS)" "$UNIC_LOG" ||
    unic_fail "the service did not take the RDNSS server $UNIC_HOST_IP6"
grep -q "ip6: $prefix.*/64 (SLAAC) is ours" "$UNIC_LOG" || unic_fail "no SLAAC line in the log"
unic_figure "SLAAC $slaac after DAD, RDNSS $UNIC_HOST_IP6, ndisc6 and rdisc6 agree"

unic_stop
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after stop, expected 0"
unic_pass "SLAAC address from radvd pinged, link-local pinged, RDNSS taken, ndisc6/rdisc6"
