#!/bin/bash
# DNS over TCP (RFC 7766) and zone transfers (RFC 5936) of the dns service, in a namespace of
# its own, with Linux's dig, a raw-socket client and nsd as a real secondary:
#  - dig +tcp gets host4242.example. over TCP;
#  - wide.example. (100 A records) does not fit UDP: dig gets TC and retries over TCP by itself,
#    with EDNS and without;
#  - dig axfr from the allowed address (--axfr-allow): every record, SOA first and last, the
#    count checked against the zone (the synthetic zone, and on hosted a zone file beside it);
#    from another address of the namespace: REFUSED; IXFR with our serial: the SOA alone;
#  - dns_tcp_client.py: pipelined queries with a length-0 frame and a query split a byte per
#    segment, a frame longer than what follows, back-pressure (a client that stops reading),
#    the connection bound (--max-conns) and the idle timeout (--idle-timeout);
#  - nsd (its own config, pid, zone and state files in the test's temporary directory, in the
#    namespace, not the system service) as a secondary of unic: it pulls the zone by AXFR and
#    then answers dig @nsd host4242.example.
# Usage: dns_tcp.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" dns_tcp
unic_need dig python3 nsd

unic_netns
client=$(dirname "$0")/dns_tcp_client.py
net=${UNIC_HOST_IP%.1}
other_ip=$net.3
ip -n "$UNIC_NS" addr add "$other_ip/24" dev "$UNIC_TAP" || unic_fail "cannot add $other_ip"

records=10000 wide=100 idle=3 max_conns=6
args=(--records $records --wide $wide --axfr-allow "$UNIC_HOST_IP" --idle-timeout $idle
    --max-conns $max_conns)
file_records=0
if [ "$UNIC_PLATFORM" = hosted ]; then
    zone=$UNIC_TMP/example.zone
    {
        echo '$ORIGIN example.'
        echo '$TTL 300'
        echo '@     SOA   ns1 hostmaster 7 3600 600 86400 60'
        echo '@     NS    ns1'
        echo '@     MX    10 mail'
        echo 'ns1   A     10.127.0.53'
        echo 'mail  A     10.127.0.25'
        echo 'www   A     10.127.0.80'
        echo 'alias CNAME www'
        echo 'sub   NS    ns.sub'
        echo 'ns.sub A    10.127.0.77'
    } >"$zone"
    file_records=9
    args+=(--zone "$zone")
fi
unic_start dns -- "${args[@]}"
unic_wait_ready

# The idle timeout is watched from the start, beside the other checks (a Python without the
# start-up cost of a version manager's shim when the system has one).
py=/usr/bin/python3
[ -x $py ] || py=python3
unic_bg unic_ns -t 60 $py "$client" idle "$UNIC_SVC_IP" $idle >"$UNIC_TMP/idle.out" 2>&1
idle_pid=$UNIC_BG_PID

q() {
    unic_ns -t 30 dig +time=3 +tries=2 @"$UNIC_SVC_IP" "$@" 2>&1
}

# dig +tcp.
out=$(q +tcp host4242.example. A)
grep -Eq '^host4242\.example\.\s+[0-9]+\s+IN\s+A\s+10\.128\.16\.146$' <<<"$out" &&
    grep -q '(TCP)' <<<"$out" || unic_fail "dig +tcp: $out"
unic_pass "dig +tcp: host4242.example. A 10.128.16.146 over TCP"

# TC, and dig's own retry over TCP.
for edns in +edns=0 +noedns; do
    out=$(q $edns wide.example. A)
    grep -q 'Truncated, retrying in TCP mode' <<<"$out" || unic_fail "no TC for wide ($edns): $out"
    grep -q "ANSWER: $wide," <<<"$out" && grep -q '(TCP)' <<<"$out" ||
        unic_fail "wide.example. ($edns) not whole over TCP: $out"
done
unic_pass "wide.example. ($wide A records): TC over UDP, whole over TCP after dig's own retry"

# AXFR from the allowed address: SOA, all records, SOA. Each synthetic host has an A and an
# AAAA record.
expected=$((file_records + 2 * (file_records == 0) + 2 * records + wide + 1))
out=$(q axfr example.)
size=$(grep -o 'XFR size: [0-9]* records' <<<"$out" | grep -o '[0-9][0-9]*')
[ "$size" = "$expected" ] || unic_fail "AXFR gave ${size:-no} records, expected $expected: $(tail -5 <<<"$out")"
grep -Eq '^host9999\.example\.\s+3600\s+IN\s+A\s+10\.128\.39\.15$' <<<"$out" ||
    unic_fail "host9999 missing from the transfer"
[ "$(grep -Ec '^example\.\s+[0-9]+\s+IN\s+SOA' <<<"$out")" = 2 ] || unic_fail "AXFR without two SOAs"
unic_pass "dig axfr: $(grep -o 'XFR size.*' <<<"$out")"

# From an address not allowed: REFUSED (dig says the transfer failed).
out=$(q -b "$other_ip" axfr example.)
grep -q 'Transfer failed' <<<"$out" && ! grep -q 'IN.SOA' <<<"$out" ||
    unic_fail "AXFR from $other_ip not refused: $out"
unic_pass "dig axfr from $other_ip: refused"

# IXFR: a client at our serial gets the SOA alone; an older one the whole zone.
serial=1
[ "$UNIC_PLATFORM" = hosted ] && serial=7
out=$(q ixfr=$serial example.)
[ "$(grep -Ec '^example\.\s+[0-9]+\s+IN\s+SOA' <<<"$out")" = 1 ] &&
    grep -q 'XFR size: 1 records' <<<"$out" || unic_fail "IXFR=$serial: $out"
out=$(q ixfr=$((serial - 1)) example.)
grep -q "XFR size: $expected records" <<<"$out" || unic_fail "IXFR=$((serial - 1)): $(tail -3 <<<"$out")"
unic_pass "IXFR: SOA alone at serial $serial, the whole zone AXFR-style before it"

# Idle timeout; then framing, pipelining, back-pressure and the connection bound.
wait $idle_pid || unic_fail "idle: $(cat "$UNIC_TMP/idle.out")"
unic_pass "$(cat "$UNIC_TMP/idle.out")"
for check in "pipeline 200" "backpressure 6000" "limit $max_conns"; do
    line=$(unic_ns -t 90 $py "$client" ${check%% *} "$UNIC_SVC_IP" ${check##* }) ||
        unic_fail "$check: $line"
    unic_pass "$line"
done

# nsd as a secondary of unic, inside the namespace, on the namespace's address.
nsd_dir=$UNIC_TMP/nsd
mkdir -p "$nsd_dir"
cat >"$nsd_dir/nsd.conf" <<CONF
server:
    ip-address: $UNIC_HOST_IP
    port: 53
    do-ip6: no
    username: root
    chroot: ""
    zonesdir: "$nsd_dir"
    database: ""
    zonelistfile: "$nsd_dir/zone.list"
    xfrdfile: "$nsd_dir/xfrd.state"
    xfrdir: "$nsd_dir"
    pidfile: "$nsd_dir/nsd.pid"
    logfile: "$nsd_dir/nsd.log"
    server-count: 1
    verbosity: 2
remote-control:
    control-enable: no
zone:
    name: "example."
    zonefile: "example.zone"
    request-xfr: AXFR $UNIC_SVC_IP NOKEY
CONF
unic_bg ip netns exec "$UNIC_NS" nsd -d -c "$nsd_dir/nsd.conf"
nsd_pid=$UNIC_BG_PID
got=""
for ((i = 0; i < 100; i++)); do
    unic_alive "$nsd_pid" || unic_fail "nsd exited: $(tail -5 "$nsd_dir/nsd.log" 2>/dev/null)"
    got=$(unic_ns -t 5 dig +short +time=1 +tries=1 @"$UNIC_HOST_IP" host4242.example. A 2>/dev/null)
    [ "$got" = 10.128.16.146 ] && break
    sleep 0.2
done
[ "$got" = 10.128.16.146 ] ||
    unic_fail "nsd did not answer from the transferred zone: '$got'; $(tail -5 "$nsd_dir/nsd.log")"
out=$(unic_ns -t 10 dig +time=2 +tries=2 @"$UNIC_HOST_IP" host9999.example. A)
grep -q 'flags: qr aa' <<<"$out" && grep -q '10.128.39.15$' <<<"$out" ||
    unic_fail "nsd's answer for host9999: $out"
unic_pass "nsd as a secondary: zone pulled by AXFR, dig @nsd host4242.example. -> $got (AA)"
kill -TERM "$nsd_pid" 2>/dev/null

unic_stop
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after stop, expected 0"
stats=$(grep 'stats dns_tcp:' "$UNIC_LOG" | tail -1)
for want in xfr_refused=1 send_waits= bad_length=1 xfr_done=; do
    grep -q "$want" <<<"$stats" || unic_fail "no $want in: $stats"
done
grep -q 'stats dns_tcp_server:.*refused_limit=1.*idle_closed=' "$UNIC_LOG" ||
    unic_fail "no refused_limit/idle_closed: $(grep 'stats dns_tcp_server' "$UNIC_LOG")"
unic_figure "$stats"
unic_pass "dns over TCP and zone transfers on $UNIC_PLATFORM"
