#!/bin/bash
# The stack's DNS resolver against a real server, end to end with DHCP: dnsmasq in the test's
# own namespace serves DHCP and DNS on the TAP only (host.example -> 10.N.0.42 with TTL 60,
# anything else under example. -> NXDOMAIN). The `resolve` service starts WITHOUT --ip or
# --dns: DHCP gives it an address and the DNS server, then it resolves both names twice.
#  - first round: host.example = 10.N.0.42 ttl 60; missing.example = no such name;
#  - second round from the cache: the same answers, and dnsmasq saw host.example once only;
#  - a second run with --aaaa (AAAA, then A for a name without one): host6.example = fd00::42
#    from its AAAA record, v4only.example = 10.N.0.43 after dnsmasq said it has no AAAA.
# Usage: resolver.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" resolver
unic_need dnsmasq

bin=$(unic_service_binary resolve) || exit $?
if [ "$UNIC_PLATFORM" = kvm ] && ! "$UNIC_QEMU_RUN" --help 2>&1 | grep -q -- "--tap"; then
    unic_skip "$UNIC_QEMU_RUN has no --tap option yet"
fi
unic_netns

net=${UNIC_HOST_IP%.1}
dlog=$UNIC_TMP/dnsmasq.log
unic_bg ip netns exec "$UNIC_NS" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --interface="$UNIC_TAP" --bind-interfaces --except-interface=lo \
    --no-resolv --no-hosts --local=/example/ --address=/host.example/"$net.42" \
    --address=/host6.example/fd00::42 --host-record=v4only.example,"$net.43" --local-ttl=60 \
    --dhcp-range="$net.100,$net.150,255.255.255.0,120s" --dhcp-option=option:router,"$UNIC_HOST_IP" \
    --dhcp-leasefile="$UNIC_TMP/leases" --pid-file="$UNIC_TMP/dnsmasq.pid" --user=root \
    --log-queries --log-facility="$dlog"
for ((i = 0; i < 50; i++)); do
    grep -q "DHCP, IP range" "$dlog" 2>/dev/null && break
    sleep 0.1
done
grep -q "DHCP, IP range" "$dlog" 2>/dev/null || unic_fail "dnsmasq did not start: $(cat "$dlog")"

args=(-- --repeat --exit host.example missing.example)
if [ "$UNIC_PLATFORM" = hosted ]; then
    ip netns exec "$UNIC_NS" "$bin" --tap "$UNIC_TAP" "${args[@]}" >"$UNIC_LOG" 2>&1 &
else
    ip netns exec "$UNIC_NS" "$UNIC_QEMU_RUN" --tap "$UNIC_TAP" "$bin" "${args[@]}" \
        >"$UNIC_LOG" 2>&1 &
fi
UNIC_PID=$!
limit=30
[ "$UNIC_PLATFORM" = kvm ] && limit=90
end=$((SECONDS + limit))
while [ $SECONDS -lt $end ] && [ "$(grep -c '^resolve: ' "$UNIC_LOG")" -lt 4 ]; do
    unic_alive || break
    sleep 0.2
done
grep "dhcp: bound\|^resolve: " "$UNIC_LOG" | while read -r l; do unic_log "service: $l"; done
grep -q "dhcp: bound .* dns $UNIC_HOST_IP " "$UNIC_LOG" || unic_fail "DHCP did not give the DNS server"
mapfile -t lines < <(tr -d '\r' <"$UNIC_LOG" | grep '^resolve: ') # kvm's serial: CRLF
[ "${#lines[@]}" -eq 4 ] || unic_fail "expected 4 answers, got ${#lines[@]}"
# Answers come in any order within a round.
round1=$(printf '%s\n' "${lines[0]}" "${lines[1]}" | sort)
round2=$(printf '%s\n' "${lines[2]}" "${lines[3]}" | sort)
grep -qx "resolve: host.example $net.42 ttl 60" <<<"$round1" || unic_fail "round 1: $round1"
grep -qx "resolve: missing.example error: no such name" <<<"$round1" || unic_fail "round 1: $round1"
grep -Eqx "resolve: host.example $net.42 ttl (59|60)" <<<"$round2" || unic_fail "round 2: $round2"
queries=$(grep -c "query\[A\] host.example from" "$dlog")
unic_figure "dnsmasq queries for host.example over two rounds: $queries (second round from the cache)"
[ "$queries" -eq 1 ] || unic_fail "the cache did not answer round 2 ($queries queries)"
unic_stop

# AAAA: the resolver asks AAAA first, A when the name has none.
args=(-- --exit --aaaa host6.example v4only.example)
if [ "$UNIC_PLATFORM" = hosted ]; then
    ip netns exec "$UNIC_NS" "$bin" --tap "$UNIC_TAP" "${args[@]}" >"$UNIC_LOG" 2>&1 &
else
    ip netns exec "$UNIC_NS" "$UNIC_QEMU_RUN" --tap "$UNIC_TAP" "$bin" "${args[@]}" \
        >"$UNIC_LOG" 2>&1 &
fi
UNIC_PID=$!
end=$((SECONDS + limit))
while [ $SECONDS -lt $end ] && [ "$(grep -c '^resolve: ' "$UNIC_LOG")" -lt 2 ]; do
    unic_alive || break
    sleep 0.2
done
answers=$(tr -d '\r' <"$UNIC_LOG" | grep '^resolve: ' | sort)
unic_log "service (--aaaa): $answers"
grep -qx "resolve: host6.example fd00::42 ttl 60" <<<"$answers" || unic_fail "--aaaa: $answers"
grep -qx "resolve: v4only.example $net.43 ttl 60" <<<"$answers" || unic_fail "--aaaa: $answers"
grep -q "query\[AAAA\] v4only.example from" "$dlog" || unic_fail "--aaaa: no AAAA query for v4only"
unic_stop
unic_pass "DHCP-provided DNS server, A record, NXDOMAIN, cached second round, AAAA then A"
