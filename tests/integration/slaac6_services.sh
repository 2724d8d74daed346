#!/bin/bash
# Services with no address option at all, reached over IPv6 at the address SLAAC gave them:
# radvd in the test's namespace announces a /64 and an RDNSS server (dnsmasq on the namespace's
# IPv6 address), and each service, started without --ip/--ip6, takes prefix + EUI-64 of its MAC:
#  - echo: nc -6 through TCP echo, sha256 equal (10 MB hosted, 2 MB kvm), and UDP echo;
#  - http: curl -6 at the SLAAC address and at the link-local one (%TAP);
#  - resolve --aaaa: the resolver takes the RDNSS server and asks it over IPv6 for AAAA:
#    host6.example = fd00::42 (dnsmasq saw the query from an IPv6 address).
# Usage: slaac6_services.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" slaac6_services
unic_need radvd dnsmasq nc curl sha256sum
if [ "$UNIC_PLATFORM" = kvm ]; then
    for s in echo http resolve; do
        [ -f "$UNIC_KVM_BIN/$s.elf" ] || unic_skip "no $UNIC_KVM_BIN/$s.elf"
    done
fi

unic_netns
unic_netns6
mac=02:00:00:00:00:02
ll=$(unic_eui64_ll $mac)
prefix=${UNIC_PREFIX6%::}:1::
slaac=${prefix}${ll#fe80::}
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
unic_bg ip netns exec "$UNIC_NS" radvd -n -m stderr -C "$conf" -p "$UNIC_TMP/radvd.pid" \
    2>"$UNIC_TMP/radvd.log"
dlog=$UNIC_TMP/dnsmasq.log
unic_bg ip netns exec "$UNIC_NS" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --listen-address="$UNIC_HOST_IP6" --bind-interfaces --except-interface=lo --no-resolv \
    --no-hosts --local=/example/ --address=/host6.example/fd00::42 --local-ttl=60 \
    --pid-file="$UNIC_TMP/dnsmasq.pid" --user=root --log-queries --log-facility="$dlog"

limit=30
[ "$UNIC_PLATFORM" = kvm ] && limit=90

# start_plain NAME [service args...]: the service with no address option, MAC $mac.
start_plain() {
    local name=$1 bin
    shift
    bin=$(unic_service_binary "$name") || exit $?
    if [ "$UNIC_PLATFORM" = hosted ]; then
        ip netns exec "$UNIC_NS" "$bin" --tap "$UNIC_TAP" --mac $mac "$@" >"$UNIC_LOG" 2>&1 &
        UNIC_PID=$!
    else
        unic_boot "$bin" --mac $mac "$@"
    fi
    unic_log "started $name (pid $UNIC_PID), no address option, expecting $slaac"
}

# echo over TCP and UDP at the SLAAC address
MB=10
[ "$UNIC_PLATFORM" = kvm ] && MB=2
head -c $((MB * 1024 * 1024)) /dev/urandom >"$UNIC_TMP/data"
want=$(sha256sum <"$UNIC_TMP/data" | cut -d' ' -f1)
start_plain echo
unic_wait_ping6 "$slaac" $limit
got=$(unic_ns -t 120 sh -c "nc -6 -N $slaac 7 <'$UNIC_TMP/data' | sha256sum" | cut -d' ' -f1)
[ "$got" = "$want" ] || unic_fail "echo at $slaac returned sha256 $got, sent $want"
udp=$(unic_ns -t 10 sh -c "echo ping-slaac | nc -6 -u -w 1 $slaac 7")
[ "$udp" = ping-slaac ] || unic_fail "UDP echo at $slaac returned '$udp'"
unic_stop 30
unic_figure "echo at SLAAC $slaac: ${MB} MB sha256 equal, UDP echo"

# http at the SLAAC and the link-local address
start_plain http
unic_wait_ping6 "$slaac" $limit
for url in "http://[$slaac]:80/" "http://[$ll%$UNIC_TAP]:80/"; do
    code=$(unic_ns -t 20 curl -6 -s --max-time 10 -o /dev/null -w '%{http_code}' "$url") ||
        unic_fail "curl -6 $url failed"
    [ "$code" = 200 ] || unic_fail "curl -6 $url: status $code"
done
unic_stop 30

# the resolver over IPv6, to the RDNSS server
start_plain resolve -- --exit --aaaa host6.example
end=$((SECONDS + limit))
while [ $SECONDS -lt $end ] && ! grep -q '^resolve: ' "$UNIC_LOG"; do
    unic_alive || break
    sleep 0.2
done
answer=$(tr -d '\r' <"$UNIC_LOG" | grep '^resolve: ')
[ "$answer" = "resolve: host6.example fd00::42 ttl 60" ] || unic_fail "resolve: '$answer'"
grep -Eq "query\[AAAA\] host6.example from (fe80|${prefix%::}):" "$dlog" ||
    unic_fail "dnsmasq saw no AAAA query over IPv6: $(cat "$dlog")"
unic_wait_exit 10 || unic_stop 10

unic_pass "no address options: echo (nc -6, ${MB} MB) and http (curl -6) at the SLAAC address, resolver AAAA over IPv6 via RDNSS"
