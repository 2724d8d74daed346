#!/bin/bash
# ctest: heavy
# The HTTP/1.1 example against Linux clients (curl, nc, wrk), in the test's own namespace:
#  - GET / is 200 with exactly the 136-byte page; HEAD has the head only;
#  - /bytes/10000000 arrives intact (size and sha256 of the pattern, generated here with awk);
#  - 404, 405 with Allow, 400, 431, 505 from real sockets;
#  - two pipelined requests in one write are answered in order (nc);
#  - wrk -c 100 -d 10s: zero socket errors and zero non-2xx answers;
#  - at SIGTERM the service reports zero open connections;
#  - hosted: the same /bytes and wrk with the NIC losing, reordering and duplicating frames;
#    200 stalled request heads (served meanwhile, aborted after the idle timeout); --port N;
#    a bad option exits with status 2.
# Usage: http.sh hosted|kvm (kvm runs when $UNIC_KVM_BIN/http.elf exists, else exit 77).
. "$(dirname "$0")/lib.sh"
unic_init "$1" http
unic_need curl nc wrk awk sha256sum
unic_netns
unic_start http # kvm: with a QMP socket, so unic_stop presses the power button
unic_wait_ready
URL=http://$UNIC_SVC_IP:80 # a numeric port: wrk would look "http" up in /etc/services (netbase)

# settle: until every client socket of the namespace to port 80 is in TIME-WAIT (bounded 20 s),
# then 2 s more, so the service's last FIN (retransmitted under loss, or slow under ASan) has
# been acknowledged before it is asked how many connections are still open.
settle() {
    local i n
    for ((i = 0; i < 100; i++)); do
        n=$(unic_ns -t 5 ss -Htan "( dport = :80 )" | grep -vc TIME-WAIT)
        [ "$n" = 0 ] && break
        sleep 0.2
    done
    [ "$n" = 0 ] || unic_log "still $n client sockets not in TIME-WAIT after 20 s"
    sleep 2
}

# pattern N: the body of /bytes/N (see examples/http/http_content.h).
pattern() {
    awk -v n="$1" 'BEGIN { for (i = 0; i < n; i += 16) printf "%015x\n", i }' | head -c "$1"
}

# The service may need a moment before it listens (it answers ping first).
for ((i = 0; i < 20; i++)); do
    unic_ns -t 5 curl -s -o /dev/null --max-time 2 "$URL/" && break
    sleep 0.2
done

# --- GET / and HEAD /
out=$(unic_ns -t 20 curl -s --max-time 10 -o "$UNIC_TMP/page" -w '%{http_code} %{size_download}' "$URL/") ||
    unic_fail "curl $URL/ failed"
[ "$out" = "200 136" ] || unic_fail "GET /: got '$out', want '200 136'"
head -c 15 "$UNIC_TMP/page" | grep -q '<!DOCTYPE html>' || unic_fail "GET /: not the page"
unic_pass "GET / is 200 with 136 bytes"

head=$(unic_ns -t 20 curl -s --max-time 10 -I "$URL/") || unic_fail "HEAD / failed"
echo "$head" | grep -q '^HTTP/1.1 200 OK' || unic_fail "HEAD /: $head"
echo "$head" | grep -qi '^Content-Length: 136' || unic_fail "HEAD /: no Content-Length 136"
unic_pass "HEAD / has the head of the page"

# --- /bytes/10000000
N=10000000
want=$(pattern $N | sha256sum | cut -d' ' -f1)
out=$(unic_ns -t 60 curl -s --max-time 50 -o "$UNIC_TMP/bytes" -w '%{http_code} %{size_download}' "$URL/bytes/$N") ||
    unic_fail "curl /bytes/$N failed"
got=$(sha256sum <"$UNIC_TMP/bytes" | cut -d' ' -f1)
[ "$out" = "200 $N" ] || unic_fail "/bytes/$N: got '$out'"
[ "$got" = "$want" ] || unic_fail "/bytes/$N: sha256 $got, want $want"
rm -f "$UNIC_TMP/bytes"
unic_pass "/bytes/$N intact (sha256 $want)"

# --- error statuses
code() {
    unic_ns -t 20 curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$@"
}
[ "$(code "$URL/missing")" = 404 ] || unic_fail "/missing is not 404"
[ "$(code -X POST -d x "$URL/")" = 405 ] || unic_fail "POST / is not 405"
allow=$(unic_ns -t 20 curl -s --max-time 10 -o /dev/null -D - -X DELETE "$URL/")
echo "$allow" | grep -qi '^Allow: GET, HEAD' || unic_fail "405 without Allow: $allow"
unic_pass "404; 405 with Allow"

# raw REQUEST: what the service answers to these bytes (it closes after errors).
raw() {
    printf "$1" | unic_ns -t 20 nc -q 10 -w 10 "$UNIC_SVC_IP" 80
}
raw 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n' | head -1 | grep -q '^HTTP/1.1 400' || unic_fail "no 400"
raw 'GET / HTTP/2.0\r\nHost: x\r\n\r\n' | head -1 | grep -q '^HTTP/1.1 505' || unic_fail "no 505"
many=$(for ((i = 0; i < 100; i++)); do printf 'X-%d: y\\r\\n' $i; done)
raw "GET / HTTP/1.1\\r\\nHost: x\\r\\n$many\\r\\n" | head -1 | grep -q '^HTTP/1.1 431' ||
    unic_fail "no 431 for 100 fields"
unic_pass "400, 505, 431 from raw requests"

# --- pipelining: two requests in one write, answered in order
raw 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/32 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
    >"$UNIC_TMP/pipe"
statuses=$(grep -a -c '^HTTP/1.1 200 OK' "$UNIC_TMP/pipe")
[ "$statuses" = 2 ] || unic_fail "pipelining: $statuses answers, want 2"
tail -c 32 "$UNIC_TMP/pipe" | cmp -s - <(pattern 32) || unic_fail "pipelining: second body wrong"
grep -a -q 'Content-Length: 136' <(head -c 200 "$UNIC_TMP/pipe") || unic_fail "pipelining: order"
unic_pass "two pipelined requests answered in order"

# --- wrk: 100 connections for 10 s
unic_ns -t 40 wrk -t 2 -c 100 -d 10s "$URL/" >"$UNIC_TMP/wrk" 2>&1 || unic_fail "wrk failed: $(cat "$UNIC_TMP/wrk")"
sed 's/^/    /' "$UNIC_TMP/wrk" >&2
requests=$(awk '/requests in/ { print $1 }' "$UNIC_TMP/wrk")
[ -n "$requests" ] && [ "$requests" -gt 0 ] || unic_fail "wrk made no requests"
grep -q 'Socket errors' "$UNIC_TMP/wrk" && unic_fail "wrk: $(grep 'Socket errors' "$UNIC_TMP/wrk")"
grep -q 'Non-2xx' "$UNIC_TMP/wrk" && unic_fail "wrk: $(grep 'Non-2xx' "$UNIC_TMP/wrk")"
unic_figure "wrk -c 100 -d 10s: $(awk '/Requests\/sec/ { print $2 }' "$UNIC_TMP/wrk") requests/s, $requests requests, 0 errors"
unic_pass "wrk -c 100 -d 10s with zero errors"

# --- shutdown: every connection is gone
settle
unic_stop 30 # kvm: the power button (lib.sh), so the guest prints its statistics too
[ "$UNIC_STATUS" = 0 ] || unic_fail "exit status $UNIC_STATUS, want 0"
tr -d '\r' <"$UNIC_LOG" | grep -q '^http: open connections 0$' || # kvm: serial CRLF
    unic_fail "open connections at shutdown: $(grep 'open connections' "$UNIC_LOG")"
grep 'stats http' "$UNIC_LOG" | sed 's/^/    /' >&2
unic_pass "zero open connections at shutdown"

# --- under loss: the hosted NIC drops, reorders and duplicates frames both ways
if [ "$UNIC_PLATFORM" = hosted ]; then
    # --idle-timeout 5: wrk ends its connections with RSTs, and an RST lost on the faulty link
    # leaves an idle server connection that only the idle timeout can reap (as on any real
    # link); the check below is that the timeout does reap it. Not shorter: a client whose
    # SYN-ACK came by retransmission sends its first request with a 3 s RTO (RFC 6298 5.7), so
    # losing that request too kept the connection silent for 3 s, and a 2 s timeout closed it
    # under wrk's pending request (one read error in CI, reproduced with a capture). At 5 s the
    # request must be lost twice after a lost SYN-ACK: about 4e-4 per run.
    unic_start http --loss 0.02 --reorder 0.02 --duplicate 0.01 --seed 4 -- --idle-timeout 5
    unic_wait_ready 20
    for ((i = 0; i < 20; i++)); do
        unic_ns -t 5 curl -s -o /dev/null --max-time 2 "$URL/" && break
        sleep 0.2
    done
    got=$(unic_ns -t 60 curl -s --max-time 50 "$URL/bytes/$N" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ] || unic_fail "/bytes/$N under loss: sha256 $got, want $want"
    # wrk's default 2 s timeout is shorter than honest retransmission backoff (a SYN lost
    # twice waits 1 + 2 s): 10 s, so that only a connection that really stalls counts.
    unic_ns -t 40 wrk -t 2 -c 50 -d 5s --timeout 10s "$URL/" >"$UNIC_TMP/wrk-loss" 2>&1 ||
        unic_fail "wrk under loss failed"
    grep -q -E 'Socket errors|Non-2xx' "$UNIC_TMP/wrk-loss" &&
        unic_fail "wrk under loss: $(grep -E 'Socket errors|Non-2xx' "$UNIC_TMP/wrk-loss")"
    settle
    sleep 11 # an idle timeout (5 s), then the close's own bound (5 s) for a FIN lost on the way
    unic_stop
    grep -q '^http: open connections 0$' "$UNIC_LOG" ||
        unic_fail "open connections after the lossy run and two idle timeouts"
    unic_figure "under 2% loss: $(awk '/Requests\/sec/ { print $2 }' "$UNIC_TMP/wrk-loss") requests/s; $(grep -o 'lost=[0-9]*' "$UNIC_LOG" | tr '\n' ' ')"
    unic_pass "/bytes/$N intact and wrk without errors at --loss 0.02 --reorder 0.02 --duplicate 0.01"
fi

# --- 200 connections that send half a request head and stall (slowloris): the page is still
# served meanwhile, and after the idle timeout (2 s here) every one of them is aborted
if [ "$UNIC_PLATFORM" = hosted ]; then
    unic_start http -- --idle-timeout 2
    unic_wait_ready
    unic_ns -t 30 bash -c '
        for ((i = 0; i < 200; i++)); do
            exec {fd}<>"/dev/tcp/$0/80" || exit 1
            printf "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " >&$fd
        done
        curl -s --max-time 5 -o /dev/null -w "%{http_code}" "http://$0:80/" >"$1"
        sleep 4' "$UNIC_SVC_IP" "$UNIC_TMP/slow-code" || unic_fail "could not open 200 connections"
    [ "$(cat "$UNIC_TMP/slow-code")" = 200 ] || unic_fail "GET / with 200 stalled heads: $(cat "$UNIC_TMP/slow-code")"
    unic_stop
    aborted=$(grep -o 'idle_aborted=[0-9]*' "$UNIC_LOG" | cut -d= -f2)
    [ "${aborted:-0}" = 200 ] || unic_fail "stalled heads aborted: ${aborted:-0}, want 200"
    grep -q '^http: open connections 0$' "$UNIC_LOG" || unic_fail "open connections after the stalled heads"
    unic_pass "200 stalled request heads: page still served, all 200 aborted after the idle timeout"
fi

# --- service options: --port N serves there; a bad option stops with status 2 (hosted: the
# process exit status; kvm reports it through QEMU, checked by kvm_boot's own tests)
if [ "$UNIC_PLATFORM" = hosted ]; then
    unic_start http -- --port 8080
    unic_wait_ready
    for ((i = 0; i < 20; i++)); do
        out=$(unic_ns -t 5 curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://$UNIC_SVC_IP:8080/bytes/1") &&
            [ "$out" = 200 ] && break
        sleep 0.2
    done
    [ "$out" = 200 ] || unic_fail "--port 8080: got '$out'"
    unic_stop
    unic_start http -- --port 0
    for ((i = 0; i < 50; i++)); do
        unic_alive || break
        sleep 0.1
    done
    unic_alive && unic_fail "http --port 0 did not stop"
    wait "$UNIC_PID"
    status=$?
    UNIC_PID=""
    [ "$status" = 2 ] || unic_fail "http --port 0: exit status $status, want 2"
    unic_pass "--port 8080 serves there; --port 0 is refused with status 2"
fi
