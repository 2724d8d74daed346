#!/bin/bash
# Every service over IPv6 against Linux's clients, in a namespace of its own: the service runs
# dual-stack (--ip and --ip6 $UNIC_SVC_IP6/64) and each client speaks IPv6 only:
#  - dns: dig -6 AAAA @$UNIC_SVC_IP6 host4242.example. is fd00:10:128::1092 (AA); A over IPv6
#    too; the answer comes from the address asked; the same over TCP (dig +tcp -6, RFC 7766),
#    and a zone transfer over IPv6 from the address --axfr-allow names (by prefix);
#  - http: curl -6 http://[$UNIC_SVC_IP6]/ is 200 with the page, and also over IPv4;
#  - kv: SET/GET over nc -6, and the value is there over IPv4 (one listener, both families);
#  - the services' TCP counted no checksum errors.
# Usage: services6.sh hosted|kvm
. "$(dirname "$0")/lib.sh"
unic_init "$1" services6
unic_need dig curl nc
if [ "$UNIC_PLATFORM" = kvm ]; then
    for s in dns http kv; do
        [ -f "$UNIC_KVM_BIN/$s.elf" ] || unic_skip "no $UNIC_KVM_BIN/$s.elf"
    done
fi

unic_netns
unic_netns6
SVC6=$UNIC_SVC_IP6

# dns
unic_start dns --ip6 "$SVC6/64" -- --records 10000 --axfr-allow "${UNIC_PREFIX6}/64"
unic_wait_ping6 "$SVC6"
out=$(unic_ns -t 10 dig -6 +norec +time=2 +tries=3 @"$SVC6" host4242.example. AAAA) ||
    unic_fail "dig -6 AAAA failed: $out"
grep -Eq '^host4242\.example\.\s+[0-9]+\s+IN\s+AAAA\s+fd00:10:128::1092$' <<<"$out" ||
    unic_fail "wrong AAAA answer over IPv6: $out"
grep -q 'flags: qr aa' <<<"$out" || unic_fail "AAAA answer without AA: $out"
grep -q "SERVER: $SVC6#53" <<<"$out" || unic_fail "answer not from $SVC6: $out"
out=$(unic_ns -t 10 dig -6 +tcp +norec +time=2 +tries=3 @"$SVC6" host4242.example. AAAA) ||
    unic_fail "dig -6 +tcp AAAA failed: $out"
grep -Eq '^host4242\.example\.\s+[0-9]+\s+IN\s+AAAA\s+fd00:10:128::1092$' <<<"$out" ||
    unic_fail "wrong AAAA answer over TCP/IPv6: $out"
grep -q "SERVER: $SVC6#53.*(TCP)" <<<"$out" || unic_fail "answer not over TCP from $SVC6: $out"
out=$(unic_ns -t 30 dig -6 +time=5 +tries=1 @"$SVC6" axfr example.) || unic_fail "AXFR over IPv6 failed"
size=$(grep -o 'XFR size: [0-9]* records' <<<"$out" | grep -o '[0-9][0-9]*')
[ "$size" = 20003 ] || unic_fail "AXFR over IPv6 gave ${size:-no} records, expected 20003: $(tail -3 <<<"$out")"
out=$(unic_ns -t 10 dig -6 +short +time=2 +tries=3 @"$SVC6" host17.example. A)
[ "$out" = 10.128.0.17 ] || unic_fail "A over IPv6 gave '$out'"
out=$(unic_ns -t 10 dig +short +time=2 +tries=3 @"$UNIC_SVC_IP" host17.example. AAAA)
[ "$out" = fd00:10:128::11 ] || unic_fail "AAAA over IPv4 gave '$out'"
unic_stop 30
unic_figure "dns: $(grep -o 'stats udp: .*' "$UNIC_LOG" | tail -n 1)"

# http
unic_start http --ip6 "$SVC6/64"
unic_wait_ping6 "$SVC6"
for url in "http://[$SVC6]:80/" "http://$UNIC_SVC_IP:80/"; do
    got=$(unic_ns -t 20 curl -s --max-time 10 -w ' %{http_code}' "$url") || unic_fail "curl $url failed"
    [ "${got##* }" = 200 ] || unic_fail "curl $url: status ${got##* }"
done
unic_ns -t 20 curl -6 -s --max-time 10 -o /dev/null "http://[$SVC6]:80/" || unic_fail "curl -6 failed"
unic_stop 30
unic_figure "http: $(grep -o 'stats tcp: .*' "$UNIC_LOG" | tail -n 1)"
grep -o 'stats tcp: .*' "$UNIC_LOG" | tail -n 1 | grep -q 'rx_bad_checksum' &&
    unic_fail "http: TCP checksum errors"

# kv: one listener for both families
unic_start kv --ip6 "$SVC6/64"
unic_wait_ping6 "$SVC6"
got=$(unic_ns -t 20 sh -c "printf 'SET k six\nGET k\n' | nc -6 -N -w 10 $SVC6 6000")
[ "$got" = "$(printf 'OK\nsix')" ] || unic_fail "kv over IPv6 answered '$got'"
got=$(unic_ns -t 20 sh -c "printf 'GET k\n' | nc -N -w 10 $UNIC_SVC_IP 6000")
[ "$got" = six ] || unic_fail "kv over IPv4 answered '$got' for the key set over IPv6"
unic_stop 30
[ "$UNIC_STATUS" -eq 0 ] || unic_fail "kv exit status $UNIC_STATUS"

unic_pass "dns AAAA/A over IPv6 (dig -6), http (curl -6), kv (nc -6), each also over IPv4"
