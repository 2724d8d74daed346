#!/bin/bash
# The authoritative DNS service answers Linux's dig, in a namespace of its own:
#  - host4242.example. A is 10.128.16.146 (synthetic host 4242 of 10000), with AA; its AAAA is
#    fd00:10:128::1092;
#  - a missing name is NXDOMAIN with the zone's SOA in the authority section;
#  - an existing name without the type is NODATA (NOERROR, no answer, SOA);
#  - a name in another zone is REFUSED;
#  - EDNS: the answer carries an OPT record advertising 1232 bytes;
#  - hosted only (kvm has no file system for --zone): a zone file beside the synthetic records,
#    a CNAME chased within the zone, an MX with its address in the additional section, an
#    answer over 512 bytes sent with TC to a client without EDNS and whole with EDNS;
#    and dns-linux, the same logic on Linux sockets, gives the same answers;
#  - 200 queries in a row all answered; a clean exit on SIGTERM (hosted);
#  - kvm: the image with 10,000 hosts answers in a 4 MiB guest.
# Usage: dns.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" dns
unic_need dig

unic_netns

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
    for i in $(seq 1 12); do
        echo "big   TXT   \"$i-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz\""
    done
} >"$zone"

if [ "$UNIC_PLATFORM" = hosted ]; then
    unic_start dns -- --records 10000 --zone "$zone"
else
    unic_start dns -- --records 10000
fi
unic_wait_ready

# q SERVER DIG-ARGS...: dig's answer, bounded in time.
q() {
    local server=$1
    shift
    unic_ns -t 20 dig +time=2 +tries=3 @"$server" "$@" 2>&1
}

status_of() {
    grep -o 'status: [A-Z]*' <<<"$1" | cut -d' ' -f2
}

flags_of() {
    grep -o 'flags: [a-z ]*;' <<<"$1" | head -1
}

# The checks every server must pass; $1 is its address.
check_server() {
    local server=$1 out
    out=$(q "$server" host4242.example. A)
    [ "$(status_of "$out")" = NOERROR ] || unic_fail "$server host4242: $(status_of "$out")"
    grep -Eq '^host4242\.example\.\s+[0-9]+\s+IN\s+A\s+10\.128\.16\.146$' <<<"$out" ||
        unic_fail "$server: wrong answer for host4242.example.: $out"
    flags_of "$out" | grep -qw aa || unic_fail "$server: answer without AA"
    grep -q 'udp: 1232' <<<"$out" || unic_fail "$server: no EDNS OPT with 1232 in the answer"

    out=$(q "$server" nosuchhost.example. A)
    [ "$(status_of "$out")" = NXDOMAIN ] || unic_fail "$server: missing name gave $(status_of "$out")"
    grep -Eq '^example\.\s+60\s+IN\s+SOA\s+' <<<"$out" || unic_fail "$server: NXDOMAIN without SOA: $out"

    out=$(q "$server" host17.example. TXT)
    [ "$(status_of "$out")" = NOERROR ] || unic_fail "$server: NODATA gave $(status_of "$out")"
    grep -q 'ANSWER: 0, AUTHORITY: 1' <<<"$out" || unic_fail "$server: NODATA shape: $out"

    out=$(q "$server" host4242.example. AAAA)
    grep -Eq '^host4242\.example\.\s+[0-9]+\s+IN\s+AAAA\s+fd00:10:128::1092$' <<<"$out" ||
        unic_fail "$server: wrong AAAA for host4242.example.: $out"

    out=$(q "$server" www.example.com. A)
    [ "$(status_of "$out")" = REFUSED ] || unic_fail "$server: other zone gave $(status_of "$out")"

    out=$(q "$server" +noedns host9999.example. A)
    grep -q '10.128.39.15$' <<<"$out" || unic_fail "$server: no answer without EDNS: $out"
    ! grep -q 'OPT PSEUDOSECTION' <<<"$out" || unic_fail "$server: OPT sent to a non-EDNS client"
    unic_pass "$server: A, NXDOMAIN+SOA, NODATA, REFUSED, EDNS and plain queries"
}

check_zone_file() {
    local server=$1 out
    out=$(q "$server" alias.example. A)
    grep -Eq '^alias\.example\.\s+300\s+IN\s+CNAME\s+www\.example\.' <<<"$out" &&
        grep -Eq '^www\.example\.\s+300\s+IN\s+A\s+10\.127\.0\.80' <<<"$out" ||
        unic_fail "$server: CNAME not chased: $out"
    out=$(q "$server" example. MX)
    grep -Eq '^mail\.example\.\s+300\s+IN\s+A\s+10\.127\.0\.25' <<<"$out" ||
        unic_fail "$server: MX without the address in additional: $out"
    out=$(q "$server" +noedns +ignore big.example. TXT)
    flags_of "$out" | grep -qw tc || unic_fail "$server: no TC on a 900-byte answer: $out"
    grep -q 'ANSWER: 0' <<<"$out" || unic_fail "$server: TC answer not empty"
    out=$(q "$server" +bufsize=1232 big.example. TXT)
    ! flags_of "$out" | grep -qw tc || unic_fail "$server: TC despite EDNS 1232"
    grep -q 'ANSWER: 12' <<<"$out" || unic_fail "$server: EDNS answer incomplete: $out"
    unic_pass "$server: zone file, CNAME chase, MX additional, TC at 512 and whole with EDNS"
}

check_server "$UNIC_SVC_IP"
[ "$UNIC_PLATFORM" = hosted ] && check_zone_file "$UNIC_SVC_IP"

# A burst of queries, all answered (dig's batch mode, one query after another).
batch=$UNIC_TMP/batch
for i in $(seq 0 49 9999 | head -200); do echo "host$i.example. A"; done >"$batch"
answered=$(q "$UNIC_SVC_IP" +short -f "$batch" | grep -c '^10\.128\.')
unic_figure "burst: $answered of 200 queries answered"
[ "$answered" -eq 200 ] || unic_fail "only $answered of 200 queries answered"

unic_stop # kvm: the power button; the guest's own exit status either way
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "exit status $UNIC_STATUS after stop, expected 0"
grep -q 'stats dns:.*queries=' "$UNIC_LOG" || unic_fail "no dns stats at exit"
if [ "$UNIC_PLATFORM" = hosted ]; then

    # dns-linux: the same service logic on the Linux side of the namespace.
    linux=$UNIC_HOSTED_BIN/dns-linux
    [ -x "$linux" ] || unic_fail "$linux not built"
    unic_bg ip netns exec "$UNIC_NS" "$linux" --listen "$UNIC_HOST_IP" --port 53 \
        --records 10000 --zone "$zone" >"$UNIC_TMP/linux.log" 2>&1
    for ((i = 0; i < 50; i++)); do
        grep -q answering "$UNIC_TMP/linux.log" && break
        sleep 0.1
    done
    check_server "$UNIC_HOST_IP"
    check_zone_file "$UNIC_HOST_IP"
fi
if [ "$UNIC_PLATFORM" = kvm ]; then
    # No file system on kvm: --zone is refused with a clear message and a non-zero status.
    unic_start dns -- --zone /example.zone
    for ((i = 0; i < 300; i++)); do
        unic_alive || break
        sleep 0.1
    done
    unic_alive && unic_fail "dns --zone on kvm did not stop"
    wait "$UNIC_PID" 2>/dev/null
    UNIC_PID=""
    grep -q -- '--zone is not available' "$UNIC_LOG" || unic_fail "no message for --zone on kvm"
    unic_pass "kvm: --zone refused: $(grep -o -- '--zone is not available[^;]*' "$UNIC_LOG")"

    # 10,000 hosts in a 4 MiB guest (the packet pool and the NIC's queues size themselves from
    # the heap; the zone takes its exact size).
    saved_mem=${UNIC_QEMU_MEM-}
    export UNIC_QEMU_MEM=4M
    unic_start dns -- --records 10000
    unic_wait_ready
    out=$(q "$UNIC_SVC_IP" +short host9999.example. A)
    [ "$out" = 10.128.39.15 ] || unic_fail "-m 4M: host9999 A gave '$out' ($(grep -m1 'heap' "$UNIC_LOG"))"
    out=$(q "$UNIC_SVC_IP" +short host9999.example. AAAA)
    [ "$out" = fd00:10:128::270f ] || unic_fail "-m 4M: host9999 AAAA gave '$out'"
    unic_stop 30
    if [ -n "$saved_mem" ]; then UNIC_QEMU_MEM=$saved_mem; else unset UNIC_QEMU_MEM; fi
    unic_pass "kvm -m 4M: 10,000 hosts answered ($(grep -o 'heap [0-9]* KiB' "$UNIC_LOG"))"
fi
unic_pass "dns on $UNIC_PLATFORM"
